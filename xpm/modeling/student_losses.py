"""The robust student's losses on captioned images (paper 3.2.3-3.2.4), free functions on tensors.

Which regions they act on: the aligned pseudo boxes b_o themselves, as the paper writes them —
g_Emb(f_{b_o}) and g_Mask(f_{b_o}) are evaluated on the box each caption noun was aligned to,
not on RPN proposals matched to it, so that a noun's supervision lands exactly where the teacher
found it and its mask target is the pseudo mask in that same box.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from xpm.modeling.noise_head import MIN_VARIANCE


def noisy_mask_loss(
    mask_logits: torch.Tensor, noise_variance: torch.Tensor, pseudo_masks: torch.Tensor, samples: int = 8
) -> torch.Tensor:
    """Eq. 6: L_M = BCE(M_o | g_Mask(f_{b_o}) + eps), eps ~ N(0, g_Noise(f_{b_o})) per pixel.

    As in the heteroscedastic losses Eq. 6 follows (the paper's [62, 94]), the likelihood is
    averaged over ``samples`` noise draws before the log: -log(mean_t p(M | logit + eps_t)).
    Averaging the BCE itself instead would make noise only ever raise the loss (BCE is convex in
    the logit), and g_Noise would learn nothing but zero. Draws use the reparameterisation trick
    (eps = sqrt(var) * N(0, 1)), so the gradient reaches g_Noise: where a pseudo label
    contradicts a confident prediction, more variance makes it likelier and the variance grows.
    Inputs are ``[K, M, M]``; the result is averaged over pixels. Zero variance is plain BCE.

    ``pseudo_masks`` may be soft: a binary pseudo mask resampled into the box's ``M x M`` grid
    is fractional at its boundary (12-14% of the pixels), exactly where mask noise lives. Each
    draw's likelihood is the soft one, t log s(z) + (1 - t) log s(-z), which is BCE's own form
    for any t in [0, 1]; a +-1 sign of t would give a 0.5 target no gradient at all.
    """
    if samples < 1:
        raise ValueError(f"samples={samples}: at least 1.")
    if mask_logits.numel() == 0:
        return mask_logits.sum() * 0 + noise_variance.sum() * 0
    target = pseudo_masks.to(mask_logits.dtype).unsqueeze(0)
    std = noise_variance.clamp_min(0).sqrt()
    noisy = mask_logits.unsqueeze(0) + std.unsqueeze(0) * torch.randn((samples, *std.shape), dtype=std.dtype, device=std.device)
    log_likelihood = -(target * F.softplus(-noisy) + (1 - target) * F.softplus(noisy))  # log p(M | noisy logit), per draw
    averaged = torch.logsumexp(log_likelihood, dim=0) - math.log(samples)
    return -averaged.mean()


# How a reliability weight is scaled: "eta", the paper's constant (Eq. 7; for class-score the
# teacher's score as it is, Table 3); "batch-mean" (the trainers' default), per batch such that
# the batch's weights average 1, which keeps only the relative reliability. g_Noise's overall
# level falls as it trains (measured in the demo: mean 0.05 at the start, 0.0005-0.001 after 300
# steps), so a constant eta scales L_X^alpha from about 0.02x to 2-4x of plain L_X within one
# run: a loss schedule, not a re-weighting. "group-mean": as batch-mean, but separately for nouns
# that name a base class and for the others (novel nouns), against running means: a student
# trained on base ground truth agrees with base labels more than with any novel one, so one mean
# over both would weigh novel nouns down as a whole for being novel, not for being wrong
# (measured: docs/results.md, reliability).
ALPHA_SCALES = ("eta", "batch-mean", "group-mean")


def inverse_noise(noise_variance: torch.Tensor) -> torch.Tensor:
    """1 / (mean over a region's pixels of g_Noise), one per region, on detached noise:
    L_X^alpha must send no gradient into g_Noise, or it would learn to predict high noise
    everywhere to shrink the loss (paper 4.1)."""
    return 1 / noise_variance.detach().flatten(start_dim=1).mean(dim=1).clamp_min(MIN_VARIANCE)


def reliability(noise_variance: torch.Tensor, eta: float, cap: float, scale: str = "eta") -> torch.Tensor:
    """Eq. 7: alpha(o) = eta / (mean over the region's pixels of g_Noise), one per region.

    ``cap`` bounds alpha where a region's predicted noise approaches the floor, so one region
    cannot dominate a batch. ``scale`` is "eta" or "batch-mean" (``label_weights`` takes
    "group-mean", which needs the nouns' groups).
    """
    if scale not in ("eta", "batch-mean"):
        raise ValueError(f"alpha scale {scale!r}: one of eta, batch-mean.")
    inverse = inverse_noise(noise_variance)
    return (eta * inverse if scale == "eta" else mean_one(inverse)).clamp(max=cap)


def agreement(region_embeddings: torch.Tensor, vocabulary_embeddings: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """A per-label reliability that reads the label, not its mask: the student's own probability,
    over the caption vocabulary V_C, of the label's noun at its box. A label that names an object
    the image does not show, or sits on another object, has a clean teacher mask, so Eq. 7's
    g_Noise has nothing to flag; the student, trained on every other image of that noun, gives
    the region a low probability of it. Computed without gradient: the weight must not become a
    way to lower the loss."""
    with torch.no_grad():
        logits = region_embeddings @ vocabulary_embeddings.to(region_embeddings.dtype).T
        return logits.softmax(dim=1).gather(1, targets.unsqueeze(1)).squeeze(1)


def mean_one(raw: torch.Tensor, groups: torch.Tensor | None = None, means: torch.Tensor | None = None) -> torch.Tensor:
    """``raw`` divided by its mean, separately per group (``groups [K]`` ints; None: one group);
    ``means [G]`` replaces the batch's own means (running means while training)."""
    groups = torch.zeros_like(raw, dtype=torch.long) if groups is None else groups
    if means is None:
        sums = torch.zeros(int(groups.max()) + 1 if groups.numel() else 1, dtype=raw.dtype, device=raw.device)
        counts = torch.zeros_like(sums).index_add_(0, groups, torch.ones_like(raw))
        means = sums.index_add_(0, groups, raw) / counts.clamp_min(1)
    return raw / means.to(raw.dtype)[groups].clamp_min(torch.finfo(raw.dtype).tiny)


class RunningGroupMeans(torch.nn.Module):
    """The means "group-mean" divides by in training: an exponential moving average per group
    (base-class nouns, novel nouns) of the raw weight. A batch of four captioned images holds one
    or two novel-noun labels, so the batch's own novel mean would set each of them to about 1 and
    erase the very ranking the weight is for; about 1 / (1 - momentum) batches are averaged
    instead. The student trainer keeps them in its checkpoints, so a resumed run divides by the
    averages the interrupted one had reached."""

    def __init__(self, groups: int = 2, momentum: float = 0.95):
        super().__init__()
        self.momentum = momentum
        self.register_buffer("means", torch.zeros(groups))
        self.register_buffer("seen", torch.zeros(groups, dtype=torch.bool))

    @torch.no_grad()
    def update(self, raw: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
        """Folds this batch into the averages and returns them."""
        for group in groups.unique().tolist():
            batch_mean = raw[groups == group].mean().to(self.means.dtype)
            if self.seen[group]:
                self.means[group] = self.momentum * self.means[group] + (1 - self.momentum) * batch_mean
            else:
                self.means[group], self.seen[group] = batch_mean, True
        return self.means


def cross_modal_loss(
    region_embeddings: torch.Tensor, vocabulary_embeddings: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor | None = None
) -> torch.Tensor:
    """Eq. 3 (weighted by Eq. 7 as L_X^alpha): for each aligned region, the negative log softmax
    over the caption vocabulary V_C of v_w^T g_Emb(f_{b_o}), at its caption noun ``targets``.

    ``region_embeddings [K, D]``, ``vocabulary_embeddings [V, D]``, ``targets [K]`` (indices
    into V_C), ``weights [K]`` (alpha; None for the plain Eq. 3). Averaged over regions.
    """
    if region_embeddings.shape[0] == 0:
        return region_embeddings.sum() * 0
    logits = region_embeddings @ vocabulary_embeddings.to(region_embeddings.dtype).T
    per_region = F.cross_entropy(logits, targets, reduction="none")
    if weights is not None:
        per_region = per_region * weights.detach().to(per_region.dtype)
    return per_region.mean()
