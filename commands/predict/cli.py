"""``xpm predict``: segment the classes you name in your own images.

Exit status: 0 when at least one image was processed (files that are no usable image are
reported one line each on stderr and listed in images.json, and the rest proceed); 1 when none
could be; 2 for a usage error (no classes, unknown checkpoint, --out is a file, ...)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from xpm.arguments import existing_file, new_or_folder

if TYPE_CHECKING:
    from commands.predict.config import PredictConfig
    from commands.predict.job import PredictResult

HELP = "segment any class names you type in your images with a trained checkpoint (COCO results JSON + overlay PNGs)"


def add_arguments(parser) -> None:
    parser.epilog = ("exit status: 0 when at least one image was processed (each unusable file is one line on stderr and "
                     "the rest proceed), 1 when none could be, 2 for a usage error")
    parser.add_argument("inputs", nargs="+", metavar="IMAGES_OR_DIR", help="image files and/or folders of images")
    parser.add_argument("--model", type=existing_file, required=True, help="checkpoint (model.pt of train-teacher or train-student)")
    parser.add_argument("--classes", help="class names, comma-separated: 'astronaut,dinosaur,bus'")
    parser.add_argument("--classes-file", type=existing_file, help="a text file of class names, one per line (# comments allowed)")
    parser.add_argument("--out", type=new_or_folder, required=True, help="folder for results.json, images.json and overlays/ (created when missing)")
    parser.add_argument("--device", default="auto", help="auto (default), cpu, cuda or cuda:N")
    parser.add_argument("--batch-size", type=int, default=8, help="images per forward pass (default 8)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--draw-threshold", type=float, default=0.5,
                        help="overlays draw detections scoring at least this (default 0.5); results.json keeps all")
    parser.add_argument("--display-size", type=int, default=512,
                        help="overlays are drawn with the longer side enlarged to this (default 512 px)")
    parser.add_argument("--nms-iou", type=float, default=0.5,
                        help="overlays keep the best of boxes overlapping this much, any class (default 0.5); "
                             "results.json keeps all")


def drawn_summary(result: PredictResult, config: PredictConfig) -> str:
    """How many detections results.json holds, how many the overlays show, and why the rest are
    not shown, so an overlay without boxes is never a puzzle."""
    line = (f"{result.detections} detection(s) of {len(config.classes)} class(es) in results.json, "
            f"{result.drawn} drawn on the overlays")
    reasons = []
    if result.below_draw_threshold:
        reasons.append(f"{result.below_draw_threshold} scoring below --draw-threshold {config.draw_threshold:g}")
    if result.overlapping:
        reasons.append(f"{result.overlapping} overlapping a better-scoring box of any class (--nms-iou {config.nms_iou:g})")
    if reasons:
        line += f"; not drawn: {', '.join(reasons)}"
    if not result.detections:
        line += "; the checkpoint's detector let none through its own score threshold"
    elif not result.drawn:
        line += "; lower --draw-threshold to draw them"
    return line


def run(args) -> int:
    from commands.predict.config import PredictConfig, read_class_names
    from commands.predict.job import predict_images

    config = PredictConfig(
        inputs=tuple(args.inputs), model=args.model, classes=read_class_names(args.classes, args.classes_file),
        out=args.out, device=args.device, batch_size=args.batch_size, draw_threshold=args.draw_threshold,
        display_size=args.display_size, nms_iou=args.nms_iou,
    )
    result = predict_images(config, on_skip=lambda skipped: print(f"xpm predict: {skipped.message()}", file=sys.stderr))
    if not result.images:
        print(f"xpm predict: none of the {len(result.skipped)} file(s) could be processed; see the lines above.", file=sys.stderr)
        return 1
    print(f"{result.images} image(s), {len(result.skipped)} skipped; {result.images_per_second:.2f} images/s")
    print(drawn_summary(result, config))
    print(f"wrote {result.out_dir}/results.json, images.json and overlays/")
    return 0
