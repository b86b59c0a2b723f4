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
