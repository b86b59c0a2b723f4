"""``xpm experiment``: named configurations x training seeds, evaluated on held-out images, with
95% intervals over seeds and images, paired differences and the paper's claims decided on them."""

from __future__ import annotations

from xpm.arguments import existing_file, existing_folder, new_or_folder

HELP = ("train named student configurations (and controls) over several seeds from one teacher and dataset version, "
        "evaluate each on the world's test/ images, and report means with 95%% intervals, paired differences and claims")


# The flags of how each run is trained and evaluated, shared with `xpm rounds`.
RUN_SETTINGS = ("seeds", "first_seed", "part", "student_config", "steps", "threads", "workers", "bootstrap", "device")


def add_run_arguments(parser) -> None:
    parser.add_argument("--seeds", type=int, help="training seeds per configuration (default 5)")
    parser.add_argument("--first-seed", type=int, help="seeds first-seed .. first-seed+seeds-1 (default 0)")
    parser.add_argument("--part", help="test (default: report) or val (choose settings)")
    parser.add_argument("--student-config", type=existing_file, help="student YAML the configurations override (default: the packaged one)")
    parser.add_argument("--steps", type=int, help="training steps of every run (default: the student config's)")
    parser.add_argument("--threads", type=int, help="torch threads per run (default 1; results depend on it)")
    parser.add_argument("--workers", type=int, help="runs trained at once, each in its own process (default 1)")
    parser.add_argument("--bootstrap", type=int, help="resamples of the test images (default 1000)")
    parser.add_argument("--device", help="auto (default), cpu or cuda")


def run_overrides(args) -> dict:
    return {name: getattr(args, name) for name in RUN_SETTINGS}


def add_arguments(parser) -> None:
    parser.add_argument("--out", type=new_or_folder, required=True,
                        help="experiment folder: runs/NAME/seed-S/, experiment.json, experiment.md, experiment.png")
    parser.add_argument("--config", type=existing_file, help="YAML with ExperimentConfig fields; flags override it")
    parser.add_argument("--world", type=existing_folder, help="the synthetic world (xpm synth / xpm demo's OUT/world)")
    parser.add_argument("--teacher", type=existing_file, help="the teacher checkpoint every run starts from")
    parser.add_argument("--data", type=existing_folder, help="dataset version ROOT/NAME/vN of that teacher's pseudo labels")
    parser.add_argument("--configurations", help="comma-separated names (default gt+x,gt+x+m,gt+x+m+alpha; controls: "
                        "teacher+steps, shuffled, truth-labels, oracle; see --list)")
    parser.add_argument("--configurations-file", type=existing_file, help="YAML of named configurations (default: the packaged one)")
    add_run_arguments(parser)
    parser.add_argument("--list", action="store_true", help="print the named configurations and exit")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def run(args) -> int:
    from pathlib import Path

    from xpm.config import load_config
    from commands.experiment.config import ExperimentConfig, packaged_configurations_path

    if args.list:
        print(Path(args.configurations_file or packaged_configurations_path()).read_text(), end="")
        return 0
    overrides = {
        "world": args.world, "teacher": args.teacher, "data": args.data,
        "configurations": [n.strip() for n in args.configurations.split(",") if n.strip()] if args.configurations else None,
        "configurations_file": args.configurations_file, **run_overrides(args),
    }
    config = load_config(ExperimentConfig, args.config, overrides)
    from commands.experiment.experiment import run_experiment  # torch and the rest: once the config is known good

    summary = run_experiment(config, args.out)
    for name, entry in summary["configs"].items():
        target, base = entry["target"], entry["base"]
        print(f"{name:<16} target {target['mean']:5.1f} [{target['ci95'][0]:5.1f}, {target['ci95'][1]:5.1f}]  "
              f"base {base['mean']:5.1f} [{base['ci95'][0]:5.1f}, {base['ci95'][1]:5.1f}]  ({len(entry['seeds'])} seed(s))")
    for number, claim in summary["claims"].items():
        print(f"claim {number}: {'HOLDS' if claim['holds'] else 'DOES NOT HOLD'}: {claim['claim']}")
    print(f"wrote {Path(args.out) / 'experiment.md'}")
    return 0
