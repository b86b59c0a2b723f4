"""Cross-modal alignment (paper 3.2.2): each caption noun picks the teacher's region that best
matches its word embedding, and that region's mask is binarized into the pseudo mask.

The paper's rule is Eq. 2 alone (``eq2``): an argmax over every proposal, no threshold, one box
per noun, so a noun the image does not show still gets a box and the most telling part of an
object can outvote the whole. The other rules are Eq. 2 plus parts, named ``eq2+PART[+PART...]``
in the order of ``RULE_PARTS``, each a small pure function below:

- ``objectness``: rank by score + log RPN objectness, the region the teacher's caption grounding
  attends to (``xpm/modeling/grounding.py``), which ranks whole objects above their parts;
- ``nms``: class-agnostic NMS over the proposals by objectness before choosing, so a duplicate
  of a part cannot outvote the whole;
- ``gate``: a noun keeps a region only if its score beats the zero background embedding and the
  noun is that region's top choice among background, the teacher's classes and the caption's
  nouns; ``bg-gate`` the same without the teacher's classes (a target object the teacher calls
  by a base class it resembles keeps its noun). A noun with no such region gets no label;
- ``coverage``: among the regions ranked within ``coverage_margin`` of the best, the largest box;
- ``one-to-one``: Hungarian matching of the image's nouns to regions, so two nouns, an absent
  one included, cannot claim the same object;
- ``refine``: the chosen box through the teacher's class-agnostic box regression ``REFINE_STEPS``
  more times (iterative box regression at inference, as Cascade R-CNN's): a proposal on part of
  an object is regressed once towards the object; again from there, further
  (``OpenVocabMaskRCNN.refine_boxes``; the only part that needs the model, so it acts on the
  chosen boxes after selection);
- ``calibrated@P`` (last): a noun keeps its region only if Eq. 2's score there beats the P-th
  percentile of that word's best score on images whose captions do not mention it, i.e. the
  score the word reaches where it is most likely absent. The thresholds come from a sample of
  the dataset (``calibration_thresholds``) before any image is labelled.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

import numpy as np
import torch
from torchvision.ops import box_area, nms

# The paper's Eq. 2: argmax over all proposals, no threshold, one box per caption noun.
PAPER_ALIGNMENT = "eq2"
RULE_PARTS = ("objectness", "nms", "gate", "bg-gate", "coverage", "one-to-one", "refine")
# The rules `xpm pseudo-label --alignment` and the selection study offer; any other ordered
# combination of RULE_PARTS parses too.
ALIGNMENTS = (
    "eq2", "eq2+objectness", "eq2+nms", "eq2+gate", "eq2+bg-gate", "eq2+coverage", "eq2+one-to-one",
    "eq2+objectness+gate", "eq2+objectness+bg-gate", "eq2+objectness+coverage", "eq2+objectness+one-to-one",
    "eq2+objectness+bg-gate+one-to-one", "eq2+objectness+gate+one-to-one", "eq2+objectness+nms+bg-gate",
    "eq2+objectness+bg-gate+coverage", "eq2+objectness+bg-gate+coverage+calibrated@70",
    "eq2+refine", "eq2+objectness+bg-gate+coverage+refine",
)
CALIBRATED = "calibrated@"
# `xpm pseudo-label`'s default: on two worlds that chose nothing (seeds 1 and 2), students trained
# on its labels beat students trained on the paper's eq2 labels by 3.6 and 2.5 target segm AP50;
# the calibrated rule's labels are more precise but gave a student no target gain
# (docs/alignment-study.md).
DEFAULT_ALIGNMENT = "eq2+objectness+bg-gate+coverage"
# Why a noun got no region, as recorded beside the version's labels.
NO_REGION_PASSES_GATE = "no_region_passes_gate"
NO_REGION_LEFT = "no_region_left"
BELOW_CALIBRATED_THRESHOLD = "below_calibrated_threshold"


@dataclass(frozen=True)
class AlignmentRule:
    objectness: bool = False
    nms_iou: float | None = None
    gate: str | None = None  # "all" (background, teacher classes, caption nouns) or "background"
    coverage_margin: float | None = None
    one_to_one: bool = False
    refine_steps: int = 0
    calibration: float | None = None  # the percentile P of calibrated@P

    @property
    def name(self) -> str:
        parts = ["objectness"] * self.objectness + ["nms"] * (self.nms_iou is not None)
        parts += {"all": ["gate"], "background": ["bg-gate"], None: []}[self.gate]
        parts += ["coverage"] * (self.coverage_margin is not None) + ["one-to-one"] * self.one_to_one
        parts += ["refine"] * (self.refine_steps > 0)
        if self.calibration is not None:
            parts.append(f"{CALIBRATED}{self.calibration:g}")
        return "+".join(["eq2", *parts])


# Chosen on the demo world of seed 0 (caption noise 0.1) by `xpm study-alignment`; see docs/alignment-study.md
# (REFINE_STEPS among 1-3: each further pass lowered base precision by 2-3 points).
NMS_IOU = 0.5
COVERAGE_MARGIN = 1.0
REFINE_STEPS = 1


def parse_alignment(name: str) -> AlignmentRule:
    """``eq2[+PART...]`` -> its rule; an unknown, repeated or misordered part is an error naming it."""
    head, *parts = name.split("+")
    calibration = None
    if parts and parts[-1].startswith(CALIBRATED):
        try:
            calibration = float(parts.pop()[len(CALIBRATED):])
        except ValueError:
            calibration = -1.0
        if not 0 < calibration < 100:
            raise ValueError(f"alignment {name!r}: calibrated@P takes a percentile P between 0 and 100, e.g. calibrated@70.")
    order = [RULE_PARTS.index(p) if p in RULE_PARTS else -1 for p in parts]
    if head != "eq2" or -1 in order or order != sorted(set(order)) or {"gate", "bg-gate"} <= set(parts):
        raise ValueError(
            f"alignment {name!r}: 'eq2' followed by '+PART' for parts in this order: {', '.join(RULE_PARTS)} "
            f"(one gate at most), then optionally +calibrated@P; e.g. {', '.join(ALIGNMENTS[:4])}."
        )
    return AlignmentRule(
        objectness="objectness" in parts,
        nms_iou=NMS_IOU if "nms" in parts else None,
        gate="all" if "gate" in parts else "background" if "bg-gate" in parts else None,
        coverage_margin=COVERAGE_MARGIN if "coverage" in parts else None,
        one_to_one="one-to-one" in parts,
        refine_steps=REFINE_STEPS if "refine" in parts else 0,
        calibration=calibration,
    )


def ranking_scores(scores: torch.Tensor, objectness: torch.Tensor | None) -> torch.Tensor:
    """Eq. 2's scores ``[K, R]``, or with ``objectness [R]`` in (0, 1] score + log objectness."""
    if objectness is None:
        return scores
    return scores + objectness.to(scores.dtype).clamp_min(1e-6).log()[None]


