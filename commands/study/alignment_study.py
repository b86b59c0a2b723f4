"""The region-selection study: every alignment rule scored against a world's truth, from one
teacher pass (no student training).

The teacher runs once over the captioned images; per image the evidence every rule chooses from
(``OpenVocabMaskRCNN.region_evidence``) stays in memory only while each rule picks its regions,
and the mask head then segments the union of the picked regions once. Each (image, caption
noun) is judged per rule: *correct* when the box overlaps an instance of the noun's class by
IoU >= 0.5; an *absent* noun (its class is not in the image: a noisy caption) should get no
label. A ``+calibrated@P`` rule is scored as its rule without calibration, then filtered by
thresholds from all the studied images (the pipeline takes them from a sample before labelling).

The ceiling of every rule is scored beside them: for each present noun, whether any of the
labeler's proposals overlaps an instance of its class by IoU >= 0.5 (best-proposal recall) and
the mask IoU of the best-overlapping proposal. A better labeler can gain from better proposals
(the ceiling rises) or from a better choice among them (a rule's recall nears its ceiling).
"""

from __future__ import annotations

import glob
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from pycocotools import mask as coco_mask
from torchvision.models.detection.transform import resize_boxes

from xpm.modeling.alignment import ALIGNMENTS, calibration_thresholds, parse_alignment, select_regions

GROUPS = ("base", "target", "caption_only", "unmapped")
BOX_IOU_CORRECT = 0.5


@dataclass(frozen=True)
class StudyConfig:
    world: str
    teacher: str
    out: str
    images: int = 2000
    rules: tuple[str, ...] = ALIGNMENTS
    batch_size: int = 8
    device: str = "cpu"

    def __post_init__(self) -> None:
        for name in self.rules:
            parse_alignment(name)
        if self.images < 1 or self.batch_size < 1:
            raise ValueError(f"study config: images={self.images} and batch_size={self.batch_size} must be at least 1.")


@dataclass
class NounLabel:
    """One (image, caption noun) under one rule: kept or not, and how it fares against the truth."""

    word: str
    group: str
    present: bool
    kept: bool
    logit: float
    correct: bool = False
    mask_iou: float = 0.0


@dataclass
class ProposalCeiling:
    """One present (image, caption noun): how well the best of the labeler's proposals covers it."""

    group: str
    hit: bool
    mask_iou: float


@dataclass
class RuleTally:
    labels: list[NounLabel] = field(default_factory=list)
    seconds: float = 0.0


def _captioned_samples(world: Path, limit: int):
    """``(key, pixels, caption)`` of the world's captioned shards, as the pipeline decodes them."""
    from xpm.io.decode import decode_sample
    from xpm.io.records import RawSample, Reject
    from xpm.io.captioned_shards import read_captioned_shard

    count = 0
    for path in sorted(glob.glob(str(world / "captioned" / "*.tar"))):
        for key, parts in read_captioned_shard(Path(path)):
            sample = decode_sample(RawSample(key, Path(path).stem, parts))
            if isinstance(sample, Reject):
                continue
            yield key, sample.pixels, sample.caption
            count += 1
            if count >= limit:
                return


def _judge(box_xyxy, mask: np.ndarray, instances: list[tuple[dict, list[float]]]) -> tuple[bool, float]:
    if not instances:
        return False, 0.0
    rles, boxes = [rle for rle, _ in instances], [box for _, box in instances]
    x1, y1, x2, y2 = box_xyxy
    box_iou = coco_mask.iou([[x1, y1, x2 - x1, y2 - y1]], boxes, [0] * len(boxes))[0]
    pseudo = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
    mask_iou = coco_mask.iou([pseudo], rles, [0] * len(rles))[0]
    return bool(box_iou.max() >= BOX_IOU_CORRECT), float(mask_iou.max())


def _best_proposals(boxes: torch.Tensor, lemmas: list[str], instances, category_of: dict[str, str]) -> list[tuple[str, int, list]]:
    """Per caption noun whose class is in the image: (class, index of the proposal (input-image
    xyxy ``boxes``) overlapping one of its instances most, those instances)."""
    found = []
    xywh = [[x1, y1, x2 - x1, y2 - y1] for x1, y1, x2, y2 in boxes.cpu().tolist()]
    for lemma in lemmas:
        of_class = [(rle, box) for cls, rle, box in instances if cls == category_of.get(lemma)]
        if of_class and xywh:
            overlaps = coco_mask.iou(xywh, [box for _, box in of_class], [0] * len(of_class))
            found.append((category_of[lemma], int(np.asarray(overlaps).max(axis=1).argmax()), of_class))
    return found


