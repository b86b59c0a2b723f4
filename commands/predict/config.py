"""The configuration of one ``xpm predict`` run (saved beside its output), and the class names a
user types or lists in a file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from xpm.config import ConfigError


@dataclass(frozen=True)
class PredictConfig:
    inputs: tuple[str, ...]
    model: str
    classes: tuple[str, ...]
    out: str
    device: str = "auto"
    batch_size: int = 8
    # Overlays show detections at least this confident; results.json keeps every detection
    # the checkpoint's own score threshold lets through, as COCO evaluation expects.
    draw_threshold: float = 0.5
    # Overlays are drawn with the longer side enlarged to this many pixels, so tags stay legible
    # on small images; larger images are drawn as they are.
    display_size: int = 512
    # Overlays draw one box per object: of drawn detections overlapping at least this IoU, only
    # the best scoring one, whatever its class (an open vocabulary often names one object twice).
    nms_iou: float = 0.5

    def __post_init__(self) -> None:
        if not self.inputs:
            raise ConfigError("no input given; pass image files or folders of images.")
        if not self.classes:
            raise ConfigError("no class names; pass --classes 'astronaut,dinosaur' or --classes-file FILE.")
        repeated = sorted({name for name in self.classes if self.classes.count(name) > 1})
        if repeated:
            raise ConfigError(f"class name(s) {', '.join(map(repr, repeated))} given more than once; "
                              "name each class once (the classes would split their scores).")
        if self.batch_size < 1:
            raise ConfigError(f"--batch-size {self.batch_size}: at least 1.")
        if not 0.0 <= self.draw_threshold <= 1.0:
            raise ConfigError(f"--draw-threshold {self.draw_threshold}: a score between 0 and 1.")
        if self.display_size < 1:
            raise ConfigError(f"--display-size {self.display_size}: at least 1 pixel.")
        if not 0.0 < self.nms_iou <= 1.0:
            raise ConfigError(f"--nms-iou {self.nms_iou}: an IoU in (0, 1]; 1 keeps every box.")


def read_class_names(classes: str | None = None, classes_file: str | Path | None = None) -> tuple[str, ...]:
    """The names of ``--classes`` (comma-separated) then of ``--classes-file`` (one per line;
    blank lines and ``#`` comments skipped), surrounding spaces removed, in the order given."""
    names = [name.strip() for name in (classes or "").split(",")]
    if classes_file is not None:
        path = Path(classes_file)
        if not path.is_file():
            raise FileNotFoundError(f"--classes-file {path} does not exist (a text file, one class name per line).")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ConfigError(f"--classes-file {path} is not UTF-8 text; save it as UTF-8, one class name per line.") from None
        names += [line.strip() for line in text.splitlines() if not line.strip().startswith("#")]
    return tuple(name for name in names if name)