def nms_survivors(boxes: torch.Tensor, objectness: torch.Tensor, iou: float) -> torch.Tensor:
    """``[R]`` bool: the proposals class-agnostic NMS by objectness keeps."""
    keep = torch.zeros(len(boxes), dtype=torch.bool, device=boxes.device)
    keep[nms(boxes.float(), objectness.float(), iou)] = True
    return keep


def vocabulary_gate(scores: torch.Tensor, class_scores: torch.Tensor | None) -> torch.Tensor:
    """``[K, R]`` bool: noun k may take region r when v_k^T h_Emb(f_r) beats the background's 0,
    every caption noun's score there and, with ``class_scores [C, R]``, every teacher class's.
    A caption noun that is one of the teacher's classes ties with itself, and ties pass."""
    rivals = scores.max(dim=0).values.clamp_min(0)
    if class_scores is not None and class_scores.shape[0]:
        rivals = torch.maximum(rivals, class_scores.max(dim=0).values)
    return (scores > 0) & (scores >= rivals[None])


def largest_within_margin(ranked: torch.Tensor, allowed: torch.Tensor, chosen: torch.Tensor, boxes: torch.Tensor,
                          margin: float) -> torch.Tensor:
    """For each noun with a region, the largest allowed box ranked within ``margin`` of its
    chosen one: Eq. 2's best region is often the most telling part of the object."""
    best = ranked.gather(1, chosen.clamp_min(0)[:, None])
    near = allowed & (ranked >= best - margin)
    area = box_area(boxes.float())[None].expand_as(ranked)
    widest = torch.where(near, area, torch.full_like(area, -1.0)).argmax(dim=1)
    return torch.where(chosen >= 0, widest, chosen)


