"""``xpm pseudo-label``: the Apache Beam job from captioned shards to a dataset version.

    read shard -> decode + validate -> caption nouns + embeddings -> teacher (Eq. 2 region,
    Eq. 4 masks) -> pseudo-label records -> per input shard: output tar + record
                                          rejects of every stage ┘

By default every input shard runs through these stages inside one DoFn call
(``pipeline.whole_shard``); ``inference: run-inference`` runs them as separate Beam transforms
with RunInference batching across shards.

Shards already finished in this run's staging folder are skipped, so a killed run started again
with the same arguments resumes; the version is committed by rename once every shard is done.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import apache_beam as beam
from apache_beam.ml.inference.base import KeyedModelHandler, RunInference
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions

from pipeline.config import PseudoLabelConfig
from xpm.io.decode import DecodeLimits
from pipeline.finalize import finalize_version, part_path
from pipeline.inference.teacher_handler import TeacherModelHandler
from xpm.text.word_embeddings import WordEmbeddings
from xpm.io.shard_inputs import expand_inputs, shard_name_of
from xpm.nouns import NounExtractor, load_lexicon
from pipeline.pseudo_labels import lexicon_vocab_ids
from pipeline.stages import INPUTS, REJECTS, Decode, ExtractNouns, ReadShard, ToLabelledSample, WriteShard
from pipeline.whole_shard import LabelShard
from pipeline.version import commit_version, lock_path, run_identity, staging_dir
from pipeline.write.filesystem import local_copy, read_bytes, write_bytes
from pipeline.write.shard_writer import canonical_json
from schemas.dataset_version import MANIFEST_FILE, THRESHOLDS_FILE, version_dir_name
from xpm.modeling.alignment import parse_alignment
from xpm.config import ConfigError, to_dict
from xpm.io.dataset_version import existing_versions
from xpm.io.hashing import file_sha256
from xpm.io.jobs import Interrupted, exclusive
from pipeline.labeler import labeler_lineage
from xpm.modeling.checkpoint import read_checkpoint, text_embedder_for
from xpm.progress import LOGGER, Progress

progress_log = logging.getLogger(LOGGER)

# The DirectRunner's own portable runner, named directly: plain "DirectRunner" first tries to
# fetch a Prism binary, which an offline machine cannot.
LOCAL_RUNNER = "apache_beam.runners.portability.fn_api_runner.fn_runner.FnApiRunner"
DASK_RUNNER = "apache_beam.runners.dask.dask_runner.DaskRunner"
# Short names Beam itself does not register.
RUNNER_NAMES = {"DaskRunner": DASK_RUNNER}


@dataclass(frozen=True)
class PseudoLabelRun:
    version_dir: str
    manifest: dict
    resumed_shards: int
    # True when the version is one an earlier run of the same identity committed.
    identical: bool = False


def code_commit() -> str:
    try:
        root = Path(__file__).resolve().parent.parent
        return subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def build_pipeline(pipeline: beam.Pipeline, todo: list[str], staging: str, config: PseudoLabelConfig, checkpoint, teacher_sha: str,
                   thresholds: dict[str, float] | None = None):
    """The job over ``todo``, as ``config.inference`` says: one DoFn call per shard
    (``pipeline.whole_shard``), or stage by stage with RunInference batching across shards."""
    text = checkpoint.text_model
    read, decode = ReadShard(), Decode(DecodeLimits(max_pixels=config.max_pixels, min_side=config.min_side))
    nouns = ExtractNouns(text.id, text.mode, text.hash, config.nouns(), thresholds)
    teacher = TeacherModelHandler(config.teacher, device=config.device, min_batch_size=config.min_batch_size,
                                  max_batch_size=config.max_batch_size, alignment=config.alignment)
    label, write = ToLabelledSample(teacher_sha, config.nouns()), WriteShard(staging)
    inputs = pipeline | "Inputs" >> beam.Create(todo)
    if config.inference == "whole-shard":
        return inputs | "LabelShards" >> beam.ParDo(LabelShard(read, decode, nouns, teacher, label, write, config.max_batch_size))
    read = inputs | "Read" >> beam.ParDo(read).with_outputs(REJECTS, INPUTS, main="samples")
    decoded = read.samples | "Decode" >> beam.ParDo(decode).with_outputs(REJECTS, main="ok")
    nouns = decoded.ok | "Nouns" >> beam.ParDo(nouns).with_outputs(REJECTS, main="ok")
    labelled = (
        nouns.ok
        | "Teacher" >> RunInference(KeyedModelHandler(teacher))
        | "PseudoLabels" >> beam.ParDo(label)
    )
    rejects = (read[REJECTS], decoded[REJECTS], nouns[REJECTS]) | "AllRejects" >> beam.Flatten()
    return (
        {"samples": labelled, "rejects": rejects, "inputs": read[INPUTS]}
        | "ByShard" >> beam.CoGroupByKey()
        | "Write" >> beam.ParDo(write)
    )


def runner_options(beam_args: list[str]) -> tuple[list[str], str]:
    """Beam's options with xpm's runner defaults, and the runner's full name. No --runner means
    the local FnApiRunner (it needs no download); "DaskRunner" is accepted as Beam's Dask runner,
    which gets one input shard per Dask partition unless told otherwise."""
    args, runner, index = [], LOCAL_RUNNER, 0
    while index < len(beam_args):
        arg = beam_args[index]
        if arg == "--runner" and index + 1 < len(beam_args):
            runner, index = beam_args[index + 1], index + 2
            continue
        if arg.startswith("--runner="):
            runner = arg.split("=", 1)[1]
        else:
            args.append(arg)
        index += 1
    runner = RUNNER_NAMES.get(runner, runner)
    if runner == DASK_RUNNER and not any(a.startswith(("--dask_npartitions", "--dask_partition_size")) for a in args):
        args.append("--dask_partition_size=1")
    return [f"--runner={runner}", *args], runner


def run_identity_for(config: PseudoLabelConfig, inputs: list[str] | None = None, teacher_sha: str | None = None) -> str:
    """What makes two runs the same run (and so a re-run resume the other): the inputs and their
    sizes, the teacher's hash and every setting that can change a shard's bytes (so not where the
    output goes, nor how many shards one Beam pipeline takes)."""
    inputs = inputs if inputs is not None else expand_inputs(config.input)
    # By resolved path: 'shards/*.tar' from one folder and '../x/shards/*.tar' from another are
    # the same inputs, as the teacher is the same by its hash however its path is spelled.
    sizes = {_resolved(path): FileSystems.match([path])[0].metadata_list[0].size_in_bytes for path in inputs}
    settings = {k: v for k, v in to_dict(config).items() if k not in ("input", "teacher", "output", "name", "shards_per_pipeline")}
    return run_identity({"inputs": sizes, "teacher": teacher_sha or file_sha256(local_copy(config.teacher)), "config": settings})


def _resolved(path: str) -> str:
    return path if "://" in path else os.path.realpath(path)


def _calibrated_thresholds(config: PseudoLabelConfig, checkpoint, inputs: list[str], staging: str, lexicon,
                           embed: WordEmbeddings) -> dict[str, float] | None:
    """A ``+calibrated@P`` rule's per-word thresholds, computed once per run and kept in the
    version (a resumed run reads them back, so every shard is labelled under the same ones)."""
    percentile = parse_alignment(config.alignment).calibration
    if percentile is None:
        return None
    path = FileSystems.join(staging, THRESHOLDS_FILE)
    if FileSystems.exists(path):
        return json.loads(read_bytes(path))
    from pipeline.calibration import alignment_thresholds
    from xpm.device import resolve_device
    from xpm.modeling.checkpoint import detector_from_checkpoint

    model = detector_from_checkpoint(checkpoint, resolve_device(config.device)).eval()
    thresholds = alignment_thresholds(model, inputs, NounExtractor(lexicon), embed,
                                      limits=DecodeLimits(max_pixels=config.max_pixels, min_side=config.min_side),
                                      images=config.calibration_images, percentile=percentile)
    write_bytes(path, canonical_json(thresholds))
    return thresholds


def _identical_version(dataset_dir: str, identity: str) -> str | None:
    """The committed version a run of this identity made, if any."""
    for number in sorted(existing_versions(dataset_dir)):
        path = FileSystems.join(dataset_dir, version_dir_name(number))
        try:
            manifest = json.loads(read_bytes(FileSystems.join(path, MANIFEST_FILE)))
        except (OSError, ValueError):
            continue
        if manifest.get("lineage", {}).get("run_identity") == identity:
            return path
    return None


def run_pseudo_label(config: PseudoLabelConfig, beam_args: list[str] | None = None, *, wait: bool = False,
                     new_version: bool = False) -> PseudoLabelRun:
    """The version of ``config``'s run: a new ``vN``; or, when a version of this very run (same
    inputs, teacher and settings) exists and ``new_version`` is not asked for, that version,
    untouched. One launch of a run at a time: another one already running is an error, or with
    ``wait`` is waited for."""
    beam_args, runner = runner_options(list(beam_args or []))
    if runner == DASK_RUNNER and config.inference != "whole-shard":
        # Measured with Beam 2.77: DaskRunner hands a DoFn's tagged outputs on with its main
        # output (the per-shard grouping then fails on a sample) and drops what a DoFn emits from
        # finish_bundle, where RunInference flushes its last batch.
        raise ConfigError(f"inference: {config.inference} cannot run on DaskRunner, which mixes a DoFn's tagged outputs "
                          "and drops what finish_bundle emits; use --inference whole-shard (the default).")
    teacher_file = local_copy(config.teacher)
    checkpoint = read_checkpoint(teacher_file)
    TeacherModelHandler(config.teacher, device=config.device)  # device errors before any work
    teacher_sha = file_sha256(teacher_file)
    inputs = expand_inputs(config.input)
    identity = run_identity_for(config, inputs, teacher_sha)
    dataset_dir = FileSystems.join(config.output, config.name)
    staging = staging_dir(dataset_dir, identity)

    def busy(holder: str) -> str:
        return (f"this run is already running ({holder}), writing {staging}; wait for it to finish, "
                "or give --wait to start when it has")

    with exclusive(lock_path(staging), busy=busy, wait=wait,
                   waiting=lambda holder: progress_log.info(f"pseudo-label: waiting for the same run ({holder})")):
        identical = None if new_version else _identical_version(dataset_dir, identity)
        if identical is not None:
            manifest = json.loads(read_bytes(FileSystems.join(identical, MANIFEST_FILE)))
            return PseudoLabelRun(identical, manifest, resumed_shards=0, identical=True)
        return _label(config, beam_args, runner, checkpoint, teacher_sha, inputs, identity, dataset_dir, staging)


def _label(config: PseudoLabelConfig, beam_args: list[str], runner: str, checkpoint, teacher_sha: str, inputs: list[str],
           identity: str, dataset_dir: str, staging: str) -> PseudoLabelRun:
    embedder = text_embedder_for(checkpoint, config.teacher)
    shards = [shard_name_of(path) for path in inputs]
    done = {shard for shard in shards if FileSystems.exists(part_path(staging, shard))}
    todo = [path for path in inputs if shard_name_of(path) not in done]
    lexicon = load_lexicon(config.nouns())
    thresholds = _calibrated_thresholds(config, checkpoint, inputs, staging, lexicon, WordEmbeddings(embedder))
    chunk = config.shards_per_pipeline or len(todo) or 1
    progress_log.info(f"pseudo-label: {len(todo)} input shard(s) to label" + (f", {len(done)} reused from an interrupted run" if done else "")
                      + f", {chunk} per Beam pipeline")
    # One line per finished pipeline (its shards are written together, after the teacher's last
    # batch); the teacher's own lines show the images between them.
    progress = Progress("pseudo-label", "shards", total=len(inputs), initial=len(done), interval=0)
    samples = rejects = 0
    try:
        for start in range(0, len(todo), chunk):
            batch = todo[start : start + chunk]
            with beam.Pipeline(options=PipelineOptions(beam_args)) as pipeline:
                build_pipeline(pipeline, batch, staging, config, checkpoint, teacher_sha, thresholds)
            for record in (json.loads(read_bytes(part_path(staging, shard_name_of(path)))) for path in batch):
                samples, rejects = samples + len(record["index"]), rejects + len(record["rejects"])
            progress.update(len(batch), samples_so_far=samples, rejects_so_far=rejects)
    except KeyboardInterrupt:
        # What is on disk, not what this loop has counted: a pipeline may have written its shards
        # and been stopped before it returned.
        kept = sum(FileSystems.exists(part_path(staging, shard)) for shard in shards)
        raise Interrupted(f"{kept} of {len(inputs)} shards in {staging}") from None
    lineage = {
        "teacher_sha256": teacher_sha,
        "teacher": config.teacher,
        "labeler": labeler_lineage(checkpoint, config.teacher, teacher_sha),
        "wordnet_version": lexicon.wordnet_version,
        "text_model": {"id": checkpoint.text_model.id, "hash": checkpoint.text_model.hash, "mode": checkpoint.text_model.mode},
        "config": to_dict(config),
        "code_commit": code_commit(),
        "beam_version": beam.__version__,
        "runner": runner,
        "run_identity": identity,
    }
    manifest = finalize_version(staging, shards, lineage, WordEmbeddings(embedder), lexicon_vocab_ids(lexicon))
    if manifest["counts"]["samples"] == 0:
        FileSystems.delete([staging])
        counts = manifest["counts"]
        reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(counts["rejects_by_reason"].items())) or "none"
        raise ConfigError(f"no sample of the {counts['samples_read']} read from --input {config.input} got a pseudo label, "
                          f"so no version was written; rejected: {reasons}.")
    return PseudoLabelRun(commit_version(staging, dataset_dir), manifest, resumed_shards=len(done))
