"""A review of a dataset version's labels: the file the review page saves (``xpm dataset review``)
and ``xpm dataset score`` / ``derive`` read.

The page holds a stratified sample of labels (per noun, by seed); a person marks each one
``right``, ``wrong`` or ``unsure``. A label is named by its sample key and its position among
that sample's pseudo labels (``<key>#<index>``, the order of ``PseudoLabels.nouns`` and of the
index's ``nouns`` column). The file names the version by the sha256 of its manifest, which holds
every shard's sha256, so verdicts can never be applied to another version by mistake.

    {"format": "xpm.review", "version": 1, "dataset": "world/v1", "version_sha256": "...",
     "seed": 0, "per_noun": 20,
     "labels": [{"id": "000123#0", "word": "dog"}, ...],     the sample shown
     "verdicts": {"000123#0": "right", ...}}                  those answered
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.pseudo_label import SchemaError

REVIEW_FORMAT = "xpm.review"
REVIEW_VERSION = 1
VERDICTS = ("right", "wrong", "unsure")


def label_id(key: str, index: int) -> str:
    return f"{key}#{index}"


def parse_label_id(value: str) -> tuple[str, int]:
    key, _, index = value.rpartition("#")
    if not key or not index.isdigit():
        raise SchemaError(f"label id {value!r} is not <sample key>#<label index>.")
    return key, int(index)


@dataclass(frozen=True)
class ReviewedLabel:
    id: str
    word: str


@dataclass(frozen=True)
class Review:
    dataset: str
    version_sha256: str
    seed: int
    per_noun: int
    labels: tuple[ReviewedLabel, ...]
    verdicts: dict[str, str]

    @classmethod
    def from_json(cls, data) -> "Review":
        if not isinstance(data, dict) or data.get("format") != REVIEW_FORMAT:
            found = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise SchemaError(f"not a review file (format {found!r}, expected {REVIEW_FORMAT!r}).")
        if data.get("version") != REVIEW_VERSION:
            raise SchemaError(f"review file version {data.get('version')!r}; this xpm reads {REVIEW_VERSION}.")
        try:
            labels = tuple(ReviewedLabel(str(row["id"]), str(row["word"])) for row in data["labels"])
            review = cls(str(data["dataset"]), str(data["version_sha256"]), int(data["seed"]), int(data["per_noun"]),
                         labels, {str(k): str(v) for k, v in dict(data["verdicts"]).items()})
        except (KeyError, TypeError, ValueError) as error:
            raise SchemaError(f"review file is malformed ({type(error).__name__}: {error}).") from None
        for label in labels:
            parse_label_id(label.id)
        shown = {label.id for label in labels}
        for key, verdict in review.verdicts.items():
            if key not in shown:
                raise SchemaError(f"verdict for label {key!r}, which is not among the file's labels.")
            if verdict not in VERDICTS:
                raise SchemaError(f"verdict {verdict!r} for label {key!r}: one of {', '.join(VERDICTS)}.")
        return review
