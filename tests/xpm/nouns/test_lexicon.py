import pytest

from xpm.nouns import NounConfig, load_lexicon


def test_lexicon_is_cached_and_equal(tmp_path):
    config = NounConfig(senses=2)
    built = load_lexicon(config, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("lexicon-*.json"))) == 1
    cached = load_lexicon(config, cache_dir=tmp_path)
    assert cached == built
    assert built.wordnet_version == "3.0"
    assert built.entries["dog"] == "dog.n.01"


def test_unknown_root_is_named(tmp_path):
    with pytest.raises(ValueError, match="not_a_synset.n.01"):
        load_lexicon(NounConfig(roots=("not_a_synset.n.01",)), cache_dir=tmp_path)


def test_ambiguous_words_carry_every_common_object_sense_with_its_count_signature_and_gloss(lexicon):
    plant = {synset: (count, set(words)) for synset, count, words, _ in lexicon.senses["plant"]}
    assert set(plant) == {"plant.n.01", "plant.n.02", "plant.n.03"}
    assert plant["plant.n.01"][0] > plant["plant.n.02"][0] > 0  # index.sense: the factory is tagged more often
    assert "pot" in plant["plant.n.02"][1]  # from its hyponym pot_plant
    assert "food" in {word for synset, _, words, _ in lexicon.senses["plate"] if synset == "plate.n.04" for word in words}
    glosses = {synset: gloss for synset, _, _, gloss in lexicon.senses["plant"]}
    assert glosses["plant.n.01"].startswith("plant, a kind of building complex: buildings for carrying on industrial")
    # the poet and the writer named Crane are instances, not what "a crane" means
    assert [synset for synset, _, _, _ in lexicon.senses["crane"]] == ["crane.n.04", "crane.n.05"]


def test_verb_forms_and_non_object_compounds(lexicon):
    assert {"cut", "cuts", "flies", "ran", "watches", "landed", "cutting"} <= lexicon.verb_forms
    assert "traffic_jam" in lexicon.compounds and "cup_of_tea" not in lexicon.compounds
    assert lexicon.entries["hand"] == "hand.n.01"  # body parts are a root
    assert {"member", "band", "icon", "design"} <= lexicon.stoplist
    assert "design" in lexicon.entries  # read as a noun, so that "web design" names no web
