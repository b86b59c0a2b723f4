"""Which object sense of a caption noun the caption means, read by the text model: the caption's
sentence embedding against each sense's gloss ("seal, a kind of pinniped: any of numerous marine
mammals that come on shore to breed"), plus the sense's count in WordNet's sense-tagged corpus as
the prior. Selectable as ``nouns.sense_rule: gloss-embedding`` beside the word-overlap Lesk of
:mod:`xpm.nouns.senses`; which one is the default is measured in docs/results.md.

Overlap needs a word of the caption in the sense's signature; "a seal resting on the beach" shares
none with the mammal's, while the sentence model places beach and marine mammal close.
"""

from __future__ import annotations

import math

import numpy as np

from xpm.text.embedder import TextEmbedder


def gloss_text(synset) -> str:
    """What the text model reads for a sense (an nltk Synset): its first name, its first
    hypernym's and its gloss. The hypernym names the kind where a gloss starts with its traits."""
    hypernyms = synset.hypernyms() + synset.instance_hypernyms()
    kind = f", a kind of {hypernyms[0].lemma_names()[0]}" if hypernyms else ""
    return f"{synset.lemma_names()[0]}{kind}: {synset.definition()}".replace("_", " ")


class GlossEmbeddingSenses:
    """Chooses among a lemma's senses as the lexicon stores them: ``[synset, tagged count,
    signature, gloss]``. A gloss is embedded once per process; a caption once per call of
    :meth:`caption_vector`, by the caller, however many of its nouns need a sense."""

    def __init__(self, prior_weight: float, embedder: TextEmbedder | None = None):
        # Mean-pooled hidden states: what the sentence model was trained to compare.
        self._embedder = embedder or TextEmbedder(mode="contextual")
        self._prior_weight = prior_weight
        # Bounded by the lexicon's senses, a few thousand glosses at most in a run.
        self._glosses: dict[str, np.ndarray] = {}

    def caption_vector(self, caption: str) -> np.ndarray:
        return self._embedder.encode([caption])[0]

    def choose(self, senses: list[list], caption_vector: np.ndarray) -> str:
        """The synset whose gloss is nearest the caption (cosine) plus ``prior_weight`` times
        log(1 + its tagged count); ties go to the earlier, more frequent sense."""
        missing = [sense for sense in senses if sense[0] not in self._glosses]
        if missing:
            vectors = self._embedder.encode([gloss for _, _, _, gloss in missing])
            self._glosses.update((sense[0], vector) for sense, vector in zip(missing, vectors))
        scores = [float(caption_vector @ self._glosses[synset]) + self._prior_weight * math.log1p(count)
                  for synset, count, _, _ in senses]
        return senses[int(np.argmax(scores))][0]
