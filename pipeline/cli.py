"""``xpm pseudo-label``: captioned shards + a teacher -> a new dataset version ROOT/NAME/vN."""

from __future__ import annotations

from xpm.arguments import existing_file

HELP = "pseudo-label captioned shards with a teacher (Apache Beam) into an immutable dataset version"
PASSES_BEAM_OPTIONS = True


def add_arguments(parser) -> None:
    from pipeline.shard import add_source_arguments

    parser.add_argument("--input", help="input shards: 'DIR/{00000..00099}.tar', a glob, or a comma list "
                        "(or give a source below: it is sharded first, as `xpm shard` does)")
    parser.add_argument("--teacher", help="teacher checkpoint (model.pt of train-teacher)")
    parser.add_argument("--output", help="dataset root: the version goes to ROOT/NAME/vN")
    parser.add_argument("--name", help="dataset name (letters, digits, '-', '_')")
    parser.add_argument("--config", type=existing_file, help="YAML with PseudoLabelConfig fields; flags override it")
    parser.add_argument("--device", help="auto (default), cpu, cuda or cuda:N; cuda without CUDA is an error")
    parser.add_argument("--min-batch-size", type=int, help="smallest inference batch with --inference run-inference (default 1)")
    parser.add_argument("--max-batch-size", type=int, help="largest inference batch (default 8)")
    parser.add_argument("--inference", choices=("whole-shard", "run-inference"),
                        help="whole-shard (default): each shard in one step, in fixed batches, the same bytes on every "
                             "runner; run-inference: Beam's RunInference batching across shards (not on DaskRunner)")
    parser.add_argument("--alignment", help="how a caption noun picks the teacher's region: eq2 (the paper's argmax) "
                        "or eq2 with parts in this order: +objectness (rank by score + log objectness), +nms "
                        "(NMS by objectness first), +gate or +bg-gate (keep a noun only where it beats background and "
                        "rival words; a noun no region passes gets no label), +coverage (the largest box near the "
                        "best), +one-to-one (nouns matched to distinct regions), +calibrated@P (drop a label "
                        "below its word's P-th percentile where the word is absent); default "
                        "eq2+objectness+bg-gate+coverage")
    parser.add_argument("--shards-per-pipeline", type=int,
                        help="input shards per Beam pipeline run; 0 = all at once (for Dataflow/Flink/Spark); default 4")
    add_source_arguments(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.epilog = (
        "Any other --option goes to Apache Beam: --runner (default: the local FnApiRunner, which needs no "
        "download), --direct_num_workers N, --direct_running_mode in_memory|multi_threading|multi_processing, "
        "or the options of DataflowRunner, FlinkRunner, SparkRunner."
    )


def shard_source(rows, args) -> str:
    """Shards a TSV / COCO-captions source once into ``OUTPUT/NAME/.sources/<hash>/`` (reused
    when the same source files are given again) and returns their pattern."""
    import hashlib
    import json
    from pathlib import Path

    from pipeline.shard import SUMMARY_FILE, describe, write_shards
    from xpm.config import ConfigError

    if not args.output or not args.name:
        raise ConfigError("--output and --name are required.")
    named = [p for p in (args.tsv, args.images, args.url_map, args.coco_captions) if p]
    stamp = json.dumps([[str(Path(p).resolve()), Path(p).stat().st_mtime_ns if Path(p).exists() else 0] for p in named] + [args.shard_size])
    folder = Path(args.output) / args.name / ".sources" / hashlib.sha256(stamp.encode()).hexdigest()[:16]
    if not (folder / SUMMARY_FILE).is_file():
        print(f"sharding the source into {folder}: {describe(write_shards(rows, folder, args.shard_size, quiet=args.quiet))}",
              flush=True)
    return str(folder / "*.tar")


def run(args) -> int:
    from pipeline.config import PseudoLabelConfig
    from pipeline.job import run_pseudo_label
    from pipeline.shard import source_rows
    from xpm.config import ConfigError, load_config

    overrides = {
        "input": args.input, "teacher": args.teacher, "output": args.output, "name": args.name,
        "device": args.device, "min_batch_size": args.min_batch_size, "max_batch_size": args.max_batch_size, "alignment": args.alignment,
        "inference": args.inference,
        "shards_per_pipeline": args.shards_per_pipeline,
    }
    rows = source_rows(args)
    if rows is not None:
        if args.input:
            raise ConfigError("give --input shards or a source (--tsv / --coco-captions), not both.")
        overrides["input"] = shard_source(rows, args)
    config = load_config(PseudoLabelConfig, args.config, overrides)
    result = run_pseudo_label(config, args.beam_args)
    counts = result.manifest["counts"]
    resumed = f"; {result.resumed_shards} shard(s) reused from an interrupted run" if result.resumed_shards else ""
    print(
        f"{result.version_dir}: {counts['samples']} samples in {len(result.manifest['shards'])} shard(s), "
        f"{counts['rejects']} rejects of {counts['samples_read']} read, {counts['vocabulary']} nouns in V_C{resumed}"
    )
    for reason, count in counts["rejects_by_reason"].items():
        print(f"  rejected {reason}: {count}")
    return 0
