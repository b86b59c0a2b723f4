import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


@pytest.mark.parametrize("script", sorted(p.name for p in SCRIPTS.glob("*.py") if p.name != "bench_common.py"))
def test_every_benchmark_parses_its_arguments(script):
    """Benchmarks and measurements are run by hand (benchmarks also by bench_all); this keeps their command lines
    from rotting."""
    result = subprocess.run([sys.executable, str(SCRIPTS / script), "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout


def test_bench_all_says_what_to_run_first(tmp_path):
    result = subprocess.run([sys.executable, str(SCRIPTS / "bench_all.py"), "--demo", str(tmp_path / "none")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "run `xpm demo" in result.stderr


def test_bench_nouns_scores_words_senses_and_verbs_kept(tmp_path):
    sys.path.insert(0, str(SCRIPTS))
    try:
        from bench_nouns import read_gold, score
    finally:
        sys.path.remove(str(SCRIPTS))
    from xpm.nouns import CaptionNoun, NounResult

    gold = tmp_path / "gold.tsv"
    gold.write_text("# header\nsplit\tcaption\tnouns\tsenses\n"
                    "h\ta plate of food\tplate; food\tplate=plate.n.04\n"
                    "h\tthe groom cut the cake\tgroom; cake\tcake=cake.n.03|cake.n.01\n")
    answers = {"a plate of food": [CaptionNoun("plate", "home_plate.n.01"), CaptionNoun("food", "food.n.01")],
               "the groom cut the cake": [CaptionNoun("cut", "cut.n.03"), CaptionNoun("cake", "cake.n.01")]}
    rows = read_gold(gold)
    assert rows[1][3] == {"cake": {"cake.n.03", "cake.n.01"}}
    figures = score(lambda caption: NounResult(nouns=answers[caption]), rows, frozenset({"cut", "cuts"}))["h"]
    assert (figures["precision"], figures["recall"], figures["sense_accuracy"]) == (0.75, 0.75, 0.5)
    assert figures["verbs_kept"] == ["cut <- the groom cut the cake"]
    assert figures["senses_wrong"] == ["plate: home_plate.n.01 (gold plate.n.04) <- a plate of food"]

    # a compound's narrower sense counts where one of its generalisations is gold
    answers["a plate of food"] = [CaptionNoun("dinner plate", "dinner_plate.n.01"), CaptionNoun("food", "food.n.01")]
    kinds = {"dinner_plate.n.01": {"dinner_plate.n.01", "plate.n.04"}}
    figures = score(lambda caption: NounResult(nouns=answers[caption]), rows, frozenset(), lambda s: kinds.get(s, {s}))["h"]
    assert figures["sense_accuracy"] == 1.0 and figures["sensed_per_caption"] == [(1, 1), (1, 1)]


def test_bench_nouns_pairs_two_sense_rules_by_caption():
    sys.path.insert(0, str(SCRIPTS))
    try:
        from bench_nouns import paired_sense_difference
    finally:
        sys.path.remove(str(SCRIPTS))

    ours, theirs = [(2, 2), (1, 1), (0, 1)], [(1, 2), (1, 1), (0, 1)]
    paired = paired_sense_difference(ours, theirs, resamples=2000)
    assert paired["difference"] == 0.25  # one more of four labelled words
    low, high = paired["ci95"]
    assert 0.0 <= low < 0.25 < high <= 0.5  # only the first caption differs, by one of its two words
    assert paired_sense_difference(ours, ours)["ci95"] == [0.0, 0.0]


def test_experiment_table_lists_every_world_configuration_and_claim():
    sys.path.insert(0, str(SCRIPTS))
    from experiment_table import table

    entry = {"seeds": [0, 1, 2, 3, 4], "target": {"mean": 20.0, "ci95": [18.0, 22.0], "sd_seeds": 1.5, "n": 5},
             "base": {"mean": 40.0, "ci95": [39.0, 41.0], "sd_seeds": 0.5, "n": 5}}
    claim = {"claim": "c", "holds": False, "target": {"mean": 4.0, "ci95": [3.0, 5.0]}}
    teacher = {"seeds": [0], **{g: {**entry[g], "sd_seeds": None, "n": 1} for g in ("target", "base")}}
    summary = {"configs": {"teacher": teacher, "gt+x+m+alpha": entry}, "claims": {"1": claim}}
    text = table({"w1": summary, "w2": {**summary, "claims": {"1": {**claim, "holds": True}}}})
    assert "| w1 | gt+x+m+alpha | 5 | 20.0 [18.0, 22.0] | 40.0 [39.0, 41.0] | 1.50 [0.90, 4.31] | 0.50 [0.30, 1.44] |" in text
    assert "| w1 | teacher | 1 | 20.0 [18.0, 22.0] | 40.0 [39.0, 41.0] | - | - |" in text
    assert "| w1 | 1: c | **does not hold** | target 4.0 [3.0, 5.0] |" in text and "| w2 | 1: c | holds |" in text
