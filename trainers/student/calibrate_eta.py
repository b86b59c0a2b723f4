"""``xpm calibrate-eta``: Eq. 7's eta as the paper sets it — the smallest average pseudo-mask
noise level over captioned images, as estimated by a student trained on a subset of them
(paper 4.1 and its footnote 2)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from xpm.arguments import existing_file, existing_folder

if TYPE_CHECKING:
    import torch

HELP = "set Eq. 7's eta: the smallest per-image average noise a trained student predicts on captioned images"


def image_noise_levels(student, batches, device: torch.device, total: int | None = None) -> list[float]:
    """Per captioned image: the mean over its pseudo regions of g_Noise's mean variance."""
    import torch

    from trainers.engine.batch import to_device
    from xpm.progress import Progress

    progress = Progress("calibrate-eta", "images", total=total)
    levels = []
    student.eval()
    with torch.inference_mode():
        for images, targets in batches:
            _, _, variance, _ = student.caption_outputs(*to_device(images, targets, device))
            per_region = variance.flatten(start_dim=1).mean(dim=1)
            for chunk in per_region.split([len(t["boxes"]) for t in targets]):
                if len(chunk):
                    levels.append(float(chunk.mean()))
            progress.update(len(targets))
    return levels


def calibrate_eta(model_path: str | Path, data: str | Path, *, images: int, device: str = "auto", seed: int = 0) -> dict:
    from trainers.data.pseudo_label_shards import open_version_data, pseudo_label_stream
    from xpm.config import ConfigError
    from xpm.device import resolve_device
    from xpm.modeling.checkpoint import read_checkpoint
    from xpm.modeling.student import student_from_checkpoint

    if images < 1:
        raise ConfigError(f"--images {images}: at least 1.")
    torch_device = resolve_device(device)
    student = student_from_checkpoint(read_checkpoint(model_path), torch_device)
    version = open_version_data(data)
    batch_size = 8
    stream = pseudo_label_stream(version, seed=seed, shuffle_buffer=1, batch_size=batch_size,
                                 epoch=-(-min(images, version.samples) // batch_size))
    levels = image_noise_levels(student, stream, torch_device, total=-(-min(images, version.samples) // batch_size) * batch_size)
    if not levels:
        raise ConfigError(f"{data} gave no captioned image with pseudo labels.")
    levels.sort()
    return {"eta": levels[0], "images": len(levels), "median_noise": levels[len(levels) // 2], "max_noise": levels[-1]}


def add_arguments(parser) -> None:
    parser.add_argument("--model", type=existing_file, required=True, help="a student checkpoint trained on a subset (its noise head is used)")
    parser.add_argument("--data", type=existing_folder, required=True, help="dataset version ROOT/NAME/vN")
    parser.add_argument("--images", type=int, default=10000, help="captioned images to measure (paper: 10k)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--device", default="auto")


def run(args) -> int:
    result = calibrate_eta(args.model, args.data, images=args.images, device=args.device)
    print(f"eta = {result['eta']:.6g}  (smallest of {result['images']} per-image average noise levels; "
          f"median {result['median_noise']:.4g}, largest {result['max_noise']:.4g}); train with --eta {result['eta']:.6g} "
          "--set alpha_scale=eta (the default alpha_scale, batch-mean, needs no eta)")
    return 0
