"""``xpm coco-split``: the paper's COCO 48/17 setting from COCO 2017 annotations."""

from __future__ import annotations

from xpm.arguments import existing_folder, new_or_folder

HELP = "build the paper's COCO setting (48 base / 17 target classes) from COCO 2017 annotations"


def add_arguments(parser) -> None:
    parser.add_argument("--coco-root", type=existing_folder, required=True, help="COCO folder holding annotations/instances_{train,val}2017.json")
    parser.add_argument("--out", type=new_or_folder, required=True, help="output folder for split.json and the GT files")


def run(args) -> int:
    from trainers.data.coco_split import build_coco_split

    summary = build_coco_split(args.coco_root, args.out)
    print(
        f"{summary.out_dir}: split.json (48 base / 17 target); train GT {summary.train_images} images, "
        f"{summary.train_annotations} base annotations; val images all/base/target "
        f"{summary.val_images['all']}/{summary.val_images['base']}/{summary.val_images['target']}"
    )
    return 0
