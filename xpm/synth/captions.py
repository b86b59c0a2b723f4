"""Captions that read like web alt-text: templates, synonyms, counts, omissions and noise."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from xpm.synth.catalog import ObjectClass

# Filler holds no object noun (a test runs noun extraction over every template).
TEMPLATES = (
    "{objects}",
    "a photo of {objects}",
    "{objects} on a sunny day",
    "close-up of {objects}",
    "there are {objects} here",
    "{objects} seen from above",
    "a cute picture of {objects}",
    "stock photo of {objects}",
    "vector illustration of {objects}",
    "{objects} together in the afternoon",
    "an image showing {objects}",
    "{objects}, colorful and bright",
)
EMPTY_CAPTIONS = ("a beautiful day", "what a view", "so much fun", "enjoying the weekend", "just amazing")
_COUNT_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}
# Chance that a caption names nothing at all (web captions often do not).
NO_MENTION_RATE = 0.03
SYNONYM_RATE = 0.25
# Nouns with no singular: one of them is "a pair of".
PLURAL_ONLY = frozenset({"scissors", "shears", "glasses", "spectacles"})


@dataclass
class Caption:
    text: str
    named: list[str]  # classes in the image that the caption names
    absent_named: list[str]  # classes the caption names that are not in the image


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _phrase(rng: np.random.Generator, cls: ObjectClass, count: int) -> str:
    word = cls.name
    if cls.synonyms and rng.random() < SYNONYM_RATE:
        word = cls.synonyms[int(rng.integers(len(cls.synonyms)))]
    if count == 1:
        if word in PLURAL_ONLY:
            return f"a pair of {word}"
        return f"{_article(word)} {word}" if rng.random() < 0.8 else f"the {word}"
    plural = cls.plural_name(word) if word == cls.name else ObjectClass(word, "", "").plural_name()
    if rng.random() < 0.25:
        return f"some {plural}"
    return f"{_COUNT_WORDS.get(count, 'many')} {plural}"


def _join(phrases: list[str]) -> str:
    if len(phrases) == 1:
        return phrases[0]
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def make_caption(
    rng: np.random.Generator,
    present: list[ObjectClass],
    vocabulary: list[ObjectClass],
    *,
    omit_rate: float,
    noise_rate: float,
) -> Caption:
    """A caption for an image holding ``present``; may add one absent class of ``vocabulary``."""
    counts = Counter(cls.name for cls in present)
    by_name = {cls.name: cls for cls in present}
    order = list(counts)
    rng.shuffle(order)
    named = [name for name in order if rng.random() >= omit_rate]
    if not named and order and rng.random() >= NO_MENTION_RATE:
        named = [order[0]]
    absent: list[str] = []
    if rng.random() < noise_rate:
        candidates = [cls for cls in vocabulary if cls.name not in counts]
        if candidates:
            absent = [candidates[int(rng.integers(len(candidates)))].name]
    mentions = [(by_name[name], counts[name]) for name in named]
    mentions += [(next(c for c in vocabulary if c.name == name), 1) for name in absent]
    if not mentions:
        return Caption(EMPTY_CAPTIONS[int(rng.integers(len(EMPTY_CAPTIONS)))], [], [])
    order_index = rng.permutation(len(mentions))
    phrases = [_phrase(rng, *mentions[i]) for i in order_index]
    template = TEMPLATES[int(rng.integers(len(TEMPLATES)))]
    text = template.format(objects=_join(phrases))
    return Caption(text[0].upper() + text[1:], named, absent)
