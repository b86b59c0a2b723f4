import dataclasses

import numpy as np
import pytest

from xpm.nouns import NounConfig, NounExtractor
from xpm.nouns.sense_model import GlossEmbeddingSenses, gloss_text
from xpm.resources import load_wordnet


class TableEmbedder:
    """Unit vectors by text, and the texts it was asked for."""

    def __init__(self, table: dict[str, list[float]]):
        self.table, self.calls = table, []

    def encode(self, texts):
        self.calls.append(list(texts))
        rows = np.array([self.table[text] for text in texts], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


SENSES = [["home_plate.n.01", 6, [], "base"], ["plate.n.04", 3, [], "dish"]]


def test_the_gloss_nearest_the_caption_wins_unless_the_prior_outweighs_it():
    embedder = TableEmbedder({"base": [1, 0], "dish": [0, 1], "a plate of food": [0.2, 1]})
    near = GlossEmbeddingSenses(0.08, embedder)
    assert near.choose(SENSES, near.caption_vector("a plate of food")) == "plate.n.04"
    heavy = GlossEmbeddingSenses(5.0, embedder)
    assert heavy.choose(SENSES, heavy.caption_vector("a plate of food")) == "home_plate.n.01"


def test_a_gloss_is_embedded_once_and_a_tie_goes_to_the_earlier_sense():
    embedder = TableEmbedder({"base": [1, 0], "dish": [0, 1], "caption": [1, 1]})
    senses = GlossEmbeddingSenses(0.0, embedder)
    tied = [["a.n.01", 0, [], "base"], ["b.n.01", 0, [], "dish"]]
    vector = senses.caption_vector("caption")
    assert senses.choose(tied, vector) == "a.n.01" and senses.choose(tied, vector) == "a.n.01"
    assert embedder.calls == [["caption"], ["base", "dish"]]


def test_a_gloss_names_the_sense_its_kind_and_its_definition():
    seal = load_wordnet().synset("seal.n.09")
    assert gloss_text(seal) == f"seal, a kind of pinniped mammal: {seal.definition()}"


@pytest.fixture(scope="module")
def read_by_the_text_model(lexicon):
    return NounExtractor(dataclasses.replace(lexicon, config=NounConfig(sense_rule="gloss-embedding")))


@pytest.mark.parametrize("caption, lemma, synset", [
    ("a seal resting on the beach", "seal", "seal.n.09"),  # the mammal, not sealing wax: no shared word
    ("a pitcher of lemonade on the table", "pitcher", "pitcher.n.02"),  # the jug, not the player
    ("grilled chicken on a plate with rice", "plate", "plate.n.04"),  # a dish, not home plate
    ("a mouse and a keyboard next to the monitor", "mouse", "mouse.n.04"),
    ("a mouse and a keyboard next to the monitor", "monitor", "monitor.n.04"),  # the screen, not a proctor
    ("a batter swings the bat at the ball", "bat", "bat.n.05"),
    ("a bat flies out of the cave at dusk", "bat", "bat.n.01"),
])
def test_the_text_model_reads_the_sense_from_the_whole_caption(read_by_the_text_model, caption, lemma, synset):
    assert {noun.lemma: noun.synset for noun in read_by_the_text_model(caption).nouns}[lemma] == synset


def test_an_unknown_sense_rule_is_named_with_the_choices():
    with pytest.raises(ValueError, match="sense_rule='bert'.*lesk, gloss-embedding"):
        NounConfig(sense_rule="bert")
