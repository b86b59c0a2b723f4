"""A sheet in the style of the paper's Figure 3: captioned images with their pseudo masks, and
per caption noun the student's predicted noise map (g_Noise pasted over its region) and its
reliability alpha (Eq. 7). Bright = noisy (scaled to the sheet's noisiest pixel, since the noise
head's range shrinks as it trains); a low alpha is a pseudo label the student distrusts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from xpm.io.captioned_shards import read_captioned_shard

def _first_samples(data, count: int):
    from xpm.io.pseudo_label_samples import decode_pseudo_sample

    rows = data.vocabulary.index_of()
    for shard in data.shards:
        for key, parts in read_captioned_shard(Path(shard)):
            image, target = decode_pseudo_sample({"__key__": key, **parts}, rows)
            if len(target["boxes"]):
                yield image, target, parts.get("txt", b"").decode("utf-8", "replace")
                count -= 1
                if count == 0:
                    return


def _noise_picture(image: torch.Tensor, box: torch.Tensor, noise: torch.Tensor, brightest: float) -> Image.Image:
    """The image dimmed, with the region's noise map as a heat overlay (black -> red -> yellow)."""
    from xpm.modeling.mask_paste import paste_masks

    height, width = image.shape[1:]
    pasted = paste_masks(noise[None], box[None], height, width)[0].clamp(0, brightest) / brightest
    heat = torch.stack([pasted.clamp(0, 0.5) * 2, (pasted - 0.5).clamp(0, 0.5) * 2, torch.zeros_like(pasted)])
    inside = torch.zeros(height, width, dtype=torch.bool)
    x1, y1, x2, y2 = (int(round(float(v))) for v in box)
    inside[max(y1, 0):max(y2, 0), max(x1, 0):max(x2, 0)] = True
    picture = torch.where(inside, heat, image * 0.35)
    return Image.fromarray((picture.permute(1, 2, 0).numpy() * 255).astype(np.uint8))


@torch.inference_mode()
def noise_sheet(student_path: str | Path, version: str | Path, settings, *, images: int) -> Image.Image:
    """``settings``: the student's ``CaptionLossSettings`` (how its alpha was computed)."""
    from trainers.data.pseudo_label_shards import open_version_data
    from xpm.modeling.checkpoint import read_checkpoint
    from xpm.modeling.student import student_from_checkpoint
    from xpm.modeling.student_losses import reliability
    from xpm.visualize import contact_sheet, draw_instances

    student = student_from_checkpoint(read_checkpoint(student_path), torch.device("cpu")).eval()
    data = open_version_data(version)
    samples = [(image, target, caption, student.caption_outputs([image], [target])[2])
               for image, target, caption in _first_samples(data, images)]
    if not samples:
        raise ValueError(f"{version} has no captioned image with pseudo labels to draw.")
    brightest = max(float(variance.max()) for *_, variance in samples)
    cells, captions = [], []
    for image, target, caption, variance in samples:
        # Eq. 7's alpha over the image's labels whatever weight the student trained with: the
        # sheet shows what g_Noise sees
        alpha = reliability(variance, settings.eta, settings.alpha_cap, "eta" if settings.alpha_scale == "eta" else "batch-mean")
        words = [data.vocabulary.words[i] for i in target["vocab_index"].tolist()]
        pil = Image.fromarray((image.permute(1, 2, 0).numpy() * 255).astype(np.uint8))
        cells.append(draw_instances(pil, target["boxes"].numpy(), target["masks"].numpy(), words, None, display_size=256))
        captions.append(caption)
        for box, noise, word, weight in zip(target["boxes"], variance, words, alpha.tolist()):
            cells.append(_noise_picture(image, box, noise, brightest))
            captions.append(f"{word}: mean noise {float(noise.mean()):.2g}, alpha {weight:.2f}")
    return contact_sheet(cells, captions, columns=4, cell_size=224)
