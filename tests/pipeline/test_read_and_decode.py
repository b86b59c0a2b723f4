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
    assert [(item.key, item.reason) for item in items] == [("s/<bytes 0-1160>", "corrupt_tar")]


def ten_sample_tar(tmp_path, compress=False) -> bytes:
    rgb = Image.new("RGB", (32, 24), "red")
    buffer = io.BytesIO()
    rgb.save(buffer, format="JPEG")
    path = tmp_path / "ten.tar"
    with tarfile.open(path, "w:gz" if compress else "w", format=tarfile.PAX_FORMAT) as tar:
        for index in range(10):
            add_tar_member(tar, f"{index:04d}.jpg", buffer.getvalue())
            add_tar_member(tar, f"{index:04d}.txt", f"a dog number {index}".encode())
    return path.read_bytes()


def header_offsets(data: bytes) -> list[int]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return [member.offset for member in tar]


def test_a_damaged_header_costs_its_sample_only_and_says_which_bytes(tmp_path):
    data = bytearray(ten_sample_tar(tmp_path))
    offsets = header_offsets(bytes(data))
    fifth = offsets[8]  # the image header of sample 0004
    data[fifth + 124 : fifth + 130] = b"999999"  # its size field: the checksum no longer matches
    items = list(read_shard(io.BytesIO(bytes(data)), "s"))
    assert [item.key for item in items if isinstance(item, RawSample)] == [f"{i:04d}" for i in range(10) if i != 4]
    (reject,) = [item for item in items if isinstance(item, Reject)]
    assert (reject.key, reject.reason) == ("0004", "corrupt_tar")
    assert reject.detail == f"bytes {fifth}-{offsets[9]} skipped: a damaged tar header (its name field reads '0004.jpg')"


def test_a_damaged_header_whose_name_is_lost_taints_the_next_sample(tmp_path):
    data = bytearray(ten_sample_tar(tmp_path))
    offsets = header_offsets(bytes(data))
    data[offsets[5] : offsets[5] + 100] = bytes(100)  # the caption header of sample 0002, name and all
    items = list(read_shard(io.BytesIO(bytes(data)), "s"))
    assert [(item.key, type(item).__name__) for item in items][1:4] == [
        ("0001", "RawSample"), ("0002", "RawSample"), ("0003", "Reject")]
    assert sorted(items[2].parts) == ["jpg"]  # the decode stage rejects it: missing_caption
    assert len(items) == 10


def test_a_compressed_shard_reads_the_same(tmp_path):
    plain = list(read_shard(io.BytesIO(ten_sample_tar(tmp_path)), "s"))
    assert list(read_shard(io.BytesIO(ten_sample_tar(tmp_path, compress=True)), "s")) == plain
    assert len(plain) == 10 and all(isinstance(item, RawSample) for item in plain)


def test_long_member_names_are_read_from_their_extended_header():
    buffer = io.BytesIO()
    long_key = "folder/" + "k" * 120
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        add_tar_member(tar, f"{long_key}.txt", b"a cat")
    buffer.seek(0)
    (sample,) = read_shard(buffer, "s")
    assert sample.key == long_key and sample.parts == {"txt": b"a cat"}


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


def test_the_read_stage_accounts_for_every_sample_of_a_damaged_shard(tmp_path):
    from pipeline.stages import INPUTS, REJECTS, ReadShard

    data = bytearray(ten_sample_tar(tmp_path))
    fifth = header_offsets(bytes(data))[8]
    data[fifth + 124 : fifth + 130] = b"999999"
    (tmp_path / "00007.tar").write_bytes(bytes(data))
    outputs = list(ReadShard().process(str(tmp_path / "00007.tar")))
    tagged = {tag: [o.value for o in outputs if getattr(o, "tag", None) == tag] for tag in (REJECTS, INPUTS)}
    assert len([o for o in outputs if isinstance(o, RawSample)]) == 9
    assert [(shard, r.key, r.reason) for shard, r in tagged[REJECTS]] == [("00007", "0004", "corrupt_tar")]
    ((_, info),) = tagged[INPUTS]
    assert info["samples_read"] == 10 and info["bytes"] == len(data)


def test_a_long_name_whose_member_header_is_damaged_names_nothing_after_it():
    buffer = io.BytesIO()
    long_key = "k" * 120
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        add_tar_member(tar, f"{long_key}.txt", b"a cat")
        add_tar_member(tar, "0002.txt", b"a dog")
    data = bytearray(buffer.getvalue())
    with tarfile.open(fileobj=io.BytesIO(bytes(data))) as tar:
        member = tar.getmembers()[0]
    header = member.offset_data - 512  # the member's own header, after its extended (pax) header
    data[header + 124 : header + 130] = b"999999"
    items = list(read_shard(io.BytesIO(bytes(data)), "s"))
    assert [(item.key, type(item).__name__) for item in items] == [("0002", "Reject")]
    assert items[0].reason == "corrupt_tar"
