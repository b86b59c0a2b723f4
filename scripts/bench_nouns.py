"""Benchmark: caption-noun extraction, captions per second on one core.

The caption set imitates Conceptual Captions: hypernymised web alt-text ("actor attends the
premiere of the film"), with one word in five swapped for a random WordNet noun so that the
vocabulary is as open as the web's and the per-word cache misses as it would there.

    .venv/bin/python scripts/bench_nouns.py [--captions 200000] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import time
from pathlib import Path

from bench_common import report

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
    args = parser.parse_args(argv)

    from pipeline.nouns import NounExtractor, load_lexicon

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
    result = {
        "benchmark": "caption_nouns",
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
