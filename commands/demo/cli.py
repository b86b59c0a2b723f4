"""``xpm demo``: the whole product on the embedded default, the synthetic world.

Synthesize the world -> train the teacher on base classes -> pseudo-label the captioned shards
with the Beam pipeline into a dataset version -> [calibrate eta] -> train the robust student ->
evaluate teacher and student -> OUT/report.md with figures. Run again, it resumes.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

HELP = "run the whole product on the synthetic world and write OUT/report.md"
ABLATION_HELP = (
    "also train the Figure 6 students gt+x and gt+x+m and the oracle, and check all three claims "
    "(measured: 46 minutes on 2 CPU cores instead of about 24; under 9 on one GPU)"
)


def add_arguments(parser) -> None:
    parser.add_argument("--out", default="runs/demo", help="run directory (default runs/demo)")
    parser.add_argument("--quick", action="store_true", help="the same stages at toy size (about 80 seconds on 2 CPU cores)")
    parser.add_argument("--ablation", action="store_true", help=ABLATION_HELP)
    parser.add_argument("--seed", type=int, default=0, help="seed of the world and of every training run")
    parser.add_argument("--split", help="split JSON over the catalog (default: the packaged split)")
    parser.add_argument("--caption-noise", type=float, default=0.1,
                        help="share of captions naming an absent object (default 0.1; claim 3 is about e.g. 0.3)")
    parser.add_argument("--device", default="auto", help="auto (default: CUDA when present), cpu or cuda")


class _Stages:
    """Prints numbered stage lines and keeps each stage's wall time for the report."""

    def __init__(self, total: int):
        self.total, self.done, self.timings = total, 0, {}

    def run(self, name: str, function, *args, **kwargs):
        started = time.perf_counter()
        result = function(*args, **kwargs)
        self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started
        return result

    def say(self, text: str) -> None:
        self.done += 1
        print(f"[{self.done}/{self.total}] {text}", flush=True)


