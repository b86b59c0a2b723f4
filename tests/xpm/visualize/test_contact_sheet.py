import numpy as np
import pytest
from PIL import Image

from xpm.visualize import contact_sheet


def test_tiles_in_rows_with_captions():
    images = [Image.new("RGB", (64, 64), (255, 0, 0)), Image.new("RGB", (200, 100), (0, 0, 255))] * 3
    captions = ["a dog and a cat on a very long sofa that never seems to end at all"] + ["x"] * 5
    sheet = contact_sheet(images, captions, columns=4, cell_size=100)
    assert sheet.mode == "RGB"
    one_row = contact_sheet(images[:4], captions[:4], columns=4, cell_size=100)
    assert sheet.width == one_row.width and sheet.height == 2 * one_row.height - 4
    pixels = np.asarray(sheet)
    # Small images are enlarged to the cell; wide ones keep their aspect (letterboxed).
    assert tuple(pixels[4 + 50, 4 + 50]) == (255, 0, 0)
    assert tuple(pixels[4 + 10, 4 + 104 + 50]) == (255, 255, 255) and tuple(pixels[4 + 50, 4 + 104 + 50]) == (0, 0, 255)


def test_default_layout_is_square_and_captions_are_optional():
    sheet = contact_sheet([Image.new("RGB", (10, 10))] * 5, cell_size=20)
    assert sheet.size == (3 * (20 + 4) + 4, 2 * (20 + 4) + 4)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="at least one image"):
        contact_sheet([])
    with pytest.raises(ValueError, match="one entry per image"):
        contact_sheet([Image.new("RGB", (4, 4))], ["a", "b"])
