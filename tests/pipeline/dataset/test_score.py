import json
from collections import defaultdict

import numpy as np
import pytest
from PIL import Image

from pipeline.dataset.review import labels_by_noun
from pipeline.dataset.score import load_review, score_review, wilson_interval
from commands.cli import main


def test_wilson_interval_matches_published_values():
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion", Statistics in
    # Medicine 17: the score method without continuity correction on his examples.
    assert wilson_interval(81, 263) == pytest.approx((0.2553, 0.3662), abs=1e-4)
    assert wilson_interval(15, 148) == pytest.approx((0.0624, 0.1605), abs=1e-4)
    assert wilson_interval(0, 20) == pytest.approx((0.0, 0.1611), abs=1e-4)
    assert wilson_interval(1, 29) == pytest.approx((0.0061, 0.1718), abs=1e-4)


def _true_precision(version, correct):
    return {word: np.mean([correct[label.id] for label in labels]) for word, labels in labels_by_noun(version).items()}


def test_intervals_cover_the_true_precision_about_95_percent_of_the_time(judged_version, simulated_review, tmp_path):
    version, correct, rate = judged_version
    by_noun = labels_by_noun(version)
    truth = {word: np.mean([correct[label.id] for label in labels]) for word, labels in by_noun.items()}
    per_noun, seeds = 8, 40
    # Nouns whose labels are all reviewed have their exact precision: they would only inflate coverage.
    sampled = [word for word, labels in by_noun.items() if len(labels) >= 3 * per_noun]
    assert len(sampled) >= 20 and min(truth[w] for w in sampled) < 0.3 and max(truth[w] for w in sampled) > 0.7
    covers_version, covers_rate = [], []
    for seed in range(seeds):
        review = load_review(version, simulated_review(version, correct, per_noun, seed, tmp_path / f"{seed}.json"))
        rows = {row.word: row for row in score_review(version, review).nouns}
        for word in sampled:
            row = rows[word]
            answers = [review.verdicts[label.id] == "right" for label in review.labels if label.word == word]
            assert row.reviewed == per_noun and row.precision == np.mean(answers)
            covers_version.append(row.low <= truth[word] <= row.high)
            covers_rate.append(row.low <= rate[word] <= row.high)
    print(f"coverage of the version's precision per noun {np.mean(covers_version):.3f}, of the labeller's rate "
          f"{np.mean(covers_rate):.3f}: {len(sampled)} nouns x {seeds} seeds, {per_noun} of "
          f"{min(len(by_noun[w]) for w in sampled)}..{max(len(by_noun[w]) for w in sampled)} labels each")
    # Each label is right with its noun's rate, independently, so the reviewed labels are
    # binomial draws of the rate: Wilson's nominal 95%. The version's own precision is a finite
    # population that the sample is a part of, so its coverage is at least as high.
    assert 0.92 <= np.mean(covers_rate) <= 0.98
    assert np.mean(covers_rate) <= np.mean(covers_version) <= 0.995


def test_score_prints_and_writes_precision_per_noun(judged_version, simulated_review, tmp_path, capsys):
    version, correct, _ = judged_version
    path = simulated_review(version, correct, 5, 0, tmp_path / "review.json")
    assert main(["dataset", "score", version.path, "--verdicts", str(path), "--out", str(tmp_path / "s"), "--threshold", "0.6"]) == 0
    out = capsys.readouterr().out
    scores = json.loads((tmp_path / "s" / "precision.json").read_text())
    assert "overall (each noun weighted by its labels)" in out and "upper bound below 0.6: " in out
    below = [row["word"] for row in scores["nouns"] if row["high"] is not None and row["high"] < 0.6]
    assert below and scores["below_threshold"] == below and f"upper bound below 0.6: {', '.join(below)}\n" in out
    precisions = [row["precision"] for row in scores["nouns"]]
    assert precisions == sorted(precisions)
    overall = scores["overall"]
    # The stratified estimate: each noun's precision weighted by its labels in the version.
    counts = {row["word"]: row["labels"] for row in scores["nouns"]}
    weighted = sum(row["precision"] * counts[row["word"]] for row in scores["nouns"]) / sum(counts.values())
    assert overall["precision"] == pytest.approx(weighted) and overall["low"] < weighted < overall["high"]
    chart = np.asarray(Image.open(tmp_path / "s" / "precision.png").convert("RGB"))
    assert chart.shape[0] > 15 * len(precisions) and (tmp_path / "s" / "precision.svg").is_file()


def _rename_label(data, position, new_id):
    old = data["labels"][position]["id"]
    data["labels"][position]["id"] = new_id
    data["verdicts"][new_id] = data["verdicts"].pop(old)


def _edit(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(version_sha256="0" * 64), "reviews judged/v1 (manifest sha256 000000000000), not judged/v1"),
    (lambda d: _rename_label(d, 3, "nosuchkey#0"), "label nosuchkey#0 ("),
    (lambda d: d["labels"][2].update(word="zebra"), "(zebra) is not in judged/v1 (its labels are"),
    (lambda d: d["verdicts"].update({d["labels"][0]["id"]: "maybe"}), "verdict 'maybe' for label"),
    (lambda d: d.update(format="other"), "not a review file"),
])
def test_verdicts_that_do_not_belong_are_an_error_naming_the_first(judged_version, simulated_review, tmp_path, capsys,
                                                                    change, message):
    version, correct, _ = judged_version
    path = _edit(simulated_review(version, correct, 2, 0, tmp_path / "review.json"), change)
    assert main(["dataset", "score", version.path, "--verdicts", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("xpm dataset: error: --verdicts ") and message in err and err.count("\n") == 1


def test_unsure_and_unanswered_labels_count_in_no_interval(judged_version, simulated_review, tmp_path):
    version, correct, _ = judged_version
    path = simulated_review(version, correct, 3, 0, tmp_path / "review.json")
    data = json.loads(path.read_text())
    by_word = defaultdict(list)
    for label in data["labels"]:
        by_word[label["word"]].append(label["id"])
    word = max(by_word, key=lambda w: len(by_word[w]))
    first, second, third = by_word[word][:3]
    data["verdicts"].update({first: "unsure", second: "right"})
    data["verdicts"].pop(third)
    path.write_text(json.dumps(data))
    row = next(r for r in score_review(version, load_review(version, path)).nouns if r.word == word)
    assert (row.right, row.wrong, row.unsure, row.unanswered) == (1, 0, 1, 1)
    assert (row.precision, row.low, row.high) == (1.0, *wilson_interval(1, 1))
