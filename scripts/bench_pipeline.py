"""Benchmark: pseudo-labeling pipeline efficiency and memory.

Efficiency = images/s of the whole ``xpm pseudo-label`` job (read, decode, nouns, batched teacher
inference with Eq. 2/4, shard writing, manifest) divided by images/s of the bare batched
``model.align`` forward on the same decoded images with the same nouns and batch size, in the
same run. Memory: peak RSS of the job (a child process) for N and 4N input images.
``--runner dask`` runs the job on a local Dask cluster (``--dask-workers`` single-threaded worker
processes, DaskRunner) instead, ``--runner both`` on both in one run, for the N-image run; the
memory figures are the launcher's, so they are taken on the local runner only.

    .venv/bin/python scripts/bench_pipeline.py --teacher RUN/model.pt --shards 'WORLD/captioned/*.tar' \
        [--runner local|dask|both] [--dask-workers 2] [--no-4n] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_common import report


def bare_forward_rate(teacher: str, shards: list[Path], images: int, batch_size: int) -> tuple[float, int]:
    import torch

    from xpm.io.decode import decode_sample
    from pipeline.inference.teacher_handler import AlignRequest, TeacherModelHandler
    from xpm.text.word_embeddings import WordEmbeddings
    from xpm.nouns import NounExtractor, load_lexicon
    from pipeline.read.shard_reader import read_shard
    from xpm.io.records import DecodedSample, RawSample
    from xpm.modeling.checkpoint import read_checkpoint, text_embedder_for

    extract = NounExtractor(load_lexicon())
    embed = WordEmbeddings(text_embedder_for(read_checkpoint(teacher)))
    requests = []
    for shard in shards:
        with open(shard, "rb") as stream:
            for raw in read_shard(stream, shard.stem):
                decoded = decode_sample(raw) if isinstance(raw, RawSample) else None
                if isinstance(decoded, DecodedSample):
                    nouns = extract(decoded.caption).nouns
                    if nouns:
                        requests.append(AlignRequest(decoded.key, decoded.pixels, embed([n.lemma for n in nouns])))
        if len(requests) >= images:
            break
    requests = requests[:images]
    handler = TeacherModelHandler(teacher, device="cpu" if not torch.cuda.is_available() else "cuda")
    model = handler.load_model()
    handler.run_inference(requests[:batch_size], model)  # warm-up
    started = time.perf_counter()
    for start in range(0, len(requests), batch_size):
        handler.run_inference(requests[start : start + batch_size], model)
    return len(requests) / (time.perf_counter() - started), len(requests)


def pipeline_run(teacher: str, inputs: list[Path], batch_size: int, beam_args: tuple[str, ...] = ()) -> dict:
    """Runs the job in a child process on copies of ``inputs``; wall time and its peak RSS."""
    work = Path(tempfile.mkdtemp(prefix="xpm-bench-"))
    try:
        folder = work / "in"
        folder.mkdir()
        for index, shard in enumerate(inputs):
            shutil.copy(shard, folder / f"{index:05d}.tar")
        command = [sys.executable, "-m", "commands.cli", "pseudo-label", "--input", str(folder / "*.tar"), "--teacher", teacher,
                   "--output", str(work / "out"), "--name", "bench", "--device", "auto",
                   "--min-batch-size", str(batch_size), "--max-batch-size", str(batch_size), "--quiet", *beam_args]
        # A fresh parent per run: RUSAGE_CHILDREN's peak is a maximum over every child ever waited for.
        probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); "
                 "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
        started = time.perf_counter()
        output = subprocess.run([sys.executable, "-c", probe, *command], check=True, capture_output=True, text=True).stdout
        seconds = time.perf_counter() - started
        manifest = json.loads(next((work / "out" / "bench").glob("v*/manifest.json")).read_text())
        return {"seconds": round(seconds, 2), "samples_read": manifest["counts"]["samples_read"],
                "samples": manifest["counts"]["samples"], "peak_rss_mib": round(int(output.split()[-1]) / 1024, 1)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teacher", required=True)
    parser.add_argument("--shards", required=True, help="glob of captioned input shards (e.g. the synthetic world's)")
    parser.add_argument("--images", type=int, default=1000, help="N: the efficiency run and the first memory run")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--runner", choices=("local", "dask", "both"), default="local")
    parser.add_argument("--dask-workers", type=int, default=2)
    parser.add_argument("--no-4n", action="store_true", help="skip the 4N memory run: speed and runners only")
    parser.add_argument("--json", type=Path, default=Path("runs/bench/pipeline.json"))
    args = parser.parse_args(argv)

    import glob

    shards = [Path(p) for p in sorted(glob.glob(args.shards))]
    if not shards:
        raise SystemExit(f"--shards {args.shards!r} matches nothing")
    per_shard = json.loads(shards[0].with_name(shards[0].stem + "_stats.json").read_text())["count"]
    needed = max(1, args.images // per_shard)
    small = [shards[i % len(shards)] for i in range(needed)]
    large = [shards[i % len(shards)] for i in range(4 * needed)]
    bare_rate, bare_images = bare_forward_rate(args.teacher, small, args.images, args.batch_size)
    result = {
        "benchmark": "pseudo_label_pipeline",
        "machine": f"{platform.node()} {platform.processor() or platform.machine()}",
        "batch_size": args.batch_size,
        "bare_forward_images_per_second": round(bare_rate, 2),
        "bare_forward_images": bare_images,
        "target_efficiency": 0.9,
    }
    if args.runner in ("local", "both"):
        small_run = pipeline_run(args.teacher, small, args.batch_size)
        pipeline_rate = small_run["samples"] / small_run["seconds"]
        result["local"] = {
            "runner": "FnApiRunner (local default)",
            "pipeline_images_per_second_n": round(pipeline_rate, 2),
            "efficiency_n": round(pipeline_rate / bare_rate, 3),
            "run_n": small_run,
        }
        if not args.no_4n:
            # The job's fixed start-up (imports, Beam, teacher and text model loading) weighs on N
            # images and fades at 4N: both ratios are reported, against the same bare forward rate.
            large_run = pipeline_run(args.teacher, large, args.batch_size)
            large_rate = large_run["samples"] / large_run["seconds"]
            result["local"].update({
                "pipeline_images_per_second_4n": round(large_rate, 2),
                "efficiency_4n": round(large_rate / bare_rate, 3),
                "run_4n": large_run,
                "peak_rss_ratio_4n_over_n": round(large_run["peak_rss_mib"] / small_run["peak_rss_mib"], 3),
            })
    if args.runner in ("dask", "both"):
        from pipeline.dask_cluster import LocalDaskCluster

        with tempfile.TemporaryDirectory(prefix="xpm-dask-") as logs, LocalDaskCluster(logs, workers=args.dask_workers) as cluster:
            dask_run = pipeline_run(args.teacher, small, args.batch_size,
                                    ("--runner", "DaskRunner", "--dask_client_address", cluster.address, "--shards-per-pipeline", "0"))
        dask_rate = dask_run["samples"] / dask_run["seconds"]
        result["dask"] = {
            "runner": f"DaskRunner, {args.dask_workers} single-threaded worker processes on this machine",
            "pipeline_images_per_second_n": round(dask_rate, 2),
            "efficiency_n": round(dask_rate / bare_rate, 3),
            "run_n": {k: v for k, v in dask_run.items() if k != "peak_rss_mib"},
        }
        if "local" in result:
            result["dask_over_local_n"] = round(dask_rate / result["local"]["pipeline_images_per_second_n"], 3)
    return report(result, args.json)


if __name__ == "__main__":
    main()
