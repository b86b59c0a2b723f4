"""Does a reliability weight (Eq. 7's alpha, or another signal of xpm.modeling.student) tell right
pseudo labels from wrong ones?

Noise weighting can only pay where it does: a pseudo label whose box is on the wrong object, or
whose noun names an object the image does not hold, should get a lower alpha than a right one.
Measured against instance ground truth of the captioned images (as ``pseudo_label_quality``):
per class group, the median alpha of correct, misplaced and absent-object labels, and the AUC
(the chance that a correct label gets a higher alpha than a wrong one; 0.5 is no separation).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from itertools import islice
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import torch

from xpm.io.dataset_version import open_version
from trainers.evaluation.pseudo_label_quality import judged_samples
from xpm.io.pseudo_label_samples import decode_pseudo_sample
from xpm.modeling.student import RELIABILITY_MODES, label_weights, novel_rows

STATUSES = ("correct", "misplaced", "absent")


def separation_auc(right: np.ndarray, wrong: np.ndarray) -> float | None:
    """P(alpha of a right label > alpha of a wrong one), ties counted half; None without both."""
    if not len(right) or not len(wrong):
        return None
    # every pair compared: a few thousand labels a side at most
    greater = (right[:, None] > wrong[None, :]).mean()
    ties = (right[:, None] == wrong[None, :]).mean()
    return float(greater + 0.5 * ties)


def summarize_reliability(statuses: list[str], groups: list[str], alphas: np.ndarray) -> dict[str, dict]:
    """Per group (and ``all``): labels and median alpha per status, and the AUC of correct
    against misplaced + absent."""
    by_group: dict[str, dict[str, list[float]]] = defaultdict(lambda: {status: [] for status in STATUSES})
    for status, group, alpha in zip(statuses, groups, alphas.tolist()):
        for name in (group, "all"):
            by_group[name][status].append(alpha)
    summary = {}
    for name, values in by_group.items():
        row = {}
        for status in STATUSES:
            row[f"{status}_labels"] = len(values[status])
            row[f"{status}_median_alpha"] = float(np.median(values[status])) if values[status] else None
        row["auc"] = separation_auc(np.array(values["correct"]), np.array(values["misplaced"] + values["absent"]))
        summary[name] = row
    return summary


# The weights the demo report compares: every listed reliability mode that weighs at all.
REPORTED_RELIABILITIES = tuple(mode for mode in RELIABILITY_MODES if mode != "none")


@torch.inference_mode()
def measure_reliability(student, version_dir: str | Path, truth_json: str | Path, category_of: Mapping[str, str],
                        group_of: Mapping[str, str], settings, *, images: int, base_classes: Sequence[str],
                        signals: Sequence[str] | None = None) -> dict[str, dict[str, dict]]:
    """Per reliability signal (default: the one ``settings`` trains with), the summary of the
    weight of every pseudo label on the version's first ``images`` labelled images, as the student
    would weigh them in training under ``settings`` with that signal (a weight scaled per batch is
    scaled over all of them at once, per group of nouns under group-mean: base ``base_classes``
    and the others). One pass of the student serves every signal."""
    from trainers.data.pseudo_label_shards import open_version_data

    data = open_version_data(version_dir)
    rows = data.vocabulary.index_of()
    labelled = ((key, parts, judged) for key, parts, judged in judged_samples(open_version(str(version_dir)), truth_json, category_of)
                if judged)
    statuses, groups, noise, embeddings, nouns, scores = [], [], [], [], [], []
    student.eval()
    device = next(student.parameters()).device
    for key, parts, judged in islice(labelled, images):
        image, target = decode_pseudo_sample({"__key__": key, **parts}, rows)
        target = {name: value.to(device) if isinstance(value, torch.Tensor) else value for name, value in target.items()}
        region_embeddings, _, variance, _ = student.caption_outputs([image.to(device)], [target])
        noise.append(variance.flatten(start_dim=1).mean(dim=1).float().cpu())
        embeddings.append(region_embeddings.float().cpu())
        nouns.append(target["vocab_index"].cpu())
        scores.append(target["teacher_scores"].cpu())
        statuses += [label.status for label in judged]
        groups += [group_of.get(label.category, "unmapped") if label.category else "unmapped" for label in judged]
    if not statuses:
        raise ValueError(f"{version_dir} has no pseudo labels to weigh.")
    novel = novel_rows(data.vocabulary.words, base_classes)
    summaries = {}
    for signal in signals or (settings.reliability,):
        weights = label_weights(replace(settings, reliability=signal), torch.cat(noise)[:, None], torch.cat(embeddings),
                                data.vocabulary.embeddings, torch.cat(nouns), torch.cat(scores), novel)
        summaries[signal] = summarize_reliability(statuses, groups, (torch.ones(len(statuses)) if weights is None else weights).numpy())
    return summaries
