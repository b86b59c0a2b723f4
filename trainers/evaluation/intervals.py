"""95% intervals on trained models' AP50 that account for both sources of noise: the training
seed (a t interval over the seeds' results on the whole test set) and the test images (a bootstrap
over images: every run re-accumulated on the same resamples, then averaged over the seeds).

The two are independent sources, so their half-widths combine in quadrature into the interval a
claim is decided on; both parts are kept beside it. Differences between two configurations are
paired by seed and by resample, which cancels what the two share (teacher, version, test images).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats

from trainers.evaluation.coco_ap import ImageMatches

METHOD = ("mean over seeds ± half-widths in quadrature of a t interval over seeds (each seed on the whole "
          "test set) and a percentile bootstrap over test images (the seed mean re-accumulated on {draws} "
          "resamples of the images, shared by every run)")


def image_resamples(images: int, draws: int, seed: int) -> np.ndarray:
    """``[draws, images]``: how often each test image is counted in each bootstrap resample."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(images, np.full(images, 1.0 / images), size=draws).astype(np.float64)


def group_ap50(matches: ImageMatches, category_ids: Sequence[int], weights: np.ndarray) -> np.ndarray:
    """Mean AP50 over ``category_ids`` for each resample ``weights [draws, images]``; a category
    with no instance in a resample is left out of that resample's mean (COCO's convention)."""
    per_category = matches.ap50(weights, set(category_ids))
    rows = [per_category[c] for c in category_ids if c in per_category]
    if not rows:
        return np.full(len(weights), np.nan)
    with np.errstate(all="ignore"):
        return np.nanmean(np.stack(rows), axis=0)


@dataclass(frozen=True)
class Interval:
    mean: float
    ci95: tuple[float, float]
    # The two parts: over seeds alone (None with one seed) and over images alone.
    ci95_seeds: tuple[float, float] | None
    ci95_images: tuple[float, float]
    sd_seeds: float | None
    n: int

    def as_dict(self) -> dict:
        return {"mean": self.mean, "ci95": list(self.ci95), "ci95_seeds": list(self.ci95_seeds) if self.ci95_seeds else None,
                "ci95_images": list(self.ci95_images), "sd_seeds": self.sd_seeds, "n": self.n}


def sd_interval(sd: float, n: int) -> tuple[float, float]:
    """The 95% interval of a standard deviation ``sd`` measured over ``n`` seeds (chi-square, as
    for normal results): from 5 seeds it spans 0.6x to 2.9x the measured value, so that two
    configurations' spreads are told apart only by many more seeds or a large difference."""
    if n < 2:
        raise ValueError(f"a standard deviation's interval needs at least 2 seeds, got {n}.")
    df = n - 1
    return float(sd * np.sqrt(df / stats.chi2.ppf(0.975, df))), float(sd * np.sqrt(df / stats.chi2.ppf(0.025, df)))


def interval(per_seed: Sequence[float], per_seed_draws: np.ndarray) -> Interval:
    """``per_seed``: one value per seed on the whole test set; ``per_seed_draws [seeds, draws]``:
    the same values re-accumulated on each image resample."""
    values = np.asarray(per_seed, dtype=np.float64)
    n = len(values)
    mean = float(values.mean())
    seed_mean_draws = np.nanmean(np.atleast_2d(per_seed_draws), axis=0)
    low, high = np.nanpercentile(seed_mean_draws, [2.5, 97.5])
    images_half = (high - low) / 2
    if n > 1:
        sd = float(values.std(ddof=1))
        seeds_half = float(stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n))
        seeds = (mean - seeds_half, mean + seeds_half)
    else:
        sd, seeds_half, seeds = None, 0.0, None
    half = float(np.hypot(seeds_half, images_half))
    return Interval(mean, (mean - half, mean + half), seeds, (float(low), float(high)), sd, n)