def one_to_one(ranked: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
    """Hungarian matching of nouns to allowed regions by total rank; ``-1`` for a noun left over."""
    from scipy.optimize import linear_sum_assignment

    finite = torch.where(allowed, ranked, torch.zeros_like(ranked))
    # A forbidden pair costs more than any allowed matching gains, so it is taken only when
    # nothing else is left, and then undone below.
    penalty = (finite.abs().max() + 1) * (ranked.shape[0] + 1)
    cost = torch.where(allowed, -ranked, penalty).double().cpu().numpy()
    rows, cols = linear_sum_assignment(cost)
    chosen = torch.full((ranked.shape[0],), -1, dtype=torch.long, device=ranked.device)
    for row, col in zip(rows, cols):
        if allowed[row, col]:
            chosen[row] = int(col)
    return chosen


@dataclass(frozen=True)
class Selection:
    """Per noun: the chosen region (``-1`` for none), Eq. 2's score there, and why none."""

    region: torch.Tensor
    logit: torch.Tensor
    reasons: tuple[str | None, ...]


def calibration_thresholds(best_scores: Iterable[tuple[set[str], dict[str, float]]], percentile: float) -> dict[str, float]:
    """Per word: the ``percentile`` of its best Eq. 2 score over the images whose captions do not
    mention it. ``best_scores`` holds per image (its caption's words, {word: best score over its
    regions}) for every word to calibrate."""
    unmentioned = defaultdict(list)
    for words, scores in best_scores:
        for word, score in scores.items():
            if word not in words:
                unmentioned[word].append(score)
    return {word: float(np.percentile(values, percentile)) for word, values in unmentioned.items()}


def select_regions(scores: torch.Tensor, rule: AlignmentRule, *, objectness: torch.Tensor | None = None,
                   boxes: torch.Tensor | None = None, class_scores: torch.Tensor | None = None,
                   thresholds: torch.Tensor | None = None) -> Selection:
    """Eq. 2 (``rule`` = ``eq2``): b_o = argmax_r v_o^T h_Emb(f_r), with the rule's parts.

    ``scores [K, R]`` = v_o^T h_Emb(f_r) of the image's caption nouns against its regions;
    ``objectness [R]`` (needed by objectness and nms), ``boxes [R, 4]`` (nms, coverage) and the
    teacher's classes' scores ``class_scores [C, R]`` (gate), and each noun's calibrated threshold
    ``thresholds [K]`` (calibrated; -inf for a word without one). The returned logit is Eq. 2's
    score of the chosen region whatever ranked it.
    """
    if scores.shape[1] == 0:
        raise ValueError("no regions to align to: the image produced no proposals.")
    ranked = ranking_scores(scores, objectness if rule.objectness else None)
    allowed = torch.ones_like(scores, dtype=torch.bool)
    if rule.nms_iou is not None:
        allowed &= nms_survivors(boxes, objectness, rule.nms_iou)[None]
    if rule.gate is not None:
        allowed &= vocabulary_gate(scores, class_scores if rule.gate == "all" else None)
    if rule.one_to_one:
        chosen = one_to_one(ranked, allowed)
    else:
        masked = ranked.masked_fill(~allowed, float("-inf"))
        chosen = torch.where(allowed.any(dim=1), masked.argmax(dim=1), -1)
    if rule.coverage_margin is not None:
        chosen = largest_within_margin(ranked, allowed, chosen, boxes, rule.coverage_margin)
    gated = allowed.any(dim=1)
    reasons = [None if c >= 0 else NO_REGION_PASSES_GATE if not g else NO_REGION_LEFT
               for c, g in zip(chosen.tolist(), gated.tolist())]
    # A noun without a region keeps its best score: how near it came to one.
    logit = torch.where(chosen >= 0, scores.gather(1, chosen.clamp_min(0)[:, None])[:, 0], scores.max(dim=1).values)
    if rule.calibration is not None:
        if thresholds is None:
            raise ValueError(f"alignment {rule.name!r} needs each noun's calibrated threshold.")
        below = (chosen >= 0) & (logit < thresholds.to(logit))
        chosen = torch.where(below, -1, chosen)
        reasons = [BELOW_CALIBRATED_THRESHOLD if b else r for r, b in zip(reasons, below.tolist())]
    return Selection(chosen, logit, tuple(reasons))


def binarize_mask(mask_logits: torch.Tensor) -> torch.Tensor:
    """Eq. 4: M_o = 1[h_Mask(f_{b_o}) >= 0] (a logit of 0 is probability 0.5)."""
    return mask_logits >= 0
