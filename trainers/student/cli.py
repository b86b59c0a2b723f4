"""``xpm train-student``: the robust student on base GT and a dataset version's pseudo labels."""

from __future__ import annotations

from pathlib import Path

from xpm.arguments import config_file, existing_file, existing_folder, new_or_folder

HELP = "train the robust student (L_GT + L_M + L_X^alpha) from a teacher on a dataset version"


def add_arguments(parser) -> None:
    parser.add_argument("--out", type=new_or_folder, required=True, help="run folder: config, losses.csv, checkpoints/, model.pt")
    parser.add_argument("--config", type=config_file, help="YAML with StudentConfig fields, or a packaged one by name: "
                        "student_cpu")
    parser.add_argument("--data", type=existing_folder, help="dataset version ROOT/NAME/vN written by pseudo-label")
    parser.add_argument("--base-gt", type=existing_file, help="COCO instances JSON of the base classes")
    parser.add_argument("--base-images", type=existing_folder, help="folder of the base-GT images")
    parser.add_argument("--split", type=existing_file, help="split JSON (its base classes are the teacher's)")
    parser.add_argument("--init", type=existing_file, help="teacher checkpoint the student starts from")
    parser.add_argument("--losses", help="gt+x | gt+x+m | gt+x+m+alpha (default, the robust student)")
    parser.add_argument("--reliability", help="noise (default, Eq. 7) | none | class-score | agreement, or signals joined by + "
                        "(noise+agreement); scaled per batch, or per base/novel group with --set alpha_scale=group-mean")
    parser.add_argument("--eta", type=float, help="Eq. 7's eta (default 0.01)")
    parser.add_argument("--device", help="auto (default), cpu, cuda or cuda:N; cuda without CUDA is an error")
    parser.add_argument("--max-steps", type=int)
    parser.add_argument("--set", action="append", metavar="FIELD=VALUE", help="any config field, e.g. optim.lr=0.01")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args) -> int:
    import logging

    # Before the imports: one of them loads Beam, whose import-time log call would otherwise
    # configure the root logger first (WARNING level), turning this call into a no-op.
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    from trainers.student.config import StudentConfig
    from xpm.config import ConfigError, load_config, merge_overrides, parse_set_options
    from xpm.io.jobs import check_writable

    overrides = merge_overrides(
        {
            "data": args.data, "base_gt": args.base_gt, "base_images": args.base_images, "split": args.split,
            "init": args.init, "losses": args.losses, "reliability": args.reliability, "eta": args.eta,
            "engine": {"device": args.device}, "optim": {"max_steps": args.max_steps},
        },
        parse_set_options(args.set),
    )
    config = load_config(StudentConfig, args.config, overrides)
    if args.eta is not None and config.alpha_scale != "eta":
        raise ConfigError(f"--eta is used only with alpha_scale: eta, and this config has alpha_scale: {config.alpha_scale} "
                          "(each batch's alphas scaled to average 1); add --set alpha_scale=eta, or drop --eta.")
    check_writable(args.out, "--out")
    from trainers.engine.training_run import removed_unless_started
    from trainers.student.train import train_student  # torch and the rest: once the config is known good

    with removed_unless_started(Path(args.out)):
        result = train_student(config, args.out, progress=not args.quiet)
    state = "already trained (same config)" if result.reused else f"{result.steps} steps"
    print(f"{result.model_path}: {state}" + (f", resumed at step {result.resumed_from}" if result.resumed_from else ""))
    return 0
