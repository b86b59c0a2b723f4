"""Run an experiment: every (configuration, seed) run, then OUT/experiment.json, experiment.md and
experiment.png/svg. Runs already finished are reused, so running it again resumes it."""

from __future__ import annotations

import json
import logging
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from xpm.config import ConfigError, save_config, to_dict
from commands.experiment.config import TEACHER, ExperimentConfig, read_configurations
from commands.experiment.runs import MATCHES_FILE, RunSpec, do_run, plan_runs, student_config
from xpm.io.atomic import write_text_atomically
from xpm.progress import LOGGER

CONFIG_FILE = "experiment_config.yaml"


def check_inputs(config: ExperimentConfig) -> None:
    """Everything a run will need, named before any training starts."""
    world, part = Path(config.world), Path(config.world) / config.part
    if not (world / "split.json").is_file() or not (world / "train" / "instances_base.json").is_file():
        raise ConfigError(f"{world} is not a synthetic world (no split.json or train/); make one with `xpm synth` or `xpm demo`.")
    if not (part / "instances.json").is_file():
        hint = (f"worlds written before test/ existed lack it; synthesize a new one with `xpm synth NEW_DIR --config "
                f"{world}/synth_config.yaml`" if config.part == "test" else "choose --part test or val")
        raise ConfigError(f"{part} does not exist: {hint}.")
    if not Path(config.teacher).is_file():
        raise ConfigError(f"teacher checkpoint {config.teacher} does not exist; pass the model.pt of `xpm train-teacher`.")
    if not (Path(config.data) / "manifest.json").is_file():
        raise ConfigError(f"{config.data} is not a dataset version (no manifest.json); pass ROOT/NAME/vN of `xpm pseudo-label`.")


def _children_start_as(method: str) -> None:
    """In a worker: the processes it starts (a data loader's) start as this process's would (fork
    on Linux), not spawned as the worker was, which would need every function they run to pickle."""
    multiprocessing.set_start_method(method, force=True)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Ends the pool's runs now: ``shutdown`` alone waits for the running ones to finish. Python
    3.11-3.13 (setup.cfg) name the worker processes only in ``_processes``; 3.14 has
    ``terminate_workers()``."""
    for process in list((pool._processes or {}).values()):
        process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


def _execute(specs: list[RunSpec], workers: int) -> None:
    """Every run; one that fails is named at once and the others go on, so that a rerun has only
    the failed ones left to do."""
    log = logging.getLogger(LOGGER)
    started = time.perf_counter()
    failed = []

    def name(spec: RunSpec) -> str:
        return spec.configuration.name + ("" if spec.configuration.name == TEACHER else f" seed {spec.seed}")

    def done(number: int, spec: RunSpec, outcome) -> None:
        if isinstance(outcome, Exception):
            failed.append(f"{name(spec)} ({type(outcome).__name__}: {outcome})")
            log.info(f"experiment: {number}/{len(specs)} runs; {name(spec)} FAILED: {type(outcome).__name__}: {outcome}")
            return
        segm = outcome["segm"]["generalized"]
        log.info(f"experiment: {number}/{len(specs)} runs; {name(spec)}: generalized segm AP50 "
                 f"base {segm['base']:.1f} target {segm['target']:.1f} ({time.perf_counter() - started:.0f} s so far)")

    if workers == 1:
        for number, spec in enumerate(specs, start=1):
            try:
                outcome = do_run(spec)
            except Exception as error:  # named now and raised after the other runs, as the pool does
                outcome = error
            done(number, spec, outcome)
    else:
        # spawn: a fresh interpreter per worker, so each sets its own thread count before torch works.
        # The executor's workers may start their own (a DataLoader's), and a worker that dies breaks
        # the pool instead of losing its run silently, as a multiprocessing.Pool would.
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_children_start_as, initargs=(multiprocessing.get_start_method(),))
        try:
            futures = {pool.submit(do_run, spec): spec for spec in specs}
            for number, future in enumerate(as_completed(futures), start=1):
                done(number, futures[future], future.exception() or future.result())
        except BaseException:
            # an interrupt (Ctrl-C, or a scheduler's SIGTERM to this process alone): the runs in the
            # workers stop with it
            _stop_workers(pool)
            raise
        pool.shutdown()
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(specs)} runs failed: {'; '.join(failed)}. Finished runs are kept: "
                           "run the same command again to retry the others.")


def run_experiment(config: ExperimentConfig, out: str | Path, differences: list[tuple[str, str]] | None = None,
                   gaps: list[tuple[str, str]] = ()) -> dict:
    """``differences``: the (a, b) pairs whose a - b is reported (default: every configuration
    against the teacher, and the robust student against every other); ``gaps``: the (student,
    bound) pairs whose share of the teacher-to-bound target gap is reported."""
    from trainers.evaluation.coco_ap import load_matches
    from commands.experiment.report import write_report
    from commands.experiment.summary import default_differences, summarize

    out = Path(out)
    check_inputs(config)
    configurations = read_configurations(config.configurations_file or None, config.configurations)
    for configuration in configurations:
        try:  # a wrong override (or budget, for a teacher kind) is named now, not when its first run starts
            student_config(config, configuration, config.first_seed)
        except (ConfigError, ValueError) as error:
            raise ConfigError(f"configuration {configuration.name}: {error}") from None
    out.mkdir(parents=True, exist_ok=True)
    save_config(config, out / CONFIG_FILE)
    specs = plan_runs(config, configurations, out)
    _execute(specs, config.workers)

    rows: dict[str, dict] = {}
    for spec in specs:
        result = json.loads((spec.folder / "eval.json").read_text())
        rows.setdefault(spec.configuration.name, {})[spec.seed] = (result, load_matches(spec.folder / MATCHES_FILE)["segm"])
    names = [TEACHER, *config.configurations]
    summary = summarize(rows, world=Path(config.world), part=config.part, draws=config.bootstrap,
                        differences=default_differences(names) if differences is None else differences, gaps=gaps)
    summary = {"config": to_dict(config), **summary}
    write_text_atomically(out / "experiment.json", json.dumps(summary, indent=2, allow_nan=False) + "\n")
    write_report(summary, out)
    return summary
