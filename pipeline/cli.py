"""``xpm pseudo-label``: captioned shards + a teacher -> a new dataset version ROOT/NAME/vN."""

from __future__ import annotations

import os
from pathlib import Path

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
    parser.add_argument("--classes", help="comma list of class names that count as object nouns even where xpm's "
                        "lists leave them out (role, group and depiction words such as band, logo, crowd); "
                        "classes in --config")
    parser.add_argument("--sense-rule", help="how an ambiguous caption noun gets its WordNet sense: lesk (default; word "
                        "overlap) or gloss-embedding (the text model reads the caption; slower); sense_rule in --config")
    parser.add_argument("--shards-per-pipeline", type=int,
                        help="input shards per Beam pipeline run; 0 = all at once (for Dataflow/Flink/Spark); default 4")
    add_source_arguments(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--wait", action="store_true", help="when the same run is already going (same inputs, teacher, "
                        "settings and output), wait for it instead of stopping")
    parser.add_argument("--new-version", action="store_true", help="make a new version even when one of this same run "
                        "exists (by default that one is named and nothing is made)")
    parser.epilog = (
        "Any other --option goes to Apache Beam: --runner (default: the local FnApiRunner, which needs no "
        "download), --direct_num_workers N, --direct_running_mode in_memory|multi_threading|multi_processing, "
        "or the options of DataflowRunner, FlinkRunner, SparkRunner."
    )


def source_folder(args) -> Path:
    """Where a TSV / COCO-captions source is sharded: ``OUTPUT/NAME/.sources/<hash>/``, named by
    the source files (resolved) and their times, so the same source given again is reused."""
    import hashlib
    import json

    from xpm.config import ConfigError

    if not args.output or not args.name:
        raise ConfigError("--output and --name are required.")
    named = [p for p in (args.tsv, args.images, args.url_map, args.coco_captions) if p]
    stamp = json.dumps([[str(Path(p).resolve()), Path(p).stat().st_mtime_ns if Path(p).exists() else 0] for p in named] + [args.shard_size])
    return Path(args.output) / args.name / ".sources" / hashlib.sha256(stamp.encode()).hexdigest()[:16]


def shard_source(rows, folder: Path, args) -> None:
    """Shards the source into ``folder`` unless an earlier run did."""
    from pipeline.shard import SUMMARY_FILE, describe, write_shards

    if not (folder / SUMMARY_FILE).is_file():
        summary = write_shards(rows, folder, args.shard_size, quiet=args.quiet)
        print(f"sharding the source into {folder}: {describe(summary)}", flush=True)


def _check_before_loading(args) -> None:
    """The mistakes that need no model, found before torch and Beam load (seconds): the name,
    the teacher file, the input pattern."""
    from pipeline.config import check_name
    from xpm.config import ConfigError
    from xpm.io.shard_inputs import expand_inputs

    if args.name:
        check_name(args.name)
    # A remote teacher is checked where it is read, by Beam's file systems (fsspec may lack its scheme).
    if args.teacher and "://" not in args.teacher and not os.path.isfile(args.teacher):
        what = "is a folder" if os.path.isdir(args.teacher) else "does not exist"
        raise ConfigError(f"--teacher {args.teacher} {what}; give the teacher's model.pt (train-teacher's RUN/model.pt).")
    if args.input:
        expand_inputs(args.input)


def _input_bytes(pattern: str) -> int:
    """The input shards' size: about what the version takes (the images again, plus labels)."""
    from xpm.io.shard_inputs import expand_inputs

    return sum(os.path.getsize(path) for path in expand_inputs(pattern) if "://" not in path)


def _class_list(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        from xpm.config import ConfigError

        raise ConfigError(f"--classes {text!r}: give class names separated by commas, e.g. --classes band,logo.")
    return names


def run(args) -> int:
    from pipeline.config import PseudoLabelConfig
    from pipeline.shard import SUMMARY_FILE, source_bytes, source_rows
    from xpm.config import ConfigError, load_config
    from xpm.io.jobs import check_writable

    overrides = {
        "input": args.input, "teacher": args.teacher, "output": args.output, "name": args.name,
        "device": args.device, "min_batch_size": args.min_batch_size, "max_batch_size": args.max_batch_size, "alignment": args.alignment,
        "inference": args.inference,
        "shards_per_pipeline": args.shards_per_pipeline,
        "classes": _class_list(args.classes), "sense_rule": args.sense_rule,
    }
    _check_before_loading(args)
    rows = source_rows(args)
    if rows is not None:
        if args.input:
            raise ConfigError("give --input shards or a source (--tsv / --coco-captions), not both.")
        folder = source_folder(args)
        overrides["input"] = str(folder / "*.tar")
    config = load_config(PseudoLabelConfig, args.config, overrides)
    if rows is not None and not (folder / SUMMARY_FILE).is_file():
        # The source's images go into its shards, then into the version.
        needs_bytes = 2 * source_bytes(rows)
    else:
        needs_bytes = _input_bytes(config.input)
    check_writable(config.output, "--output", needs_bytes=needs_bytes)
    if rows is not None:
        shard_source(rows, folder, args)
    from pipeline.job import run_pseudo_label  # torch and Beam: only now

    result = run_pseudo_label(config, args.beam_args, wait=args.wait, new_version=args.new_version)
    counts = result.manifest["counts"]
    if result.identical:
        print(f"identical to {result.version_dir} (same inputs, teacher and settings): nothing made; "
              "--new-version makes another version")
        return 0
    resumed = f"; {result.resumed_shards} shard(s) reused from an interrupted run" if result.resumed_shards else ""
    print(
        f"{result.version_dir}: {counts['samples']} samples in {len(result.manifest['shards'])} shard(s), "
        f"{counts['rejects']} rejects of {counts['samples_read']} read, {counts['vocabulary']} nouns in V_C{resumed}"
    )
    for reason, count in counts["rejects_by_reason"].items():
        print(f"  rejected {reason}: {count}")
    return 0
