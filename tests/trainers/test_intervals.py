"""Intervals on trained models' results: over seeds, over images, and on the seeds' spread."""

import numpy as np
import pytest

from trainers.evaluation.intervals import interval, sd_interval


def test_a_seed_interval_is_a_t_interval_and_the_image_part_adds_in_quadrature():
    per_seed = [20.0, 22.0, 21.0, 23.0, 19.0]
    no_image_noise = np.tile(np.asarray(per_seed)[:, None], (1, 200))
    result = interval(per_seed, no_image_noise)
    half = 2.7764451 * np.std(per_seed, ddof=1) / np.sqrt(5)  # t(0.975, 4)
    assert result.mean == 21.0 and result.sd_seeds == pytest.approx(np.std(per_seed, ddof=1))
    assert result.ci95 == pytest.approx((21.0 - half, 21.0 + half))
    noisy = no_image_noise + np.random.default_rng(0).normal(0, 1, no_image_noise.shape)
    assert result.ci95[1] - result.ci95[0] < interval(per_seed, noisy).ci95[1] - interval(per_seed, noisy).ci95[0]


def test_the_spread_of_five_seeds_is_known_to_within_a_factor_of_five():
    low, high = sd_interval(1.0, 5)
    assert (low, high) == pytest.approx((0.5991, 2.8735), abs=1e-3)
    narrower = sd_interval(1.0, 30)
    assert low < narrower[0] < 1.0 < narrower[1] < high
    with pytest.raises(ValueError, match="at least 2 seeds"):
        sd_interval(1.0, 1)
