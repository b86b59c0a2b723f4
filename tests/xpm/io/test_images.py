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
