import numpy as np
import torch
from PIL import Image

from xpm.io.images import rgb_tensor


def test_pixels_become_a_channels_first_float_image_without_sharing_memory():
    pixels = np.zeros((2, 3, 3), dtype=np.uint8)
    pixels[1, 2] = (255, 0, 51)
    pixels.setflags(write=False)
    image = rgb_tensor(pixels)
    assert image.shape == (3, 2, 3) and image.dtype == torch.float32
    torch.testing.assert_close(image[:, 1, 2], torch.tensor([1.0, 0.0, 0.2]))
    image.zero_()
    assert pixels[1, 2, 0] == 255


def test_a_pil_image_converts_the_same_as_its_array():
    pixels = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    torch.testing.assert_close(rgb_tensor(Image.fromarray(pixels)), rgb_tensor(pixels))


def _png(image: Image.Image) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _rgba_and_16_bit_pngs() -> dict[str, bytes]:
    rgba = np.zeros((20, 24, 4), dtype=np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, np.linspace(0, 255, 24, dtype=np.uint8)[None, :]
    deep = (np.arange(20 * 24, dtype=np.uint16).reshape(20, 24) * 130).astype(np.uint16)
    return {"rgba": _png(Image.fromarray(rgba)), "16-bit": _png(Image.fromarray(deep))}


def test_teacher_student_and_evaluation_see_the_same_pixels(tmp_path):
    import json

    from xpm.io.decode import decode_sample
    from xpm.io.records import RawSample
    from schemas.pseudo_label import PseudoLabels
    from xpm.io.images import read_rgb
    from xpm.io.pseudo_label_samples import decode_pseudo_sample

    for name, data in _rgba_and_16_bit_pngs().items():
        teacher = rgb_tensor(decode_sample(RawSample("k", "in.tar", {"png": data, "txt": b"a cat"})).pixels)
        labels = PseudoLabels("k", 24, 20, "0" * 64, ())
        student, _ = decode_pseudo_sample({"__key__": "k", "png": data, "json": json.dumps(labels.to_json()).encode()}, {})
        (tmp_path / f"{name}.png").write_bytes(data)
        evaluation = rgb_tensor(read_rgb(tmp_path / f"{name}.png"))
        torch.testing.assert_close(student, teacher, rtol=0, atol=0, msg=name)
        torch.testing.assert_close(evaluation, teacher, rtol=0, atol=0, msg=name)
    # Transparency composited onto white, 16-bit scaled by 65535, not clipped at 255.
    rgba = rgb_tensor(read_rgb(tmp_path / "rgba.png"))
    torch.testing.assert_close(rgba[:, 0, 0], torch.tensor([1.0, 1.0, 1.0]))
    assert 0.05 < rgb_tensor(read_rgb(tmp_path / "16-bit.png"))[0].mean() < 0.95
