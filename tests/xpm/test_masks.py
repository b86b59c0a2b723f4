import numpy as np
import pytest

from xpm.masks import decode_rle, encode_rle, mask_box_xywh, rle_area


@pytest.mark.parametrize("shape", [(1, 1), (7, 13), (64, 48)])
def test_rle_round_trip_is_exact(shape):
    rng = np.random.default_rng(sum(shape))
    mask = rng.random(shape) > 0.6
    rle = encode_rle(mask)
    assert rle["size"] == list(shape) and isinstance(rle["counts"], str)
    np.testing.assert_array_equal(decode_rle(rle), mask)
    assert rle_area(rle) == mask.sum()


def test_uncompressed_counts_decode_too():
    mask = np.zeros((4, 3), bool)
    mask[1:3, 1] = True
    # column-major runs: 5 zeros, 2 ones, 5 zeros
    np.testing.assert_array_equal(decode_rle({"size": [4, 3], "counts": [5, 2, 5]}), mask)
    assert mask_box_xywh(mask) == [1.0, 1.0, 1.0, 2.0]
