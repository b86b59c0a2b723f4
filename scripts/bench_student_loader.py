"""Benchmark: does the student's shard loader starve training?

Times ``--steps`` student training steps fed by the real loaders (base GT + dataset-version
stream) against the same number of steps on one cached batch, same model, same run; the ratio
should be >= 0.95. Also times the caption loader alone (decoded images/s) with 0 and 1 workers.

    .venv/bin/python scripts/bench_student_loader.py --config xpm/configs/student_cpu.yaml \
        --data ROOT/NAME/vN --base-gt GT.json --base-images DIR --split SPLIT.json --init TEACHER.pt
"""

from __future__ import annotations

import argparse
import itertools
import platform
import time
from pathlib import Path

from bench_common import report


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("config", "data", "base-gt", "base-images", "split", "init"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--loader-images", type=int, default=400)
    parser.add_argument("--json", type=Path, default=Path("runs/bench/student_loader.json"))
    args = parser.parse_args(argv)

    import torch

    from trainers.data.batch_order import BatchOrder
    from trainers.data.pseudo_label_shards import open_version_data, pseudo_label_stream
    from trainers.engine.batch import collate, to_device
    from trainers.student.config import StudentConfig
    from trainers.student.train import base_instances
    from xpm.config import load_config
    from xpm.modeling.checkpoint import detector_from_checkpoint, read_checkpoint
    from xpm.modeling.student import RobustStudent

    config = load_config(StudentConfig, args.config, {"data": args.data, "base_gt": args.base_gt, "base_images": args.base_images,
                                                      "split": args.split, "init": args.init})
    device = torch.device("cpu")
    data = open_version_data(config.data)
    teacher = read_checkpoint(config.init)
    base = base_instances(config, teacher)
    student = RobustStudent(detector_from_checkpoint(teacher, device)).train()
    optimizer = torch.optim.AdamW(student.parameters(), lr=1e-5)
    vocabulary, settings = data.vocabulary.embeddings, config.caption_settings()

    def loaders(workers: int, steps: int):
        base_loader = torch.utils.data.DataLoader(
            base, batch_sampler=BatchOrder(len(base), config.optim.batch_size, seed=0, start=0, stop=steps, flip=True),
            num_workers=workers, collate_fn=collate)
        stream = pseudo_label_stream(data, seed=0, shuffle_buffer=config.shuffle_buffer, epoch=steps,
                                     batch_size=config.caption_batch_size)
        caption_loader = torch.utils.data.DataLoader(stream, batch_size=None, num_workers=workers)
        return zip(base_loader, caption_loader)

    def step(batch):
        (bi, bt), (ci, ct) = batch
        losses, _ = student(to_device(bi, bt, device), to_device(ci, ct, device), vocabulary, settings)
        optimizer.zero_grad()
        sum(losses.values()).backward()
        optimizer.step()

    def timed(batches) -> float:
        started = time.perf_counter()
        for batch in batches:
            step(batch)
        return args.steps / (time.perf_counter() - started)

    cached = next(iter(loaders(0, 1)))
    step(cached)  # warm-up
    real_rate = timed(loaders(config.engine.num_workers, args.steps))
    cached_rate = timed(itertools.repeat(cached, args.steps))
    loader_rates = {}
    for workers in (0, 1):
        stream = pseudo_label_stream(data, seed=1, shuffle_buffer=config.shuffle_buffer, epoch=args.loader_images)
        loader = torch.utils.data.DataLoader(stream, batch_size=None, num_workers=workers)
        started = time.perf_counter()
        count = sum(1 for _ in loader)
        loader_rates[f"workers_{workers}"] = round(count / (time.perf_counter() - started), 1)
    result = {
        "benchmark": "student_loader",
        "machine": f"{platform.node()} {platform.processor() or platform.machine()}, CPU",
        "steps": args.steps,
        "steps_per_second_real_loader": round(real_rate, 3),
        "steps_per_second_cached_batch": round(cached_rate, 3),
        "ratio": round(real_rate / cached_rate, 3),
        "target_ratio": 0.95,
        "caption_loader_images_per_second": loader_rates,
    }
    return report(result, args.json)


if __name__ == "__main__":
    main()
