import numpy as np
import pytest
from PIL import Image

from xpm.visualize import draw_instances


def _scene(size: int):
    image = Image.new("RGB", (size, size), (128, 128, 128))
    masks = np.zeros((2, size, size), bool)
    masks[0, size // 8 : size // 2, size // 8 : size // 2] = True
    masks[1, size // 2 : 7 * size // 8, size // 2 : 7 * size // 8] = True
    boxes = [[size / 8, size / 8, size / 2, size / 2], [size / 2, size / 2, 7 * size / 8, 7 * size / 8]]
    return image, boxes, masks


@pytest.mark.parametrize("size", [64, 800])
def test_each_instance_gets_its_own_colour_and_the_rest_is_untouched(size):
    image, boxes, masks = _scene(size)
    drawn = np.asarray(draw_instances(image, boxes, masks, ["dog", "teddy bear"], [0.91, 0.4]))
    assert drawn.shape == (size, size, 3)
    # The middle of each mask, clear of its outline, box and tag.
    first = drawn[3 * size // 8, 3 * size // 8].astype(int)
    second = drawn[3 * size // 4, 3 * size // 4].astype(int)
    assert (first != 128).any() and (second != 128).any() and (first != second).any()
    assert (drawn[size - 2, 1] == 128).all()


def test_tags_are_drawn_above_their_box():
    image, boxes, masks = _scene(400)
    with_tags = np.asarray(draw_instances(image, boxes, masks, ["dog", "cat"], [0.9, 0.8]))
    without = np.asarray(draw_instances(image, boxes, masks))
    # The first tag sits above its box, where no mask or box line is.
    band = (slice(20, 49), slice(51, 120))
    assert (with_tags[band] != without[band]).any()


def test_display_size_enlarges_small_images_and_scales_the_boxes():
    image, boxes, masks = _scene(64)
    drawn = draw_instances(image, boxes, masks, ["dog", "cat"], None, display_size=256)
    assert drawn.size == (256, 256)
    pixels = np.asarray(drawn)
    assert (pixels[3 * 256 // 8, 3 * 256 // 8] != 128).any()
    assert draw_instances(Image.new("RGB", (500, 300)), [], None, display_size=256).size == (500, 300)


def test_no_instances_and_boxes_only():
    image = Image.new("RGB", (32, 48), (10, 20, 30))
    assert np.array_equal(np.asarray(draw_instances(image, np.zeros((0, 4)), np.zeros((0, 48, 32), bool), [], [])), np.asarray(image))
    boxed = np.asarray(draw_instances(image, [[4, 4, 20, 30]], None, None, None, colors=[(255, 0, 0)]))
    assert tuple(boxed[4, 10]) == (255, 0, 0) and tuple(boxed[15, 10]) == (10, 20, 30)


def test_mismatched_inputs_are_refused_naming_the_shape():
    image, boxes, masks = _scene(64)
    with pytest.raises(ValueError, match=r"masks must be \[2, 64, 64\]"):
        draw_instances(image, boxes, masks[:, :32])
    with pytest.raises(ValueError, match="labels must have one entry per box"):
        draw_instances(image, boxes, masks, ["dog"])
