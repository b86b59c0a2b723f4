"""A captioned image's alignment results as its pseudo-label record (``schemas.pseudo_label``)."""

from __future__ import annotations

from typing import Sequence

from pipeline.inference.teacher_handler import AlignedNoun, UnalignedNoun
from xpm.nouns import CaptionNoun, ObjectNounLexicon
from schemas.pseudo_label import PseudoLabels, PseudoNoun, UnlabeledNoun
from xpm.masks import encode_rle


def lexicon_vocab_ids(lexicon: ObjectNounLexicon) -> dict[str, int]:
    """Stable vocabulary ids: a noun's index among the lexicon's sorted lemmas. They depend only
    on the WordNet and noun config (not on which captions a run saw), so shards of different
    runs and versions agree, and no pass over all captions is needed before inference."""
    return {lemma.replace("_", " "): index for index, lemma in enumerate(sorted(lexicon.entries))}


def build_pseudo_labels(
    key: str,
    width: int,
    height: int,
    nouns: Sequence[CaptionNoun],
    aligned: Sequence[AlignedNoun | UnalignedNoun],
    vocab_ids: dict[str, int],
    teacher_sha256: str,
) -> PseudoLabels:
    if len(nouns) != len(aligned):
        raise ValueError(f"{key}: {len(nouns)} nouns but {len(aligned)} alignments.")
    return PseudoLabels(
        key=key,
        width=width,
        height=height,
        teacher_sha256=teacher_sha256,
        nouns=tuple(
            PseudoNoun(
                word=noun.lemma, synset=noun.synset, vocab_id=vocab_ids[noun.lemma],
                box_xyxy=result.box_xyxy, score=result.score, logit=result.logit, mask_rle=encode_rle(result.mask),
            )
            for noun, result in zip(nouns, aligned) if isinstance(result, AlignedNoun)
        ),
        unlabeled=tuple(
            UnlabeledNoun(word=noun.lemma, synset=noun.synset, vocab_id=vocab_ids[noun.lemma], reason=result.reason,
                          logit=result.logit)
            for noun, result in zip(nouns, aligned) if isinstance(result, UnalignedNoun)
        ),
    )
