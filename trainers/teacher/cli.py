"""``xpm train-teacher``: the open-vocabulary teacher on base-class ground truth."""

from __future__ import annotations

from pathlib import Path

from xpm.arguments import config_file, existing_file, existing_folder, new_or_folder

HELP = "train the open-vocabulary teacher (Mask R-CNN, embedding head) on base-class COCO ground truth"


def add_arguments(parser) -> None:
    parser.add_argument("--out", type=new_or_folder, required=True, help="run folder: config, losses.csv, checkpoints/, model.pt")
    parser.add_argument("--config", type=config_file, help="YAML with TeacherConfig fields, or a packaged one by name: "
                        "teacher_cpu (ResNet-18 at 128 px, for a CPU)")
    parser.add_argument("--train-gt", type=existing_file, help="COCO instances JSON of the base classes")
    parser.add_argument("--train-images", type=existing_folder, help="folder of the training images")
    parser.add_argument("--split", type=existing_file, help="split JSON: its base classes are the training vocabulary")
    parser.add_argument("--captioned", help="captioned-image shards to ground the embedding head in (glob, brace pattern "
                        "or comma list, as pseudo-label --input); omit to train on base ground truth only")
    parser.add_argument("--text-model", help="Hugging Face model directory or cached name (default all-MiniLM-L6-v2)")
    parser.add_argument("--device", help="auto (default), cpu, cuda or cuda:N; cuda without CUDA is an error")
    parser.add_argument("--max-steps", type=int, help="training steps")
    parser.add_argument("--set", action="append", metavar="FIELD=VALUE", help="any config field, e.g. optim.lr=0.01 (repeatable)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args) -> int:
    import logging

    # Before the imports: one of them loads Beam, whose import-time log call would otherwise
    # configure the root logger first (WARNING level), turning this call into a no-op.
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    from trainers.teacher.config import TeacherConfig
    from xpm.config import load_config, merge_overrides, parse_set_options
    from xpm.io.jobs import check_writable

    overrides = merge_overrides(
        {
            "train_gt": args.train_gt,
            "train_images": args.train_images,
            "split": args.split,
            "captioned": args.captioned,
            "text_model": args.text_model,
            "engine": {"device": args.device},
            "optim": {"max_steps": args.max_steps},
        },
        parse_set_options(args.set),
    )
    config = load_config(TeacherConfig, args.config, overrides)
    check_writable(args.out, "--out")
    from trainers.engine.training_run import removed_unless_started
    from trainers.teacher.train import train_teacher  # torch and the rest: once the config is known good

    with removed_unless_started(Path(args.out)):
        result = train_teacher(config, args.out, progress=not args.quiet)
    if result.reused:
        print(f"{result.model_path}: already trained ({result.steps} steps, same config)")
    else:
        resumed = f", resumed at step {result.resumed_from}" if result.resumed_from else ""
        print(f"{result.model_path}: {result.steps} steps{resumed}")
    return 0
