"""``xpm study-alignment``: score every alignment rule against a world's truth from one teacher
pass, writing OUT/alignment_study.json, OUT/alignment_study.md and the config beside them."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from xpm.arguments import existing_file, existing_folder, new_or_folder

HELP = "score every alignment rule (Eq. 2 and the rules beside it) against a synthetic world's truth"


def add_arguments(parser) -> None:
    parser.add_argument("--world", type=existing_folder, required=True, help="a world of `xpm synth` (it holds captioned/instances_all.json)")
    parser.add_argument("--teacher", type=existing_file, required=True, help="teacher checkpoint (model.pt of train-teacher)")
    parser.add_argument("--out", type=new_or_folder, required=True, help="folder for the JSON, the markdown table and the config")
    parser.add_argument("--images", type=int, help="captioned images to study (default 2000)")
    parser.add_argument("--rules", help="comma list of rules (default: every rule of xpm.modeling.alignment.ALIGNMENTS)")
    parser.add_argument("--config", type=existing_file, help="YAML with StudyConfig fields; flags override it")
    parser.add_argument("--device", help="auto, cpu (default) or cuda")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def run(args) -> int:
    from xpm.config import load_config, save_config
    from xpm.io.atomic import write_text_atomically
    from commands.study.alignment_study import StudyConfig, markdown_table, run_study

    overrides = {"world": args.world, "teacher": args.teacher, "out": args.out, "images": args.images, "device": args.device,
                 "rules": tuple(args.rules.split(",")) if args.rules else None}
    try:
        config = load_config(StudyConfig, args.config, {k: v for k, v in overrides.items() if v is not None})
    except ValueError as error:
        print(f"xpm study-alignment: error: {error}", file=sys.stderr)
        return 2
    for path, what in ((Path(config.world) / "captioned" / "instances_all.json", "--world"), (Path(config.teacher), "--teacher")):
        if not path.is_file():
            print(f"xpm study-alignment: error: {path} does not exist; check {what}.", file=sys.stderr)
            return 2
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    save_config(config, out / "study_config.yaml")
    started = time.perf_counter()

    def progress(done: int) -> None:
        if not args.quiet:
            rate = done / (time.perf_counter() - started)
            print(f"study-alignment: {done}/{config.images} images, {rate:.1f} images/s", file=sys.stderr, flush=True)

    results = run_study(config, progress=progress)
    results["wall_seconds"] = time.perf_counter() - started
    write_text_atomically(out / "alignment_study.json", json.dumps(results, indent=2) + "\n")
    table = markdown_table(results)
    write_text_atomically(out / "alignment_study.md", table)
    print(table)
    return 0
