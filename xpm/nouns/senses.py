"""Which object sense of a caption noun the caption means: a simplified Lesk.

Each object sense of a word carries a signature, the stems of the words WordNet uses around it
(gloss, synonyms, two levels of hypernyms with the first level's glosses, hyponyms, parts, wholes
and topic domain); the caption's other words are stemmed the same way, and the sense whose signature shares
the most stems with them wins, with the sense's count in WordNet's sense-tagged corpus
(``index.sense``) as the prior. "a plate of food" shares "food" with the dish's gloss and nothing
with home plate's; "potted plants" share "pot" with pot_plant, a hyponym of the organism.
"""

from __future__ import annotations

import math
import re

_WORD = re.compile(r"[a-z]+")

# Words of glosses that say nothing about a sense's topic; a shared "used" or "small" is chance.
SIGNATURE_STOPWORDS = frozenset(
    """a an the of in on at to by for from with into onto over under and or but not no is are was were be been
    being it its this that these those as so such than then there which who whom whose what when where while
    any all some each every other another one two both either neither more most much many few less least very
    usually especially often sometimes typically also etc eg ie used use using made make making
    consist consisting consists something someone thing things kind form sort type part piece has have
    having small large big little great long short may can will would should could must do does
    resembling resemble like similar various several certain either way about around out up down off""".split()
)

# Suffixes stripped in this order; the first that applies is the only one.
_SUFFIXES = (("ies", "y", 4), ("ing", "", 5), ("ed", "", 4), ("es", "", 3), ("s", "", 3))
_KEEP_FINAL_S = ("ss", "us", "is")


def stem(word: str) -> str:
    """A crude stem that maps a word's inflections to one key ("potted", "pot", "pots": "pot").

    Only equality between stems matters, so the stem need not be a word; a dictionary stemmer
    would miss "potted" (WordNet has no verb "pot" in that sense) and cost a lookup per word.
    """
    for suffix, replacement, shortest in _SUFFIXES:
        if len(word) > shortest and word.endswith(suffix):
            if suffix == "s" and word.endswith(_KEEP_FINAL_S):
                break
            word = word[: -len(suffix)] + replacement
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def stems(text: str) -> set[str]:
    """The stems of the content words of ``text``."""
    return {stem(word) for word in _WORD.findall(text.lower()) if word not in SIGNATURE_STOPWORDS and len(word) > 2}


def signature(synset) -> list[str]:
    """The sorted stems that stand for ``synset`` (an nltk Synset) in a caption."""
    # Not the example sentences: their other words are chance ("he likes to play golf with the
    # boys" made "a boy plays the drums" a grown man).
    text = [synset.definition(), *synset.lemma_names()]
    for hypernym in synset.hypernyms() + synset.instance_hypernyms():
        text += [hypernym.definition(), *hypernym.lemma_names()]
        for grand in hypernym.hypernyms():
            text += grand.lemma_names()
    related = (
        synset.part_meronyms() + synset.substance_meronyms() + synset.member_holonyms() + synset.part_holonyms()
        + synset.topic_domains()
    )
    for other in related:
        text += other.lemma_names()
    # A hyponym's one-word names, and the modifiers of its compounds whose head is this word
    # (pot_plant: "pot"); the words of other compounds name other things (a Marine is a devil_dog).
    heads = {name.lower() for name in synset.lemma_names()}
    for hyponym in synset.hyponyms():
        for name in hyponym.lemma_names():
            modifier, _, head = name.lower().rpartition("_")
            if not modifier:
                text.append(head)
            elif head in heads:
                text.append(modifier)
    return sorted(stems(" ".join(text).replace("_", " ")))


def prepare_senses(senses: list[list], prior_weight: float) -> list[tuple[str, float, frozenset[str]]]:
    """``[synset, tagged count, signature, gloss]`` per sense (as the lexicon stores them) ->
    ``(synset, prior, signature)`` with the prior ``prior_weight * log(1 + count)``."""
    return [(synset, prior_weight * math.log1p(count), frozenset(words)) for synset, count, words, _ in senses]


def choose_sense(senses: list[tuple[str, float, frozenset[str]]], context: frozenset[str]) -> str:
    """The synset of ``senses`` (from :func:`prepare_senses`, in WordNet's order) whose signature
    shares the most stems with ``context``, plus its prior; ties go to the earlier sense, which
    WordNet lists first when it is more frequent."""
    best, best_score = senses[0][0], -math.inf
    for synset, prior, words in senses:
        score = prior + len(words & context)
        if score > best_score:
            best, best_score = synset, score
    return best
