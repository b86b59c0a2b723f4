import torch
from torchvision.models.detection.roi_heads import paste_masks_in_image

from xpm.modeling.mask_paste import paste_masks


def test_a_full_mask_fills_exactly_its_box():
    pasted = paste_masks(torch.ones(1, 28, 28), torch.tensor([[10.0, 20.0, 30.0, 50.0]]), 64, 48)
    assert pasted.shape == (1, 64, 48)
    binary = pasted[0] >= 0.5
    ys, xs = torch.nonzero(binary, as_tuple=True)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (10, 29, 20, 49)
    assert binary.sum() == 20 * 30


def test_agrees_with_torchvision_pasting():
    # Smooth blobs, as a mask head predicts: thresholded noise would only compare interpolation noise.
    torch.manual_seed(0)
    grid = torch.linspace(-1, 1, 28)
    centres, radii = torch.rand(5, 2) - 0.5, 0.3 + 0.5 * torch.rand(5)
    distance = (grid[None, None, :] - centres[:, 0, None, None]) ** 2 + (grid[None, :, None] - centres[:, 1, None, None]) ** 2
    masks = torch.sigmoid((radii[:, None, None] ** 2 - distance) * 20)
    boxes = torch.tensor([[3.0, 4, 40, 30], [0, 0, 63, 63], [10, 12, 20, 50], [30.5, 2.2, 60.7, 20.1], [5, 5, 6, 6]])
    ours = paste_masks(masks, boxes, 64, 64) >= 0.5
    theirs = paste_masks_in_image(masks[:, None], boxes, (64, 64))[:, 0] >= 0.5
    for a, b in zip(ours, theirs):
        union = (a | b).sum().item()
        # Rounding of box edges differs by at most a pixel; a 25-pixel mask feels that most.
        assert union == 0 or (a & b).sum().item() / union > 0.75


def test_no_boxes_give_no_masks():
    assert paste_masks(torch.zeros(0, 28, 28), torch.zeros(0, 4), 10, 12).shape == (0, 10, 12)
