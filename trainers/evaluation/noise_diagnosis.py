"""Why g_Noise falls towards its floor: what Eq. 6 asks of it, label by label.

Eq. 6's likelihood, averaged over Gaussian logit noise, rises with the noise only on pixels where
the student's mask contradicts the pseudo mask (there the noise makes the pseudo label likelier)
and falls on every pixel where they agree. A student started from the teacher whose mask head
drew the pseudo masks (Eq. 4) agrees with them almost everywhere, on right and wrong labels
alike, so the loss pulls the noise down everywhere. This module measures that per label: the
share of pixels where the student's mask and the pseudo mask disagree, the predicted noise, and
the direction Eq. 6's gradient moves the noise, split by whether the label is right.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import islice
from pathlib import Path
from typing import Mapping

import numpy as np
import torch

from trainers.evaluation.pseudo_label_quality import judged_samples
from trainers.evaluation.reliability_quality import STATUSES
from xpm.io.dataset_version import open_version
from xpm.io.pseudo_label_samples import decode_pseudo_sample
from xpm.modeling.student_losses import noisy_mask_loss


def noise_gradient(mask_logits: torch.Tensor, variance: torch.Tensor, targets: torch.Tensor, samples: int) -> torch.Tensor:
    """d(Eq. 6)/d(variance) summed over each region's pixels: negative where the loss wants more
    noise. Many draws, so the sign is the objective's and not one batch's sampling noise."""
    variance = variance.detach().clone().requires_grad_(True)
    grads = []
    for k in range(len(variance)):
        (grad,) = torch.autograd.grad(noisy_mask_loss(mask_logits[k:k + 1].detach(), variance[k:k + 1], targets[k:k + 1], samples),
                                      variance)
        grads.append(grad[k].sum())
    return torch.stack(grads) if grads else variance.new_zeros(0)


def measure_mask_agreement(student, version_dir: str | Path, truth_json: str | Path, category_of: Mapping[str, str], *,
                           images: int, samples: int = 256) -> dict[str, dict]:
    """Per label status (correct, misplaced, absent; and all): labels, median share of pixels
    where the student's mask disagrees with the pseudo mask, median mean noise, and the share of
    labels whose noise Eq. 6 pushes up."""
    from trainers.data.pseudo_label_shards import open_version_data

    rows = open_version_data(version_dir).vocabulary.index_of()
    labelled = ((key, parts, judged) for key, parts, judged in judged_samples(open_version(str(version_dir)), truth_json, category_of)
                if judged)
    student.eval()
    device = next(student.parameters()).device
    measured: dict[str, list[tuple[float, float, bool]]] = defaultdict(list)
    for key, parts, judged in islice(labelled, images):
        image, target = decode_pseudo_sample({"__key__": key, **parts}, rows)
        target = {name: value.to(device) if isinstance(value, torch.Tensor) else value for name, value in target.items()}
        with torch.no_grad():
            _, mask_logits, variance, mask_targets = student.caption_outputs([image.to(device)], [target])
        disagreement = ((mask_logits > 0) != (mask_targets >= 0.5)).float().flatten(start_dim=1).mean(dim=1)
        noise = variance.flatten(start_dim=1).mean(dim=1)
        wants_more = noise_gradient(mask_logits, variance, mask_targets, samples) < 0
        for label, d, n, up in zip(judged, disagreement.tolist(), noise.tolist(), wants_more.tolist()):
            for name in (label.status, "all"):
                measured[name].append((d, n, up))
    return {
        status: {"labels": len(values), "median_disagreement": float(np.median([v[0] for v in values])),
                 "median_noise": float(np.median([v[1] for v in values])),
                 "noise_pushed_up_share": float(np.mean([v[2] for v in values]))}
        for status, values in measured.items() if status in (*STATUSES, "all")
    }
