"""The pseudo labels of one captioned image: the ``<key>.json`` of a dataset version's shards.

Per caption noun o: the teacher's region b_o chosen by Eq. 2 (``box_xyxy`` in image pixels,
refined by the class-agnostic box regression), its Eq. 2 score ``logit`` = v_o^T h_Emb(f_{b_o}),
``score`` = its softmax probability over [background, the caption's nouns], and the Eq. 4
binarized mask as COCO RLE (``mask_rle``). ``vocab_id`` indexes the version's ``vocab.parquet``.
A caption noun the alignment rule gave no region (``xpm pseudo-label --alignment``) is listed in
``unlabeled`` with the reason and its best Eq. 2 score, never silently dropped; records without
the list (written before rules could drop a noun) read as having none.
"""

from __future__ import annotations

from dataclasses import dataclass

PSEUDO_LABEL_FORMAT = "xpm.pseudo_label"
PSEUDO_LABEL_VERSION = 1


class SchemaError(ValueError):
    """A record that does not follow its schema; the message names the field."""


@dataclass(frozen=True)
class PseudoNoun:
    word: str
    synset: str
    vocab_id: int
    box_xyxy: tuple[float, float, float, float]
    score: float
    logit: float
    mask_rle: dict

    def to_json(self) -> dict:
        return {
            "word": self.word,
            "synset": self.synset,
            "vocab_id": self.vocab_id,
            "box_xyxy": [round(float(v), 2) for v in self.box_xyxy],
            "score": round(float(self.score), 5),
            "logit": round(float(self.logit), 5),
            "mask_rle": self.mask_rle,
        }


@dataclass(frozen=True)
class UnlabeledNoun:
    word: str
    synset: str
    vocab_id: int
    reason: str
    logit: float

    def to_json(self) -> dict:
        return {"word": self.word, "synset": self.synset, "vocab_id": self.vocab_id, "reason": self.reason,
                "logit": round(float(self.logit), 5)}


@dataclass(frozen=True)
class PseudoLabels:
    key: str
    width: int
    height: int
    teacher_sha256: str
    nouns: tuple[PseudoNoun, ...]
    unlabeled: tuple[UnlabeledNoun, ...] = ()

    def to_json(self) -> dict:
        return {
            "format": PSEUDO_LABEL_FORMAT,
            "version": PSEUDO_LABEL_VERSION,
            "key": self.key,
            "width": self.width,
            "height": self.height,
            "teacher_sha256": self.teacher_sha256,
            "nouns": [noun.to_json() for noun in self.nouns],
            "unlabeled": [noun.to_json() for noun in self.unlabeled],
        }

    @classmethod
    def from_json(cls, data: dict) -> "PseudoLabels":
        if not isinstance(data, dict) or data.get("format") != PSEUDO_LABEL_FORMAT:
            raise SchemaError(f"not a pseudo-label record (format {data.get('format') if isinstance(data, dict) else None!r}).")
        if data.get("version") != PSEUDO_LABEL_VERSION:
            raise SchemaError(f"pseudo-label version {data.get('version')}; this xpm reads {PSEUDO_LABEL_VERSION}.")
        try:
            nouns = tuple(
                PseudoNoun(
                    word=str(n["word"]), synset=str(n["synset"]), vocab_id=int(n["vocab_id"]),
                    box_xyxy=tuple(float(v) for v in n["box_xyxy"]), score=float(n["score"]),
                    logit=float(n["logit"]), mask_rle=dict(n["mask_rle"]),
                )
                for n in data["nouns"]
            )
            unlabeled = tuple(
                UnlabeledNoun(word=str(n["word"]), synset=str(n["synset"]), vocab_id=int(n["vocab_id"]),
                              reason=str(n["reason"]), logit=float(n["logit"]))
                for n in data.get("unlabeled", [])
            )
            record = cls(str(data["key"]), int(data["width"]), int(data["height"]), str(data["teacher_sha256"]), nouns,
                         unlabeled)
        except (KeyError, TypeError, ValueError) as error:
            raise SchemaError(f"pseudo-label record {data.get('key')!r} is malformed ({type(error).__name__}: {error}).") from None
        for noun in nouns:
            if len(noun.box_xyxy) != 4 or list(noun.mask_rle.get("size", [])) != [record.height, record.width]:
                raise SchemaError(f"pseudo-label record {record.key!r}: noun {noun.word!r} has a box or mask of the wrong shape.")
        return record
