import io
import tarfile

import numpy as np
import pytest
from PIL import Image

from xpm.io.captioned_shards import add_tar_member

# key -> (expected outcome: "ok" or the reject reason, members)
GOOD_CAPTION = "a dog and a cat on a sofa".encode()


def _encoded(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def bad_input_samples() -> list[tuple[str, str, dict[str, bytes]]]:
    rng = np.random.default_rng(0)
    rgb = Image.fromarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8))
    jpeg = _encoded(rgb, "JPEG")
    rgba = Image.fromarray(rng.integers(0, 255, (40, 40, 4), dtype=np.uint8), "RGBA")
    sixteen = Image.fromarray(rng.integers(0, 65535, (40, 40), dtype=np.uint16))
    bomb = Image.new("1", (8000, 6000))
    return [
        ("000000000", "ok", {"jpg": jpeg, "txt": GOOD_CAPTION}),
        ("000000001", "undecodable_image", {"jpg": b"\xff\xd8\xff\xe0" + bytes(rng.integers(0, 255, 600, dtype=np.uint8)), "txt": GOOD_CAPTION}),
        ("000000002", "undecodable_image", {"jpg": jpeg[: len(jpeg) // 2], "txt": GOOD_CAPTION}),
        ("000000003", "empty_image_file", {"jpg": b"", "txt": GOOD_CAPTION}),
        ("000000004", "ok", {"png": _encoded(rgba, "PNG"), "txt": GOOD_CAPTION}),
        ("000000005", "ok", {"jpg": _encoded(rgb.convert("CMYK"), "JPEG"), "txt": GOOD_CAPTION}),
        ("000000006", "ok", {"jpg": _encoded(rgb.convert("L"), "JPEG"), "txt": GOOD_CAPTION}),
        ("000000007", "ok", {"png": _encoded(sixteen, "PNG"), "txt": GOOD_CAPTION}),
        ("000000008", "image_too_small", {"png": _encoded(Image.new("RGB", (1, 1)), "PNG"), "txt": GOOD_CAPTION}),
        ("000000009", "image_too_large", {"png": _encoded(bomb, "PNG"), "txt": GOOD_CAPTION}),
        ("000000010", "missing_caption", {"jpg": jpeg}),
        ("000000011", "caption_not_utf8", {"jpg": jpeg, "txt": b"caf\xe9 with a dog"}),
        ("000000012", "pickle_member", {"jpg": jpeg, "txt": GOOD_CAPTION, "pkl": b"\x80\x04K\x01."}),
        ("000000013", "ok", {"jpg": jpeg, "txt": GOOD_CAPTION}),
    ]


def write_tar(path, samples, truncate_last: bool = False) -> None:
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:
        for key, _, parts in samples:
            for extension, data in parts.items():
                add_tar_member(tar, f"{key}.{extension}", data)
    if truncate_last:
        data = path.read_bytes()
        path.write_bytes(data[: len(data) - 2048 - 300])


@pytest.fixture(scope="session")
def bad_input_shard(tmp_path_factory):
    """A shard holding every kind of bad input the pipeline must survive, ending truncated;
    returns (path, {key: expected outcome})."""
    samples = bad_input_samples()
    samples.append(("000000014", "truncated_tar", {"jpg": samples[0][2]["jpg"] * 3, "txt": GOOD_CAPTION}))
    path = tmp_path_factory.mktemp("bad") / "00000.tar"
    write_tar(path, samples, truncate_last=True)
    return path, {key: outcome for key, outcome, _ in samples}


@pytest.fixture(scope="session")
def inputs(tiny_world, bad_input_shard, tmp_path_factory):
    """The tiny world's captioned shards and the bad-input shard, in one folder."""
    import shutil

    folder = tmp_path_factory.mktemp("inputs")
    for tar in sorted((tiny_world / "captioned").glob("*.tar")):
        shutil.copy(tar, folder / tar.name)
    shutil.copy(bad_input_shard[0], folder / "00099.tar")
    return folder