def run_study(config: StudyConfig, *, progress=None) -> dict:
    """Score every rule; returns (and the command writes) the study's results."""
    from schemas.split import read_split
    from xpm.text.word_embeddings import WordEmbeddings
    from xpm.nouns import NounExtractor, load_lexicon
    from trainers.evaluation.pseudo_label_quality import category_of_nouns, truth_by_key
    from xpm.device import resolve_device
    from xpm.io.images import rgb_tensor
    from xpm.modeling.checkpoint import detector_from_checkpoint, read_checkpoint, text_embedder_for

    world = Path(config.world)
    split = read_split(world / "split.json")
    truth = truth_by_key(world / "captioned" / "instances_all.json")
    category_of = category_of_nouns(split)
    group_of = split.group_of
    device = resolve_device(config.device)
    checkpoint = read_checkpoint(config.teacher)
    model = detector_from_checkpoint(checkpoint, device).eval()
    embed = WordEmbeddings(text_embedder_for(checkpoint, config.teacher))
    extract = NounExtractor(load_lexicon())
    # What each rule picks before calibration; calibrated rules share their base rule's picks.
    studied = {name: parse_alignment(name) for name in config.rules}
    rules = {rule.name: rule for rule in (replace(r, calibration=None) for r in studied.values())}
    tallies = {name: RuleTally() for name in rules}
    ceiling: list[ProposalCeiling] = []
    # per image: the caption's lemmas and every studied word's best Eq. 2 score (for calibration)
    best_scores: list[tuple[set[str], dict[str, float]]] = []
    vocabulary = sorted(category_of)
    vocabulary_embeddings = torch.from_numpy(embed(vocabulary)).to(device)
    teacher_seconds, images = 0.0, 0
    samples = _captioned_samples(world, config.images)
    while batch := [s for _, s in zip(range(config.batch_size), samples)]:
        nouns_per_image = [[n.lemma for n in extract(caption).nouns] for _, _, caption in batch]
        batch = [(s, n) for s, n in zip(batch, nouns_per_image) if n]
        if not batch:
            continue
        started = time.perf_counter()
        with torch.inference_mode():
            context, evidence = model.region_evidence([rgb_tensor(pixels, device) for (_, pixels, _), _ in batch])
            teacher_seconds += time.perf_counter() - started
            picks: dict[str, list[torch.Tensor]] = {}
            for name, rule in rules.items():
                started = time.perf_counter()
                picks[name] = [
                    select_regions(torch.from_numpy(embed(lemmas)).to(device) @ regions.embeddings.T, rule,
                                   objectness=regions.objectness, boxes=regions.boxes, class_scores=regions.class_scores)
                    for (_, lemmas), regions in zip(batch, evidence)
                ]
                tallies[name].seconds += time.perf_counter() - started
            # one segmentation pass per refinement depth over the union of the regions its rules chose
            depths = {rule.refine_steps for rule in rules.values()}
            union = {depth: [sorted({r for name, rule in rules.items() if rule.refine_steps == depth
                                     for r in picks[name][i].region.tolist() if r >= 0}) for i in range(len(batch))]
                     for depth in depths}
            segmented = {depth: model.region_masks(context, model.refine_boxes(
                context, [regions.boxes[u] for regions, u in zip(evidence, union[depth])], depth)) for depth in depths}
            best_found = [
                _best_proposals(resize_boxes(regions.boxes, size, original), lemmas, truth.get(key, []), category_of)
                for ((key, _, _), lemmas), regions, size, original in zip(batch, evidence, context.sizes, context.original_sizes)
            ]
            best_masks = model.region_masks(
                context, [regions.boxes[[j for _, j, _ in found]] for regions, found in zip(evidence, best_found)])
        for found, masks in zip(best_found, best_masks):
            for k, (category, j, of_class) in enumerate(found):
                hit, mask_iou = _judge(masks["box"][k].tolist(), masks["mask"][k].cpu().numpy(), of_class)
                ceiling.append(ProposalCeiling(group_of.get(category, "unmapped"), hit, mask_iou))
        for i, (((key, _, _), lemmas), regions) in enumerate(zip(batch, evidence)):
            instances = truth.get(key, [])
            best = (vocabulary_embeddings @ regions.embeddings.T).max(dim=1).values.cpu().tolist()
            best_scores.append((set(lemmas), dict(zip(vocabulary, best))))
            for name, rule in rules.items():
                column = {region: j for j, region in enumerate(union[rule.refine_steps][i])}
                found = segmented[rule.refine_steps][i]
                boxes, masks = found["box"].cpu().tolist(), found["mask"].cpu().numpy()
                selection = picks[name][i]
                for lemma, region, logit in zip(lemmas, selection.region.tolist(), selection.logit.tolist()):
                    category = category_of.get(lemma)
                    of_class = [(rle, box) for cls, rle, box in instances if cls == category]
                    label = NounLabel(lemma, group_of.get(category, "unmapped"), bool(of_class), region >= 0, logit)
                    if region >= 0:
                        label.correct, label.mask_iou = _judge(boxes[column[region]], masks[column[region]], of_class)
                    tallies[name].labels.append(label)
        images += len(batch)
        if progress:
            progress(images)
    results = {}
    for name, rule in studied.items():
        tally = tallies[replace(rule, calibration=None).name]
        labels = tally.labels if rule.calibration is None else calibrate(
            tally.labels, calibration_thresholds(best_scores, rule.calibration))
        results[name] = summarize_rule(labels, tally.seconds, images)
    return {"images": images, "teacher_seconds_per_image": teacher_seconds / max(images, 1), "rules": results,
            "ceiling": summarize_ceiling(ceiling)}


