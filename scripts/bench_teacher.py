"""Benchmark: teacher inference images/s (batched, ``torch.inference_mode``) per configuration,
and with ``--train-steps`` training seconds per step.

Each configuration in ``xpm/configs/teacher_*.yaml`` plus the paper's (ResNet-50-FPN, 800 px)
is timed on the machine at hand; on CUDA with AMP (bf16/fp16) as the pipeline runs it. Weights
come from ``--model`` when given (a trained model returns realistic detection counts, which the
mask pasting cost depends on), otherwise from a fresh initialisation. Images are the synthetic
world's validation images when ``--images`` is given, else uniform noise, resized by the model.

    .venv/bin/python scripts/bench_teacher.py [--model runs/demo/teacher/model.pt] [--images DIR] [--json OUT]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import statistics
import time
from pathlib import Path

from bench_common import report

PAPER_SIZE = 800


def _configs(root: Path):
    from trainers.teacher.config import TeacherConfig
    from xpm.config import load_config
    from xpm.modeling.config import ModelConfig

    configs = {"paper-resnet50-800": (ModelConfig(backbone_weights="none"), PAPER_SIZE)}
    for path in sorted(root.glob("teacher_*.yaml")):
        model = load_config(TeacherConfig, path, {"train_gt": "-", "train_images": "-", "split": "-"}).model
        configs[path.stem] = (model, model.min_size)
    return configs


def _images(directory: Path | None, size: int, count: int):
    import torch

    from trainers.evaluation.inference import image_tensor

    if directory is not None:
        paths = sorted(p for p in directory.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))[:count]
        if paths:
            return [image_tensor(p) for p in paths]
    generator = torch.Generator().manual_seed(0)
    return [torch.rand(3, size, size, generator=generator) for _ in range(count)]


def measure(model, images, *, batch_size: int, device, repeats: int) -> list[float]:
    import torch

    amp = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else contextlib.nullcontext()
    rates = []
    with torch.inference_mode(), amp:
        model(images[:batch_size])  # warm-up: allocator, cudnn autotune
        for _ in range(repeats):
            if device.type == "cuda":
                torch.cuda.synchronize()
            started = time.perf_counter()
            for start in range(0, len(images), batch_size):
                model(images[start : start + batch_size])
            if device.type == "cuda":
                torch.cuda.synchronize()
            rates.append(len(images) / (time.perf_counter() - started))
    return rates


def _training_targets(images, classes: int, generator):
    """One to four random boxes per image, each filled by its mask: the losses' shapes and costs
    are those of real ground truth, which is all a step-time measurement needs."""
    import torch

    targets = []
    for image in images:
        _, height, width = image.shape
        count = int(torch.randint(1, 5, (), generator=generator))
        corner = torch.rand(count, 2, generator=generator) * torch.tensor([width * 0.6, height * 0.6])
        size = (0.2 + 0.2 * torch.rand(count, 2, generator=generator)) * torch.tensor([width, height])
        boxes = torch.cat([corner, corner + size], dim=1).round()
        masks = torch.zeros(count, height, width, dtype=torch.uint8)
        for index, (x1, y1, x2, y2) in enumerate(boxes.int().tolist()):
            masks[index, y1:y2, x1:x2] = 1
        labels = torch.randint(1, classes + 1, (count,), generator=generator)
        targets.append({"boxes": boxes, "labels": labels, "masks": masks})
    return targets


def measure_training(model, images, *, batch_size: int, device, steps: int) -> list[float]:
    """Seconds per optimizer step (forward, backward, AdamW) over ``steps`` steps after one warm-up."""
    import torch

    generator = torch.Generator().manual_seed(0)
    batch = images[:batch_size]
    classes = len(model.class_embeddings)
    targets = [{k: v.to(device) for k, v in t.items()} for t in _training_targets(batch, classes, generator)]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    amp = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else contextlib.nullcontext()
    model.train()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    seconds = []
    for step in range(steps + 1):
        if device.type == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        with amp:
            loss = sum(model(batch, targets).values())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if step:
            seconds.append(time.perf_counter() - started)
    model.eval()
    return seconds


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a trained checkpoint; its configuration is timed with its weights")
    parser.add_argument("--images", type=Path, help="folder of images (default: noise)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--images-per-run", type=int, default=32)
    parser.add_argument("--batch-sizes", default="1,8")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--train-steps", type=int, default=0, help="also time this many training steps per batch size")
    parser.add_argument("--paper-on-cpu", action="store_true", help="also time ResNet-50 at 800 px on CPU (seconds per image)")
    parser.add_argument("--json", type=Path, default=Path("runs/bench/teacher.json"))
    args = parser.parse_args(argv)

    import torch
    import torch.nn.functional as F

    from xpm.device import resolve_device
    from xpm.modeling.backbone import build_backbone
    from xpm.modeling.checkpoint import detector_from_checkpoint, read_checkpoint
    from xpm.modeling.detector import build_detector

    device = resolve_device(args.device)
    root = Path(__file__).resolve().parent.parent / "xpm" / "configs"
    entries = []
    for name, (config, size) in _configs(root).items():
        if name.startswith("paper") and device.type == "cpu" and not args.paper_on_cpu:
            continue
        if args.model is not None and read_checkpoint(args.model).model_config == config:
            model, weights = detector_from_checkpoint(read_checkpoint(args.model), device), str(args.model)
        else:
            torch.manual_seed(0)
            model = build_detector(config, embedding_dim=384, backbone=build_backbone(config, pretrained_from=None, pretrained=False))
            model.to(device).set_vocabulary(F.normalize(torch.randn(48, 384), dim=1))
            weights = "random init"
        model.eval()
        count = args.images_per_run if not (name.startswith("paper") and device.type == "cpu") else 4
        images = [image.to(device) for image in _images(args.images if not name.startswith("paper") else None, size, count)]
        for batch_size in (int(b) for b in args.batch_sizes.split(",")):
            rates = measure(model, images, batch_size=batch_size, device=device, repeats=args.repeats)
            entry = {
                "config": name, "image_size": size, "batch_size": batch_size, "mode": "inference", "weights": weights,
                "images_per_second_median": round(statistics.median(rates), 2),
                "images_per_second_runs": [round(r, 2) for r in rates],
            }
            entries.append(entry)
            print(json.dumps(entry))
        for batch_size in (int(b) for b in args.batch_sizes.split(",")) if args.train_steps else ():
            if batch_size > len(images):
                continue
            seconds = measure_training(model, images, batch_size=batch_size, device=device, steps=args.train_steps)
            entry = {
                "config": name, "image_size": size, "batch_size": batch_size, "mode": "train",
                "seconds_per_step_median": round(statistics.median(seconds), 4),
                "images_per_second": round(batch_size / statistics.median(seconds), 2),
                "peak_memory_mib": round(torch.cuda.max_memory_allocated(device) / 2**20) if device.type == "cuda" else None,
            }
            entries.append(entry)
            print(json.dumps(entry))
    result = {
        "benchmark": "teacher_inference",
        "machine": f"{platform.node()} {platform.processor() or platform.machine()}, "
        + (torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"),
        "device": str(device),
        "amp": device.type == "cuda",
        "results": entries,
    }
    return report(result, args.json)


if __name__ == "__main__":
    main()
