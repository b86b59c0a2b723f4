"""Benchmark: caption-noun extraction, its precision and recall against hand-labelled captions
and its speed in captions per second on one core.

Accuracy: ``scripts/data/caption_nouns_gold.tsv``, Conceptual-Captions-style captions with their
gold object nouns and, for words with several object senses, the synset meant; the splits and
which of them chose the rules are in the file's header. Per split: micro precision and recall over
(caption, noun) pairs; sense accuracy over the sense-labelled words (a missed word counts as
wrong); and the wrong nouns whose caption word WordNet also has as a verb, an upper bound on the
verb uses kept as nouns (gold never lists a verb use).

Speed, in captions per second of wall time and of the process's CPU time (the extractor is
single-threaded, so the latter is one core's rate even on a machine busy with other jobs): the
caption set imitates Conceptual Captions: hypernymised web alt-text ("actor attends
the premiere of the film"), with one word in five swapped for a random WordNet noun so that the
vocabulary is as open as the web's and the per-word cache misses as it would there.

    .venv/bin/python scripts/bench_nouns.py [--captions 200000] [--errors] [--json OUT.json] [--sense-rule lesk]
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import platform
import random
import statistics
import time
from pathlib import Path

from bench_common import report

GOLD = Path(__file__).resolve().parent / "data" / "caption_nouns_gold.tsv"
_ERROR_LISTS = ("wrong", "missed", "senses_wrong", "verbs_kept")
_PER_CAPTION = "sensed_per_caption"


def read_gold(path: Path = GOLD) -> list[tuple[str, str, set[str], dict[str, set[str]]]]:
    """``(split, caption, gold nouns, {word: synsets that fit})`` rows of the gold file."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("split\t"):
            continue
        split, caption, nouns, senses = (line.split("\t") + ["", ""])[:4]
        labels = {}
        for label in senses.split(";"):
            if label.strip():
                word, synsets = label.split("=")
                labels[word.strip()] = set(synsets.strip().split("|"))
        rows.append((split, caption, {noun.strip() for noun in nouns.split(";") if noun.strip()}, labels))
    return rows


def _matches(found: str, gold: str) -> bool:
    """A compound counts as its head noun: "football player" names a player."""
    return found == gold or found.endswith(" " + gold)


def _inflects(word: str, lemma: str) -> bool:
    """Whether ``word`` is ``lemma`` with an inflection, as far as spelling shows (dogs, flies)."""
    return word.startswith(lemma[:-1]) and len(word) - len(lemma) <= 2


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def score(extract, rows, verb_forms: frozenset[str] = frozenset(), generalisations=lambda synset: {synset}) -> dict:
    """Per split: micro precision / recall, sense accuracy, and every wrong, missed, mis-sensed
    noun and every wrong noun whose last word is one of ``verb_forms``.

    A compound found for a sense-labelled head ("old man" for man) names a narrower sense: it is
    right where one of ``generalisations(its synset)`` (the synset and its hypernyms) is gold.
    """
    result = {}
    for split in sorted({row[0] for row in rows}):
        found = correct = gold_total = labelled = sensed = 0
        wrong, missed, senses_wrong, verbs_kept, sensed_per_caption = [], [], [], [], []
        split_rows = [row for row in rows if row[0] == split]
        for _, caption, gold, labels in split_rows:
            sensed_before = sensed
            nouns = {noun.lemma: noun.synset for noun in extract(caption).nouns}
            right = {noun for noun in nouns if any(_matches(noun, g) for g in gold)}
            hit = {g for g in gold if any(_matches(noun, g) for noun in nouns)}
            found, correct, gold_total = found + len(nouns), correct + len(right), gold_total + len(gold)
            wrong += [f"{noun} <- {caption}" for noun in sorted(nouns.keys() - right)]
            missed += [f"{noun} <- {caption}" for noun in sorted(gold - hit)]
            words = caption.lower().replace(",", " ").split()
            verbs_kept += [f"{noun} <- {caption}" for noun in sorted(nouns.keys() - right)
                           if any(word in verb_forms and _inflects(word, noun.split()[-1]) for word in words)]
            for word, synsets in labels.items():
                chosen = [(noun, synset) for noun, synset in nouns.items() if _matches(noun, word)]
                labelled += 1
                if chosen and (generalisations(chosen[0][1]) if chosen[0][0] != word else {chosen[0][1]}) & synsets:
                    sensed += 1
                else:
                    senses_wrong.append(f"{word}: {chosen[0][1] if chosen else 'not found'} (gold {'|'.join(sorted(synsets))}) <- {caption}")
            sensed_per_caption.append((sensed - sensed_before, len(labels)))
        result[split] = {"captions": len(split_rows), "nouns_found": found, "gold_nouns": gold_total,
                         "precision": _ratio(correct, found), "recall": _ratio(correct, gold_total),
                         "sense_labelled": labelled, "sense_accuracy": _ratio(sensed, labelled),
                         "wrong_nouns_that_can_be_verbs": len(verbs_kept),
                         "wrong": wrong, "missed": missed, "senses_wrong": senses_wrong, "verbs_kept": verbs_kept,
                         _PER_CAPTION: sensed_per_caption}
    return result


def paired_sense_difference(ours: list[tuple[int, int]], theirs: list[tuple[int, int]], *, resamples: int = 5000,
                            seed: int = 0) -> dict:
    """Sense accuracy of ours minus theirs on the same captions, with a 95% bootstrap interval
    over captions (a caption's words are not independent: one context decides them all)."""
    import numpy as np

    ours_right, labelled = np.array(ours).T
    theirs_right = np.array([right for right, _ in theirs])
    draws = np.random.default_rng(seed).integers(0, len(labelled), (resamples, len(labelled)))
    differences = (ours_right[draws].sum(1) - theirs_right[draws].sum(1)) / np.maximum(labelled[draws].sum(1), 1)
    low, high = np.percentile(differences, [2.5, 97.5])
    return {"difference": round(float((ours_right.sum() - theirs_right.sum()) / labelled.sum()), 4),
            "ci95": [round(float(low), 4), round(float(high), 4)], "method": f"bootstrap over captions, {resamples} draws"}

