"""``xpm rounds``: the student labels the captions again, round after round, each round a dataset
version and a set of students evaluated with intervals."""

from __future__ import annotations

from xpm.arguments import existing_file, existing_folder, new_or_folder
from commands.experiment.cli import add_run_arguments, run_overrides

HELP = ("label in rounds: the previous round's student labels the captioned shards again (a new dataset version), "
        "students train on it over several seeds, and each round's label quality and AP50 with 95%% intervals are reported")


def add_arguments(parser) -> None:
    parser.add_argument("--out", type=new_or_folder, required=True,
                        help="rounds folder: datasets/round-R/vN, experiment/, rounds.json, rounds.md, rounds.png")
    parser.add_argument("--config", type=existing_file, help="YAML with RoundsConfig fields; flags override it")
    parser.add_argument("--world", type=existing_folder, help="the synthetic world (xpm synth / xpm demo's OUT/world)")
    parser.add_argument("--teacher", type=existing_file, help="the teacher checkpoint")
    parser.add_argument("--data", type=existing_folder, help="the teacher's dataset version ROOT/NAME/vN: round 1's labels")
    parser.add_argument("--rounds", type=int, help="rounds, the teacher's labels included (default 2)")
    parser.add_argument("--configuration", help="the student configuration every round trains (default gt+x+m+alpha)")
    parser.add_argument("--controls", help="comma-separated configurations trained once on round 1's version "
                        "(default truth-labels; '' for none)")
    parser.add_argument("--labeler-seed", type=int, help="the seed whose student labels the next round (default 0)")
    parser.add_argument("--init", help="what a later round's students start from: teacher (default) or previous "
                        "(the student that labelled the round)")
    parser.add_argument("--alignment", help="the alignment rule of rounds 2 and on (default: round 1's)")
    add_run_arguments(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def run(args) -> int:
    from xpm.config import load_config
    from commands.rounds.config import RoundsConfig

    overrides = {
        "world": args.world, "teacher": args.teacher, "data": args.data, "rounds": args.rounds,
        "configuration": args.configuration,
        "controls": None if args.controls is None else [n.strip() for n in args.controls.split(",") if n.strip()],
        "labeler_seed": args.labeler_seed, "init": args.init, "alignment": args.alignment, **run_overrides(args),
    }
    config = load_config(RoundsConfig, args.config, overrides)
    from commands.rounds.rounds import run_rounds  # torch, Beam and the rest: once the config is known good

    result = run_rounds(config, args.out)
    for row in result["rounds"]:
        target = row["student"]["target"]
        quality = row["label_quality"].get("target", {})
        print(f"round {row['round']}: target labels {100 * quality.get('box_precision', float('nan')):.1f}% precise; "
              f"student target {target['mean']:.1f} [{target['ci95'][0]:.1f}, {target['ci95'][1]:.1f}]")
    print(f"report: {args.out}/rounds.md")
    return 0
