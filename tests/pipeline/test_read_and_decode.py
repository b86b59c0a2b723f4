import io
import tarfile

import numpy as np
from PIL import Image

from xpm.io.decode import decode_sample
from xpm.io.images import BadImage, DecodeLimits, decode_image
from pipeline.read.shard_reader import read_shard
from xpm.io.records import DecodedSample, RawSample, Reject
from xpm.io.captioned_shards import add_tar_member


def outcomes(path):
    results = {}
    with open(path, "rb") as stream:
        for item in read_shard(stream, "00000"):
            result = item if isinstance(item, Reject) else decode_sample(item)
            results[result.key] = result
    return results


def test_every_bad_input_becomes_a_reject_with_its_reason(bad_input_shard):
    path, expected = bad_input_shard
    results = outcomes(path)
    assert set(results) == set(expected)  # every sample is accounted for
    for key, outcome in expected.items():
        result = results[key]
        if outcome == "ok":
            assert isinstance(result, DecodedSample), (key, result)
            assert result.pixels.dtype == np.uint8 and result.pixels.ndim == 3 and result.pixels.shape[2] == 3
        else:
            assert isinstance(result, Reject) and result.reason == outcome, (key, result)


def test_converted_images_keep_their_original_bytes(bad_input_shard):
    path, _ = bad_input_shard
    with open(path, "rb") as stream:
        raw = {s.key: s for s in read_shard(stream, "00000") if isinstance(s, RawSample)}
    decoded = decode_sample(raw["000000004"])
    assert decoded.image_ext == "png" and decoded.image_bytes == raw["000000004"].parts["png"]


def test_sixteen_bit_images_are_scaled_not_clipped(bad_input_shard):
    path, _ = bad_input_shard
    decoded = outcomes(path)["000000007"]
    assert 60 < decoded.pixels.mean() < 195  # uniform noise over 0..65535 stays mid-grey


def test_member_names_that_escape_are_refused():
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        add_tar_member(tar, "../evil.jpg", b"x")
        add_tar_member(tar, "../evil.txt", b"x")
        add_tar_member(tar, "0001.txt", b"a cat")
    buffer.seek(0)
    items = list(read_shard(buffer, "s"))
    assert isinstance(items[0], Reject) and items[0].reason == "unsafe_member_name"
    assert isinstance(items[1], RawSample) and items[1].key == "0001"


def test_an_unreadable_file_is_one_reject_not_a_crash():
    items = list(read_shard(io.BytesIO(b"this is not a tar file at all" * 40), "s"))
    assert len(items) == 1 and items[0].reason == "truncated_tar"


def test_an_image_alone_is_checked_by_the_same_rules():
    def png(image):
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()

    assert decode_image(b"") == BadImage("empty_image_file")
    assert decode_image(png(Image.new("RGB", (8, 40)))).reason == "image_too_small"
    assert decode_image(png(Image.new("RGB", (40, 40))), DecodeLimits(max_pixels=1000)).reason == "image_too_large"
    assert decode_image(b"not an image").reason == "undecodable_image"
    transparent = decode_image(png(Image.new("RGBA", (20, 16), (0, 0, 0, 0))))
    assert transparent.shape == (16, 20, 3) and (transparent == 255).all()  # composited onto white
