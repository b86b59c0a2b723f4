"""Benchmark: caption-noun extraction, its precision and recall against hand-labelled captions
and its speed in captions per second on one core.

Accuracy: ``scripts/data/caption_nouns_gold.tsv``, Conceptual-Captions-style captions with their
gold object nouns, in a ``dev`` split (used while writing the extractor's rules) and a ``test``
split (never used to choose them); micro precision and recall over (caption, noun) pairs.

Speed: the caption set imitates Conceptual Captions: hypernymised web alt-text ("actor attends
the premiere of the film"), with one word in five swapped for a random WordNet noun so that the
vocabulary is as open as the web's and the per-word cache misses as it would there.

    .venv/bin/python scripts/bench_nouns.py [--captions 200000] [--errors] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import time
from pathlib import Path

from bench_common import report

GOLD = Path(__file__).resolve().parent / "data" / "caption_nouns_gold.tsv"


def read_gold(path: Path = GOLD) -> list[tuple[str, str, set[str]]]:
    """``(split, caption, gold nouns)`` rows of the gold file."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("split\t"):
            continue
        split, caption, nouns = (line.split("\t") + [""])[:3]
        rows.append((split, caption, {noun.strip() for noun in nouns.split(";") if noun.strip()}))
    return rows


def _matches(found: str, gold: str) -> bool:
    """A compound counts as its head noun: "football player" names a player."""
    return found == gold or found.endswith(" " + gold)


def score(extract, rows) -> dict:
    """Micro precision / recall per split, with every wrong and every missed noun."""
    result = {}
    for split in sorted({row[0] for row in rows}):
        found = correct = gold_total = 0
        wrong, missed = [], []
        for _, caption, gold in (row for row in rows if row[0] == split):
            nouns = {noun.lemma for noun in extract(caption).nouns}
            right = {noun for noun in nouns if any(_matches(noun, g) for g in gold)}
            hit = {g for g in gold if any(_matches(noun, g) for noun in nouns)}
            found, correct, gold_total = found + len(nouns), correct + len(right), gold_total + len(gold)
            wrong += [f"{noun} <- {caption}" for noun in sorted(nouns - right)]
            missed += [f"{noun} <- {caption}" for noun in sorted(gold - hit)]
        result[split] = {"captions": sum(1 for row in rows if row[0] == split), "nouns_found": found, "gold_nouns": gold_total,
                         "precision": round(correct / found, 4) if found else None,
                         "recall": round(correct / gold_total, 4) if gold_total else None,
                         "wrong": wrong, "missed": missed}
    return result

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


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captions", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=Path("runs/bench/nouns.json"))
    parser.add_argument("--errors", action="store_true", help="print every wrong and missed noun of the gold set")
    args = parser.parse_args(argv)

    from xpm.nouns import NounExtractor, load_lexicon

    started = time.perf_counter()
    lexicon = load_lexicon()
    load_seconds = time.perf_counter() - started
    captions = caption_set(args.captions, sorted(lexicon.entries))
    rates = []
    for _ in range(args.repeats):
        extract = NounExtractor(lexicon)  # a fresh word cache each time: a cold worker
        started = time.perf_counter()
        found = sum(len(extract(caption).nouns) for caption in captions)
        rates.append(len(captions) / (time.perf_counter() - started))
    accuracy = score(NounExtractor(lexicon), read_gold())
    if args.errors:
        for split, figures in accuracy.items():
            for kind in ("wrong", "missed"):
                print(f"{split} {kind}:", *figures[kind], sep="\n  ")
    result = {
        "benchmark": "caption_nouns",
        "gold": {split: {k: v for k, v in figures.items() if k not in ("wrong", "missed")} for split, figures in accuracy.items()},
        "machine": f"{platform.node()} {platform.processor() or platform.machine()}, 1 core (single process)",
        "captions": len(captions),
        "nouns_found": found,
        "captions_per_second_median": round(statistics.median(rates)),
        "captions_per_second_runs": [round(r) for r in rates],
        "lexicon_load_seconds": round(load_seconds, 3),
        "conceptual_captions_3_3m_minutes": round(3.3e6 / statistics.median(rates) / 60, 2),
        "target_captions_per_second": 20_000,
    }
    return report(result, args.json)


if __name__ == "__main__":
    main()
