"""Every benchmark of the project in one run, into one JSON: noun extraction, teacher inference
(and training steps), pipeline efficiency and memory, student loader vs step.

The teacher, world and dataset version come from a finished ``xpm demo`` run (default
runs/demo, the README's main command), so the figures are those of the shipped configs.

    .venv/bin/python scripts/bench_all.py [--demo runs/demo] [--small] [--json runs/bench/all.json]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

from bench_common import report


def _machine() -> dict:
    import os

    import torch

    return {
        "node": platform.node(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "python": platform.python_version(),
        "torch": torch.__version__,
    }


def _demo_inputs(demo: Path) -> dict:
    from xpm.io.dataset_version import open_version

    world, teacher = demo / "world", demo / "teacher" / "model.pt"
    if not teacher.is_file():
        sys.exit(f"bench_all: {teacher} is missing: run `xpm demo --out {demo}` first (or pass --demo DIR of a finished demo).")
    return {
        "world": world,
        "teacher": teacher,
        "version": Path(open_version(str(demo / "datasets" / "world")).path),
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", type=Path, default=Path("runs/demo"), help="a finished `xpm demo` run folder")
    parser.add_argument("--small", action="store_true", help="fewer captions, images and steps (minutes, noisier figures)")
    parser.add_argument("--json", type=Path, default=Path("runs/bench/all.json"))
    args = parser.parse_args(argv)

    import bench_nouns
    import bench_pipeline
    import bench_student_loader
    import bench_teacher

    inputs = _demo_inputs(args.demo)
    world, folder = inputs["world"], args.json.parent
    student_args = [
        "--config", "xpm/configs/student_cpu.yaml", "--data", str(inputs["version"]),
        "--base-gt", str(world / "train" / "instances_base.json"), "--base-images", str(world / "train" / "images"),
        "--split", str(world / "split.json"), "--init", str(inputs["teacher"]),
    ]
    runs = {
        "nouns": lambda: bench_nouns.main(["--captions", "20000" if args.small else "200000", "--json", str(folder / "nouns.json")]),
        "teacher": lambda: bench_teacher.main([
            "--model", str(inputs["teacher"]), "--images", str(world / "val" / "images"), "--train-steps", "3",
            "--repeats", "1" if args.small else "3", "--json", str(folder / "teacher.json"),
        ]),
        "pipeline": lambda: bench_pipeline.main([
            "--teacher", str(inputs["teacher"]), "--shards", str(world / "captioned" / "*.tar"),
            "--images", "200" if args.small else "1000", "--json", str(folder / "pipeline.json"),
        ]),
        "student_loader": lambda: bench_student_loader.main([
            *student_args, "--steps", "10" if args.small else "30", "--json", str(folder / "student_loader.json"),
        ]),
    }
    results, seconds = {}, {}
    for name, run in runs.items():
        print(f"bench_all: {name}", flush=True)
        started = time.perf_counter()
        results[name] = run()
        seconds[name] = round(time.perf_counter() - started, 1)
    return report({"benchmark": "all", "machine": _machine(), "demo": str(args.demo), "small": args.small,
                   "seconds": seconds, "results": results}, args.json)


if __name__ == "__main__":
    main()