def summarize_ceiling(ceiling: list[ProposalCeiling]) -> dict:
    """Per group of nouns (and all): the present nouns, the share whose best proposal overlaps an
    instance by IoU >= 0.5, and the best proposal's mean mask IoU."""
    summary = {}
    for group in (*GROUPS, "all"):
        chosen = [row for row in ceiling if group in (row.group, "all")]
        if chosen:
            summary[group] = {"present_nouns": len(chosen), "best_proposal_recall": float(np.mean([row.hit for row in chosen])),
                              "best_proposal_mask_iou": float(np.mean([row.mask_iou for row in chosen]))}
    return summary


def calibrate(labels: list[NounLabel], threshold: dict[str, float]) -> list[NounLabel]:
    """The labels, those whose Eq. 2 score is below their word's threshold no longer kept."""
    return [
        label if not label.kept or label.logit >= threshold.get(label.word, float("-inf"))
        else NounLabel(label.word, label.group, label.present, False, label.logit)
        for label in labels
    ]


def summarize_rule(labels: list[NounLabel], seconds: float, images: int) -> dict:
    """Per group of nouns (and all): box precision and mask IoU of the kept labels, recall of the
    present nouns, and the labels kept for absent nouns; the rule's own time per image."""
    summary = {"ms_per_image": 1000 * seconds / max(images, 1)}
    for group in (*GROUPS, "all"):
        chosen = [label for label in labels if group in (label.group, "all")]
        if not chosen:
            continue
        kept = [label for label in chosen if label.kept]
        present = [label for label in chosen if label.present]
        absent = [label for label in chosen if not label.present]
        summary[group] = {
            "nouns": len(chosen),
            "kept": len(kept),
            "box_precision": float(np.mean([label.correct for label in kept])) if kept else None,
            "mask_iou": float(np.mean([label.mask_iou for label in kept])) if kept else None,
            "recall": float(np.mean([label.correct for label in present])) if present else None,
            "absent_nouns": len(absent),
            "absent_kept": sum(label.kept for label in absent),
            "absent_kept_share": float(np.mean([label.kept for label in absent])) if absent else None,
        }
    return summary


def markdown_table(results: dict, groups=("base", "target", "caption_only")) -> str:
    """One row per rule: per group precision / recall / absent kept, and the rule's ms per image."""
    def pct(value):
        return "-" if value is None else f"{100 * value:.1f}"

    header = ["rule"] + [f"{g} {m}" for g in groups for m in ("prec", "recall", "mask IoU", "absent kept")] + ["ms/img"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, row in results["rules"].items():
        cells = [f"`{name}`"]
        for group in groups:
            g = row.get(group)
            cells += ["-"] * 4 if g is None else [pct(g["box_precision"]), pct(g["recall"]), pct(g["mask_iou"]),
                                                   f"{g['absent_kept']}/{g['absent_nouns']}"]
        lines.append("| " + " | ".join(cells + [f"{row['ms_per_image']:.2f}"]) + " |")
    cells = ["best proposal (ceiling)"]
    for group in groups:
        g = results["ceiling"].get(group)
        cells += ["-"] * 4 if g is None else ["-", pct(g["best_proposal_recall"]), pct(g["best_proposal_mask_iou"]), "-"]
    lines.append("| " + " | ".join(cells + ["-"]) + " |")
    return "\n".join(lines) + "\n"