CC_LIKE = """actor attends the premiere of the film
person walking on the beach at sunset
illustration of a cartoon dog with a bone
a cat sleeping on the sofa next to a window
vector illustration of a bicycle on a white background
the city skyline at night with lights reflecting in the river
young woman holding a cup of coffee in a cafe
a plate of pasta with tomatoes and basil on a wooden table
football player celebrates scoring a goal during the match
aerial view of cars on the highway
a group of people sitting around a campfire
bride and groom cutting the wedding cake
stock photo of a businessman using a laptop in the office
a red bus driving down a street in london
close up of a bee on a yellow flower
children playing with a ball in the park
an elephant walking through the savanna
portrait of a smiling man wearing glasses
a bowl of fresh fruit including apples, bananas and oranges
pop artist performs on stage during the festival
the kitchen has a refrigerator, an oven and a microwave
a horse grazing in a field near a barn
tourists taking photos of the cathedral
a teddy bear sitting on a bed
cup of tea with cookies on the saucer
a boat on the lake with mountains in the background
a man riding a motorcycle on a country road
two dogs playing in the snow
a pizza with cheese and pepperoni
sunset over the ocean with palm trees""".splitlines()


def caption_set(count: int, nouns: list[str], seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    captions = []
    for _ in range(count):
        words = rng.choice(CC_LIKE).split()
        words = [rng.choice(nouns).replace("_", " ") if rng.random() < 0.2 else w for w in words]
        captions.append(" ".join(words))
    return captions


def _generalisations():
    """``synset name -> {it and all its hypernyms' names}`` over WordNet."""
    from xpm.resources import load_wordnet

    wordnet = load_wordnet()

    @functools.lru_cache(maxsize=None)
    def generalisations(name: str) -> frozenset[str]:
        synset = wordnet.synset(name)
        return frozenset({name} | {s.name() for s in synset.closure(lambda s: s.hypernyms() + s.instance_hypernyms())})

    return generalisations


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captions", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=Path("runs/bench/nouns.json"))
    parser.add_argument("--errors", action="store_true", help="print every wrong and missed noun of the gold set")
    parser.add_argument("--sense-rule", default="lesk",
                        help="nouns.sense_rule: lesk (default) or gloss-embedding (a text-model forward per caption "
                             "with an ambiguous noun: give it --captions 5000)")
    parser.add_argument("--against", metavar="RULE",
                        help="also score this sense rule and report the paired difference in sense accuracy per split")
    args = parser.parse_args(argv)

    from xpm.nouns import NounExtractor, load_lexicon

    def with_sense_rule(lexicon, rule: str):
        # The rule only chooses among the senses the lexicon holds: one lexicon serves both rules.
        return dataclasses.replace(lexicon, config=dataclasses.replace(lexicon.config, sense_rule=rule))

    started = time.perf_counter()
    lexicon = with_sense_rule(load_lexicon(), args.sense_rule)
    load_seconds = time.perf_counter() - started
    captions = caption_set(args.captions, sorted(lexicon.entries))
    rates, cpu_rates = [], []
    for _ in range(args.repeats):
        extract = NounExtractor(lexicon)  # a fresh word cache each time: a cold worker
        started, cpu_started = time.perf_counter(), time.process_time()
        found = sum(len(extract(caption).nouns) for caption in captions)
        rates.append(len(captions) / (time.perf_counter() - started))
        cpu_rates.append(len(captions) / (time.process_time() - cpu_started))
    generalisations = _generalisations()
    accuracy = score(NounExtractor(lexicon), read_gold(), lexicon.verb_forms | lexicon.participles, generalisations)
    paired = {}
    if args.against:
        other = with_sense_rule(lexicon, args.against)
        theirs = score(NounExtractor(other), read_gold(), other.verb_forms | other.participles, generalisations)
        paired = {split: {"against": args.against, "their_sense_accuracy": theirs[split]["sense_accuracy"],
                          **paired_sense_difference(figures[_PER_CAPTION], theirs[split][_PER_CAPTION])}
                  for split, figures in accuracy.items() if figures["sense_labelled"]}
    if args.errors:
        for split, figures in accuracy.items():
            for kind in _ERROR_LISTS:
                print(f"{split} {kind}:", *figures[kind], sep="\n  ")
    result = {
        "benchmark": "caption_nouns",
        "sense_rule": args.sense_rule,
        "gold": {split: {k: v for k, v in figures.items() if k not in (*_ERROR_LISTS, _PER_CAPTION)}
                 for split, figures in accuracy.items()},
        "sense_rule_paired": paired,
        "machine": f"{platform.node()} {platform.processor() or platform.machine()}, 1 core (single process)",
        "captions": len(captions),
        "nouns_found": found,
        "captions_per_second_median": round(statistics.median(rates)),
        "captions_per_second_runs": [round(r) for r in rates],
        "captions_per_cpu_second_median": round(statistics.median(cpu_rates)),
        "captions_per_cpu_second_runs": [round(r) for r in cpu_rates],
        "lexicon_load_seconds": round(load_seconds, 3),
        "conceptual_captions_3_3m_minutes": round(3.3e6 / statistics.median(rates) / 60, 2),
        "target_captions_per_second": 20_000,
    }
    return report(result, args.json)


if __name__ == "__main__":
    main()
