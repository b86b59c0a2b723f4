"""Captioned-image shards (the pipeline's input, ``schemas.captioned_shard``) streamed for the
teacher's caption grounding: each image with the object nouns its caption names.

Images are decoded as the pipeline decodes them and nouns are extracted by the pipeline's
extractor, so the teacher learns from the very nouns it will later align (Eq. 2). Samples whose
image cannot be decoded or whose caption names no object noun are skipped; ``xpm pseudo-label``
reports them with their reasons.
"""

from __future__ import annotations

from typing import Sequence

import torch

from xpm.io.decode import decode_sample
from xpm.text.word_embeddings import WordEmbeddings
from xpm.io.shard_inputs import expand_inputs
from xpm.nouns.extract import NounExtractor
from xpm.io.records import RawSample, Reject
from trainers.data.shard_stream import resampled_stream
from xpm.io.images import rgb_tensor
from xpm.text.embedder import display_name


def decode_captioned_sample(sample: dict, extractor: NounExtractor) -> tuple[torch.Tensor, dict] | None:
    """(image ``[3, H, W]`` in [0, 1], ``{"nouns": (lemma, ...), "key"}``), or None to skip."""
    parts = {ext: value for ext, value in sample.items() if not ext.startswith("__")}
    decoded = decode_sample(RawSample(sample["__key__"], sample.get("__url__", ""), parts))
    if isinstance(decoded, Reject):
        return None
    nouns = tuple(dict.fromkeys(noun.lemma for noun in extractor(decoded.caption).nouns))
    if not nouns:
        return None
    return rgb_tensor(decoded.pixels), {"nouns": nouns, "key": decoded.key}


def caption_noun_stream(pattern: str, extractor: NounExtractor, *, seed: int, shuffle_buffer: int, epoch: int,
                        batch_size: int):
    """Batches of captioned images and their nouns from the shards ``pattern`` names (a glob, a
    brace pattern or a comma list, as ``xpm pseudo-label --input`` takes), ``epoch`` per epoch."""
    shards = expand_inputs(pattern, option="captioned")
    return resampled_stream(shards, decode=lambda sample: decode_captioned_sample(sample, extractor), seed=seed,
                            shuffle_buffer=shuffle_buffer, epoch=epoch, batch_size=batch_size)


class GroundingVocabulary:
    """The words one grounding batch scores: every noun of the batch's captions, once; returns
    their embeddings ``[V, D]`` and, per image, the rows its caption names. A word named by one
    image is evidence against the others, which is what moves it off the objects they share."""

    def __init__(self, words: WordEmbeddings):
        self._words = words

    def __call__(self, nouns_per_image: Sequence[Sequence[str]]) -> tuple[torch.Tensor, list[torch.Tensor]]:
        rows: dict[str, int] = {}
        words: list[str] = []
        named = []
        for nouns in nouns_per_image:
            image_rows = set()
            for noun in nouns:
                name = display_name(noun)
                if name not in rows:
                    rows[name] = len(words)
                    words.append(noun)
                image_rows.add(rows[name])
            named.append(torch.tensor(sorted(image_rows), dtype=torch.int64))
        return torch.from_numpy(self._words(words)).float(), named
