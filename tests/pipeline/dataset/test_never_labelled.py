"""A caption noun mentioned and never labelled is named, with its count and why."""

from collections import Counter
from types import SimpleNamespace

from pipeline.dataset.html_report import _never_labelled_section
from pipeline.dataset.inspect import NeverLabelled, never_labelled
from xpm.io.dataset_version import open_version


def _version(by_word=None):
    index = [{"unlabeled_nouns": ["kite", "dog"]}, {"unlabeled_nouns": ["kite"]}]
    counts = {} if by_word is None else {"unlabeled_by_word": by_word}
    return SimpleNamespace(vocab=[{"word": "dog", "count": 3}], index=index, manifest={"counts": counts})


def test_nouns_never_labelled_are_named_with_mentions_and_reasons():
    version = _version({"dog": {"no_region_passes_gate": 1},
                        "kite": {"no_region_passes_gate": 1, "below_calibrated_threshold": 1}, "bus": {"no_region_left": 1}})
    assert never_labelled(version) == [
        NeverLabelled("kite", 2, {"no_region_passes_gate": 1, "below_calibrated_threshold": 1}),
        NeverLabelled("bus", 1, {"no_region_left": 1})]
    assert never_labelled(version)[0].describe() == "kite 2 (no_region_passes_gate 1, below_calibrated_threshold 1)"
    assert "<td>kite</td>" in _never_labelled_section(version) and "dog" not in _never_labelled_section(version)


def test_a_version_without_reasons_per_word_still_names_them():
    assert never_labelled(_version()) == [NeverLabelled("kite", 2, {"reason not recorded": 2})]


def test_a_version_records_every_unlabeled_mention_by_word_and_reason(tiny_version):
    version = open_version(str(tiny_version))
    by_word = version.manifest["counts"]["unlabeled_by_word"]
    assert Counter({w: sum(r.values()) for w, r in by_word.items()}) == Counter(
        w for row in version.index for w in row["unlabeled_nouns"])
    assert sum(n for r in by_word.values() for n in r.values()) == sum(version.manifest["counts"]["unlabeled_by_reason"].values())
