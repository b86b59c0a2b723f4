"""``xpm synth``: write the synthetic captioned world."""

from __future__ import annotations

import json
from xpm.arguments import existing_file

HELP = "synthesize the captioned emoji world (base GT, captioned shards, validation and test GT)"


def add_arguments(parser) -> None:
    parser.add_argument("out_dir", nargs="?", help="output directory (must not exist, or hold this same run)")
    parser.add_argument("--config", type=existing_file, help="YAML with SynthConfig fields; flags override it")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--train-images", type=int, help="base-GT training images (default 2000)")
    parser.add_argument("--caption-images", type=int, help="captioned images (default 2000)")
    parser.add_argument("--val-images", type=int, help="validation images, for choosing settings (default 300)")
    parser.add_argument("--test-images", type=int, help="held-out test images, for reporting (default 1000)")
    parser.add_argument("--split", type=existing_file, help="split JSON over the catalog (default: the packaged 36/12/24 split)")
    parser.add_argument("--image-size", type=int, help="square image side in pixels (default 128)")
    parser.add_argument("--caption-noise", type=float, help="share of captions naming an absent object (default 0.1)")
    parser.add_argument("--shard-size", type=int, help="captioned samples per shard (default 500)")
    parser.add_argument("--list-classes", action="store_true", help="print the class catalog and exit")


def run(args) -> int:
    from tqdm import tqdm

    from xpm.config import ConfigError, load_config
    from xpm.synth.config import SynthConfig
    from xpm.synth.world import catalog_listing, load_split, synthesize

    if args.list_classes:
        for row in catalog_listing(load_split(args.split)):
            print(json.dumps(row, ensure_ascii=False))
        return 0
    if not args.out_dir:
        raise ConfigError("name an OUT_DIR (or pass --list-classes).")
    overrides = {
        "seed": args.seed,
        "train_images": args.train_images,
        "caption_images": args.caption_images,
        "val_images": args.val_images,
        "test_images": args.test_images,
        "split": args.split,
        "image_size": args.image_size,
        "caption_noise": args.caption_noise,
        "shard_size": args.shard_size,
    }
    config = load_config(SynthConfig, args.config, overrides)
    total = config.train_images + config.caption_images + config.val_images + config.test_images
    with tqdm(total=total, unit="img", desc="synth") as bar:
        summary = synthesize(config, args.out_dir, progress=bar.update)
    verb = "already there, same config" if summary.reused else "written"
    print(
        f"{summary.out_dir}: {verb}: {summary.train_images} train, {summary.caption_images} captioned "
        f"in {summary.shards} shard(s), {summary.val_images} val, {summary.test_images} test images"
    )
    return 0