def run_demo(config) -> Path:
    import torch

    from schemas.split import read_split
    from trainers.evaluation.pseudo_label_quality import category_of_nouns, measure_pseudo_labels, summarize
    from trainers.evaluation.reliability_quality import REPORTED_RELIABILITIES, measure_reliability
    from xpm.io.dataset_version import open_version
    from trainers.evaluation.table2 import format_table2
    from xpm.config import save_config, to_dict
    from commands.demo import stages
    from commands.demo.claims import check_claims
    from commands.demo.config import FULL, QUICK
    from commands.demo.noise_sheet import noise_sheet
    from commands.demo.report import per_class_chart, quality_chart, reliability_chart, training_curves_chart, write_report
    from trainers.engine.training_run import LOSS_LOG_NAME
    from xpm.visualize.charts import save_chart
    from xpm.device import resolve_device
    from xpm.io.atomic import write_text_atomically
    from xpm.io.files import save_png
    from xpm.modeling.alignment import PAPER_ALIGNMENT
    from xpm.modeling.checkpoint import read_checkpoint
    from xpm.modeling.student import student_from_checkpoint

    sizes = QUICK if config.quick else FULL
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    save_config(config, out / "demo_config.yaml")
    device = resolve_device(config.device)
    device_name = f"cuda ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else "cpu"
    print(f"xpm demo: device {device_name}; output {out}", flush=True)
    calibrating = stages.robust_alpha_scale() == "eta"
    stage = _Stages(total=8 + calibrating + (3 if config.ablation else 0))

    world = stage.run("synth", stages.make_world, config, sizes, out / "world")
    stage.say(f"world: {world.out_dir} ({'reused' if world.reused else 'written'})")
    world_dir = Path(world.out_dir)
    split = read_split(world_dir / "split.json")

    teacher = stage.run("teacher", stages.train_teacher_stage, config, sizes, world_dir, out / "teacher")
    stage.say(f"teacher: {teacher.model_path} ({'reused' if teacher.reused else f'{teacher.steps} steps'})")
    results = {"teacher": stage.run("eval", stages.evaluate_stage, config, world_dir, teacher.model_path, out / "teacher" / "eval.json")}
    stage.say("teacher evaluated")

    version, reused = stage.run("pseudo-label", stages.pseudo_label_stage, config, world_dir, teacher.model_path, out / "datasets")
    stage.say(f"pseudo labels: {version} ({'reused' if reused else 'written by the Beam pipeline'})")
    # The paper's rule on the same teacher, only for the report's side-by-side label quality.
    paper_version, reused = stage.run("pseudo-label eq2", stages.pseudo_label_stage, config, world_dir, teacher.model_path,
                                      out / "datasets", alignment=PAPER_ALIGNMENT, dataset=f"world-{PAPER_ALIGNMENT}")
    stage.say(f"pseudo labels ({PAPER_ALIGNMENT}, the paper's rule): {paper_version} ({'reused' if reused else 'written'})")

    eta = None
    if calibrating:
        eta = stage.run("calibrate-eta", stages.calibrate_eta_stage, config, sizes, world_dir, teacher.model_path, version,
                        out / "students" / "calibration")
        stage.say(f"eta = {eta['eta']:.6g} (smallest of {eta['images']} per-image noise levels)")

    def student_row(losses: str):
        student = stages.student_config(config, sizes, world_dir, teacher.model_path, version, losses=losses,
                                         eta=eta["eta"] if eta else None)
        run_dir = out / "students" / losses
        run = stage.run(f"student {losses}", stages.train_student_stage, student, run_dir)
        stage.say(f"student {losses}: {run.model_path} ({'reused' if run.reused else f'{run.steps} steps'})")
        result = stage.run("eval", stages.evaluate_stage, config, world_dir, run.model_path, run_dir / "eval.json")
        return student, run, result

    robust, robust_run, results["student"] = student_row("gt+x+m+alpha")
    stage.say("student evaluated")
    if config.ablation:
        # Claim 3's comparison (gt+x+m) and claim 2's bound (oracle) first: a run stopped early still has them.
        results["gt+x+m"] = student_row("gt+x+m")[2]
        oracle = stage.run("oracle", stages.train_oracle_stage, config, sizes, world_dir, teacher.model_path, robust, out / "oracle")
        results["oracle"] = stage.run("eval", stages.evaluate_stage, config, world_dir, oracle.model_path,
                                      out / "oracle" / "eval.json", oracle=True)
        stage.say(f"oracle: {oracle.model_path}")
        results["gt+x"] = student_row("gt+x")[2]
        results = {name: results[name] for name in ("teacher", "student", "gt+x", "gt+x+m", "oracle")}

    started = time.perf_counter()
    # chart stems: each is written as .png and .svg
    figures = {"per_class": "per_class_ap50", "quality": "pseudo_label_quality", "reliability": "reliability_weights",
               "curves": "training_curves", "noise_sheet": "noise_sheet.png"}
    truth, category_of = world_dir / "captioned" / "instances_all.json", category_of_nouns(split)
    rows = measure_pseudo_labels(open_version(str(version)), truth, category_of)
    groups = split.group_of
    paper_rows = measure_pseudo_labels(open_version(str(paper_version)), truth, category_of)
    quality = {"alignment": open_version(str(version)).manifest["lineage"]["config"]["alignment"],
               "summary": summarize(rows, groups), "nouns": [row.__dict__ for row in rows],
               "paper": {"alignment": PAPER_ALIGNMENT, "version": str(paper_version), "summary": summarize(paper_rows, groups)}}
    robust_model = student_from_checkpoint(read_checkpoint(robust_run.model_path), device)
    reliability = {"images": sizes.reliability_images, "trained_with": robust.reliability,
                   "signals": measure_reliability(robust_model, version, truth, category_of, groups, robust.caption_settings(),
                                                  images=sizes.reliability_images, base_classes=split.base,
                                                  signals=REPORTED_RELIABILITIES)}
    write_text_atomically(out / "pseudo_label_quality.json", json.dumps(quality, indent=2) + "\n")
    save_chart(quality_chart(rows, split.target), out / figures["quality"])
    shown = {name: results[name] for name in ("teacher", "student", "oracle") if name in results}
    save_chart(per_class_chart(shown, split.target), out / figures["per_class"])
    save_chart(reliability_chart(reliability["signals"]), out / figures["reliability"])
    loss_logs = {"teacher": out / "teacher" / LOSS_LOG_NAME, "oracle": out / "oracle" / "model" / LOSS_LOG_NAME,
                 **{f"student {run.name}": run / LOSS_LOG_NAME for run in sorted((out / "students").iterdir()) if run.is_dir()}}
    save_chart(training_curves_chart(loss_logs), out / figures["curves"])
    save_png(noise_sheet(robust_run.model_path, version, robust.caption_settings(), images=sizes.figure_images),
             out / figures["noise_sheet"])
    stage.timings["report"] = time.perf_counter() - started

    claims = check_claims(results)
    write_text_atomically(out / "results.json", json.dumps({
        "config": to_dict(config), "device": device_name, "eta": eta, "table2": results,
        "claims": [claim.__dict__ for claim in claims], "pseudo_labels": quality["summary"],
        "reliability": reliability, "timings": stage.timings,
    }, indent=2, allow_nan=False, default=str) + "\n")
    header = [
        f"World `{world_dir}`: seed {config.seed}, caption noise {config.caption_noise}, "
        f"{'quick (toy) size' if config.quick else 'full size'}; device {device_name}.",
        f"Split: {len(split.base)} base, {len(split.target)} target, {len(split.caption_only)} caption-only classes.",
        f"Every AP50 below is measured on the world's held-out `{stages.EVALUATION_PART}/` images "
        f"({results['teacher']['images']['all']}), one training run per row: intervals over seeds come from `xpm experiment`.",
    ]
    report = write_report(out, header=header, results=results, claims=claims, quality=quality, reliability=reliability, eta=eta,
                          version=version, timings=stage.timings, figures=figures)
    stage.say(f"report: {report}")
    print(format_table2(results))
    for claim in claims:
        print(f"{'HOLDS' if claim.holds else 'DOES NOT HOLD'}: {claim.name}. {claim.evidence}")
    return report


def run(args) -> int:
    from commands.demo.config import DemoConfig

    run_demo(DemoConfig(out=args.out, quick=args.quick, ablation=args.ablation, seed=args.seed, split=args.split,
                        caption_noise=args.caption_noise, device=args.device))
    return 0
