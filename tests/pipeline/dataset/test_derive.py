import json
import math
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from pipeline.dataset.derive import BELOW_PRECISION, DROPPED_NOUN
from pipeline.dataset.inspect import first_bad_shard, pseudo_label_records
from pipeline.dataset.render import read_samples
from commands.cli import main
from xpm.io.dataset_version import open_version
from xpm.io.hashing import file_sha256


def _copy(version, tmp_path):
    """The version in a dataset folder of its own, so the new vN lands beside it there."""
    target = tmp_path / "datasets" / Path(version.path).parent.name / Path(version.path).name
    shutil.copytree(version.path, target)
    return open_version(str(target))


def _labels(version):
    kept, moved = Counter(), defaultdict(Counter)
    for _, record in pseudo_label_records(version):
        kept.update(noun.word for noun in record.nouns)
        for noun in record.unlabeled:
            moved[noun.reason][noun.word] += 1
    return kept, moved


def _wilson_upper(right, n, z=1.96):
    # The formula of the notes, written out independently of pipeline.dataset.score.
    p = right / n
    return (p + z * z / (2 * n) + z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)


def test_min_precision_drops_exactly_the_nouns_confidently_below_it(judged_version, simulated_review, tmp_path, capsys):
    source, correct, _ = judged_version
    version = _copy(source, tmp_path)
    review = simulated_review(version, correct, 8, 0, tmp_path / "review.json")
    answers = defaultdict(list)
    data = json.loads(review.read_text())
    for label in data["labels"]:
        answers[label["word"]].append(data["verdicts"][label["id"]] == "right")
    expected_drop = {word for word, a in answers.items() if _wilson_upper(sum(a), len(a)) < 0.5}
    assert 5 <= len(expected_drop) < len(answers) - 5

    assert main(["dataset", "derive", version.path, "--min-precision", "0.5", "--verdicts", str(review)]) == 0
    out = capsys.readouterr().out
    derived = open_version(str(Path(version.path).parent / "v2"))
    assert out.startswith(f"{derived.path}: derived from {version.path}")
    before, _ = _labels(version)
    after, moved = _labels(derived)
    assert set(after) == set(before) - expected_drop
    assert after == {word: count for word, count in before.items() if word not in expected_drop}
    assert moved[BELOW_PRECISION] == {word: before[word] for word in expected_drop}
    assert {row["word"] for row in derived.vocab} == set(after)
    # Every sample, reject and input count of the source is kept; only labels moved.
    for field in ("samples", "samples_read", "rejects"):
        assert derived.manifest["counts"][field] == version.manifest["counts"][field]
    assert first_bad_shard(derived) is None
    lineage = derived.manifest["lineage"]["derived_from"]
    assert lineage["version"] == version.path and lineage["version_sha256"] == version.sha256
    assert lineage["filter"] == {"drop_nouns": [], "min_precision": 0.5, "min_score": None}
    assert lineage["verdicts_sha256"] == file_sha256(review)
    assert main(["dataset", "show", derived.path]) == 0
    assert f"derived from {version.path}" in capsys.readouterr().out


def test_the_dropped_nouns_are_mostly_those_truly_below_the_bar(judged_version, simulated_review, tmp_path):
    from pipeline.dataset.derive import LabelFilter, nouns_to_drop

    version, correct, _ = judged_version
    by_word = defaultdict(list)
    for index_row in version.index:
        for position, word in enumerate(index_row["nouns"]):
            by_word[word].append(correct[f"{index_row['key']}#{position}"])
    review = simulated_review(version, correct, 8, 0, tmp_path / "review.json")
    dropped = nouns_to_drop(version, LabelFilter(min_precision=0.5, verdicts=str(review)))
    truly_above = [word for word in dropped if sum(by_word[word]) / len(by_word[word]) >= 0.5]
    # An upper bound below 0.5 is wrong for a noun at 0.5 or more at most 2.5% of the time.
    assert len(truly_above) <= max(1, 0.05 * len(dropped)), truly_above


def test_untouched_shards_come_out_byte_for_byte(tiny_version, tmp_path, capsys):
    version = _copy(open_version(str(tiny_version)), tmp_path)
    shards = defaultdict(set)
    for row in version.index:
        for word in row["nouns"]:
            shards[word].add(row["shard"])
    word = next(w for w, names in sorted(shards.items()) if len(names) == 1)
    assert main(["dataset", "derive", version.path, "--drop-nouns", word]) == 0
    assert "1 of 2 shard(s) unchanged, byte for byte" in capsys.readouterr().out
    derived = open_version(str(Path(version.path).parent / "v2"))
    old = {entry["name"]: entry["sha256"] for entry in version.manifest["shards"]}
    new = {entry["name"]: entry["sha256"] for entry in derived.manifest["shards"]}
    (touched,) = shards[word]
    assert {name for name in old if old[name] == new[name]} == set(old) - {touched}
    for name in old:
        assert ((Path(version.path) / "shards" / name).read_bytes() == (Path(derived.path) / "shards" / name).read_bytes()) \
            == (name != touched)
    _, moved = _labels(derived)
    assert moved[DROPPED_NOUN] == {word: sum(row["nouns"].count(word) for row in version.index)}
    # What training reads: every sample decodes, and none has the dropped noun.
    samples = list(read_samples(derived, 100))
    assert len(samples) == derived.manifest["counts"]["samples"] and all(word not in s.words for s in samples)
    assert main(["dataset", "verify", derived.path]) == 0


@pytest.mark.parametrize("argv, message", [
    ([], "derive needs a filter"),
    (["--min-precision", "0.5"], "--min-precision P and --verdicts FILE go together"),
    (["--min-precision", "1.5", "--verdicts", "{review}"], "--min-precision 1.5: a precision in (0, 1]"),
    (["--min-score", "0"], "--min-score 0.0: a teacher score in (0, 1]"),
    (["--drop-nouns", "dgo"], "--drop-nouns: 'dgo' labels nothing in this version"),
    (["--min-precision", "0.5", "--verdicts", "{other}"], "not tiny/v1"),
    (["--min-precision", "0.5", "--verdicts", "{missing}"], "does not exist"),
])
def test_derive_refuses_bad_filters_and_writes_nothing(tiny_version, judged_version, simulated_review, tmp_path, capsys,
                                                       argv, message):
    version = _copy(open_version(str(tiny_version)), tmp_path)
    source, correct, _ = judged_version
    files = {"review": tmp_path / "review.json", "other": simulated_review(source, correct, 2, 0, tmp_path / "other.json"),
             "missing": tmp_path / "missing.json"}
    files["review"].write_text("{}")
    assert main(["dataset", "derive", version.path, *[a.format(**files) for a in argv]]) == 2
    assert message in capsys.readouterr().err
    assert sorted(p.name for p in Path(version.path).parent.iterdir()) == ["v1"]


def test_a_min_score_that_drops_nothing_writes_no_version(tiny_version, tmp_path, capsys):
    version = _copy(open_version(str(tiny_version)), tmp_path)
    lowest = min(noun.score for _, record in pseudo_label_records(version) for noun in record.nouns)
    assert main(["dataset", "derive", version.path, "--min-score", str(lowest)]) == 2
    assert "so no version was written" in capsys.readouterr().err
    assert sorted(p.name for p in Path(version.path).parent.iterdir()) == ["v1"]
