"""``xpm nouns``: show the object nouns found in captions (a debugging aid)."""

from __future__ import annotations

import json

HELP = "print the WordNet object nouns of each caption"


def add_arguments(parser) -> None:
    parser.add_argument("captions", nargs="+", metavar="CAPTION")
    parser.add_argument("--json", action="store_true", help="one JSON list per caption: [{lemma, synset}]")
    parser.add_argument("--senses", type=int, help="count a word if any of its first K noun senses is an object (default 3)")


def run(args) -> int:
    from pipeline.nouns import NounConfig, NounExtractor
    from xpm.config import load_config

    extract = NounExtractor.from_config(load_config(NounConfig, None, {"senses": args.senses}))
    for caption in args.captions:
        result = extract(caption)
        if args.json:
            print(json.dumps([noun.to_json() for noun in result.nouns]))
        else:
            found = ", ".join(f"{n.lemma} ({n.synset})" for n in result.nouns) or f"- ({result.reason})"
            print(f"{caption!r}: {found}")
    return 0
