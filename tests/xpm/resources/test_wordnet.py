import os
import subprocess
import sys

import pytest

from xpm.resources.wordnet import DEBIAN_WORDNET_DIR, LEXNAMES


def _python(code, env_overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith("XPM_")}
    env.update(env_overrides)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)


def test_lexnames_has_the_45_files():
    assert len(LEXNAMES) == 45 and LEXNAMES[3] == "noun.Tops" and LEXNAMES[-1] == "adj.ppl"


@pytest.mark.skipif(not DEBIAN_WORDNET_DIR.is_dir(), reason="Debian's wordnet-base is not installed")
def test_builds_a_loadable_corpus_in_a_clean_cache(tmp_path):
    data = tmp_path / "nltk_data"
    result = _python(
        "from xpm.resources import load_wordnet; wn = load_wordnet(); "
        "print(wn.get_version(), wn.synset('object.n.01').name(), wn.synsets('mice')[0].name())",
        {"XPM_NLTK_DATA": str(data), "XPM_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["3.0", "object.n.01", "mouse.n.01"]
    corpus = data / "corpora" / "wordnet"
    assert (corpus / "lexnames").is_file() and not (corpus / "data.noun").is_symlink()
    assert not [p for p in (data / "corpora").iterdir() if p.name.startswith(".wordnet-")]


@pytest.mark.skipif(not DEBIAN_WORDNET_DIR.is_dir(), reason="Debian's wordnet-base is not installed")
def test_a_zipped_corpus_as_nltk_download_leaves_it_is_used(tmp_path):
    import shutil

    from xpm.resources.wordnet import build_corpus

    built = build_corpus(DEBIAN_WORDNET_DIR, tmp_path / "built")
    shutil.make_archive(str(tmp_path / "nltk_home" / "corpora" / "wordnet"), "zip", built.parent, "wordnet")
    result = _python(
        "from xpm.resources import load_wordnet; print(load_wordnet().synset('object.n.01').name())",
        {"NLTK_DATA": str(tmp_path / "nltk_home"), "XPM_WORDNET_SOURCE": str(tmp_path / "nowhere"),
         "XPM_CACHE_DIR": str(tmp_path / "cache"), "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["object.n.01"]
    assert not (tmp_path / "cache" / "nltk_data" / "corpora" / "wordnet").exists()


def test_missing_wordnet_names_both_remedies(tmp_path):
    result = _python(
        "from xpm.resources import load_wordnet; load_wordnet()",
        {"XPM_NLTK_DATA": str(tmp_path / "empty"), "XPM_WORDNET_SOURCE": str(tmp_path / "nowhere"),
         "HOME": str(tmp_path), "NLTK_DATA": str(tmp_path / "none")},
    )
    assert result.returncode != 0
    assert "apt-get install wordnet-base wordnet-sense-index" in result.stderr
    assert "nltk.download('wordnet')" in result.stderr


def test_missing_font_is_named(tmp_path):
    result = _python(
        "from xpm.resources import emoji_font_path; emoji_font_path()",
        {"XPM_EMOJI_FONT": str(tmp_path / "none.ttf")},
    )
    assert result.returncode != 0 and "XPM_EMOJI_FONT" in result.stderr
