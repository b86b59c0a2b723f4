"""``xpm nouns``: show the object nouns found in captions (a debugging aid)."""

from __future__ import annotations

import json
import sys

HELP = "print the WordNet object nouns of each caption"


def add_arguments(parser) -> None:
    parser.add_argument("captions", nargs="+", metavar="CAPTION", help="captions; '-' reads them from stdin, one per line")
    parser.add_argument("--json", action="store_true",
                        help="one JSON object per caption: {caption, nouns: [{lemma, synset}], reason} (reason: why no noun)")
    parser.add_argument("--senses", type=int, help="count a word if any of its first K noun senses is an object (default 3)")
    parser.add_argument("--sense-rule", help="how an ambiguous word gets its sense: lesk (default; word overlap) or "
                                             "gloss-embedding (the text model reads the caption)")


def _captions(arguments: list[str]):
    for argument in arguments:
        if argument == "-":
            yield from (line.rstrip("\n") for line in sys.stdin if line.strip())
        else:
            yield argument


def run(args) -> int:
    from xpm.nouns import NounConfig, NounExtractor
    from xpm.config import load_config

    extract = NounExtractor.from_config(load_config(NounConfig, None, {"senses": args.senses, "sense_rule": args.sense_rule}))
    for caption in _captions(args.captions):
        result = extract(caption)
        if args.json:
            print(json.dumps({"caption": caption, "nouns": [noun.to_json() for noun in result.nouns], "reason": result.reason}))
        else:
            found = ", ".join(f"{n.lemma} ({n.synset})" for n in result.nouns) or f"- ({result.reason})"
            print(f"{caption!r}: {found}")
    return 0
