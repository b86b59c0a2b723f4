"""The object-noun lexicon: every WordNet noun lemma that counts as an object, built once.

Walking WordNet per caption would cap extraction near a thousand captions per second; the
lexicon turns it into dictionary lookups, and a word with several object senses carries each
sense's sense-tagged count, a bag of word stems (its gloss, names, hypernyms, hyponyms, parts
and domain) for choosing among them by the caption's other words, and a gloss for the text model. It is cached as JSON, keyed by the WordNet files'
content and the :class:`NounConfig`, so a Beam worker loads it in milliseconds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from xpm.nouns.config import NounConfig
from xpm.nouns.sense_model import gloss_text
from xpm.nouns.senses import signature
from xpm.config import from_dict, to_dict
from xpm.resources import cache_root, load_wordnet, wordnet_root

LEXICON_FORMAT = 10
_FINGERPRINT_FILES = ("index.noun", "data.noun", "noun.exc", "index.verb", "verb.exc", "index.sense")


@dataclass(frozen=True)
class ObjectNounLexicon:
    """Lookup tables for caption-noun extraction.

    ``entries`` maps a WordNet lemma (multi-word ones joined by ``_``) to its most frequent
    object sense (for ``not_object_words`` and class names without an object sense, to their
    first noun sense: they are read as nouns, and the former dropped); ``senses`` maps each lemma with several object senses to ``[synset, tagged
    count, signature stems, gloss text]`` per sense; ``compounds`` are multi-word nouns that are no object
    ("traffic jam", "press conference"): matched so that their words are not read alone;
    ``verb_forms`` are the inflected forms of WordNet's single-word verbs; ``exceptions`` maps irregular plurals to lemmas (noun.exc); ``suffixes`` are
    WordNet's regular noun detachment rules (morphy); ``verbs`` are the nouns more often used
    as verbs, to tell "a dog chases" from a noun compound; ``participles`` are the -ing forms
    of WordNet's verbs that are no object noun of their own, to tell "a man working" from one;
    ``agents`` are the object nouns whose sense is a person or an animal, who do what an -ing
    word after them says ("a woman painting", "a priest lighting") and whom a group word after
    them gathers ("a bison herd").
    """

    config: NounConfig
    entries: dict[str, str]
    senses: dict[str, list[list]]
    compounds: frozenset[str]
    verb_forms: frozenset[str]
    verbs: frozenset[str]
    participles: frozenset[str]
    agents: frozenset[str]
    exceptions: dict[str, list[str]]
    suffixes: list[tuple[str, str]]
    aliases: dict[str, str]
    stoplist: frozenset[str]
    wordnet_version: str
    wordnet_fingerprint: str


def wordnet_fingerprint() -> str:
    """sha256 over the noun files of the WordNet in use: the lexicon depends on nothing else."""
    root = wordnet_root()
    digest = hashlib.sha256()
    for name in _FINGERPRINT_FILES:
        with root.join(name).open() as stream:
            digest.update(stream.read())
    return digest.hexdigest()


# Whose nouns act: an -ing word after them is what they do.
_AGENT_ROOTS = ("person.n.01", "animal.n.01")


def _descendants(wn, roots: tuple[str, ...]) -> dict[int, str]:
    """Offsets of every noun synset under ``roots`` (hyponyms and instances), with their names."""
    found: dict[int, str] = {}
    stack = []
    for name in roots:
        try:
            stack.append(wn.synset(name))
        except Exception as error:
            raise ValueError(f"nouns.roots names {name!r}, which is not a WordNet 3.0 synset ({error}).") from error
    while stack:
        synset = stack.pop()
        if synset.offset() in found:
            continue
        found[synset.offset()] = synset.name()
        stack.extend(synset.hyponyms())
        stack.extend(synset.instance_hyponyms())
    return found


def _tagged_uses() -> dict[tuple[str, str], int]:
    """``(lemma, part of speech) -> count`` in WordNet's sense-tagged corpus, from ``cntlist.rev``
    (``lemma%ss_type:... sense_number count``; ss_type 1 is a noun, 2 a verb, 3 and 5 adjectives)."""
    tagged: dict[tuple[str, str], int] = {}
    with wordnet_root().join("cntlist.rev").open() as stream:
        for line in stream.read().decode("utf-8").splitlines():
            key, _, count = line.split()
            lemma, rest = key.split("%", 1)
            kind = {"1": "n", "2": "v", "3": "a", "5": "a"}.get(rest[:1])
            if kind:
                tagged[lemma, kind] = tagged.get((lemma, kind), 0) + int(count)
    return tagged


def _mostly(nouns, kind: str, tagged: dict[tuple[str, str], int]) -> frozenset[str]:
    """Nouns that the tagged corpus uses more often as ``kind``: verbs (sit, run, ride) or
    adjectives (young, blond)."""
    return frozenset(n for n in nouns if tagged.get((n, kind), 0) > tagged.get((n, "n"), 0))


def _participles(wn, keep_as_nouns: frozenset[str]) -> frozenset[str]:
    """``-ing`` forms of single-word verbs (run -> running, make -> making, cut -> cutting)."""
    forms = set()
    for lemma, by_pos in wn._lemma_pos_offset_map.items():
        if "v" not in by_pos or "_" in lemma or len(lemma) < 2:
            continue
        forms.add(lemma[:-1] + "ing" if lemma.endswith("e") and not lemma.endswith(("ee", "ye", "oe")) else lemma + "ing")
        if _doubles_final_consonant(lemma):
            forms.add(lemma + lemma[-1] + "ing")
    return frozenset(forms - keep_as_nouns)


def _doubles_final_consonant(verb: str) -> bool:
    return len(verb) >= 3 and verb[-1] in "bdgmnprt" and verb[-2] in "aeiou" and verb[-3] not in "aeiou"


def _verb_forms(wn) -> frozenset[str]:
    """Base, third-person, past and participle forms of WordNet's single-word verbs, regular by
    English spelling rules and irregular by verb.exc (cut, ran, flies)."""
    forms = set()
    for lemma, by_pos in wn._lemma_pos_offset_map.items():
        if "v" not in by_pos or "_" in lemma or len(lemma) < 2:
            continue
        forms.add(lemma)
        if lemma.endswith("y") and lemma[-2:-1] not in tuple("aeiou"):
            forms.update((lemma[:-1] + "ies", lemma[:-1] + "ied"))
        else:
            forms.add(lemma + "es" if lemma.endswith(("s", "x", "z", "ch", "sh", "o")) else lemma + "s")
            forms.add(lemma + "d" if lemma.endswith("e") else lemma + "ed")
        if _doubles_final_consonant(lemma):
            forms.add(lemma + lemma[-1] + "ed")
    forms.update(form for form in wn._exception_map["v"] if "_" not in form)
    return frozenset(forms)


def _tagged_counts(wn) -> dict[tuple[str, int], int]:
    """``(lemma, synset offset) -> count`` of noun senses in WordNet's sense-tagged corpus, from
    ``index.sense`` (``lemma%1:... offset sense_number tag_count``; ss_type 1 is a noun)."""
    counts = {}
    with wordnet_root().join("index.sense").open() as stream:
        for line in stream.read().decode("utf-8").splitlines():
            key, offset, _, count = line.split()
            lemma, rest = key.split("%", 1)
            if rest.startswith("1:"):
                counts[lemma, int(offset)] = int(count)
    return counts


def _common_object_senses(wn, offsets: list[int], objects: dict[int, str]) -> list:
    """The object synsets of a lemma's senses, in WordNet's order; a capitalised instance (Crane
    the poet, the constellation Grus) is not what a caption's lower-case word means while the word
    has a common sense."""
    synsets = [wn.synset_from_pos_and_offset("n", offset) for offset in offsets if offset in objects]
    return [synset for synset in synsets if not synset.instance_hypernyms()] or synsets


def build_lexicon(config: NounConfig, fingerprint: str) -> ObjectNounLexicon:
    wn = load_wordnet()
    objects = _descendants(wn, config.roots)
    not_objects = _descendants(wn, config.not_object_first_senses)
    counts = _tagged_counts(wn)
    classes = {name.replace(" ", "_") for name in config.classes}
    stoplist = {word.replace(" ", "_") for word in config.stoplist + config.not_object_words} - classes
    read_as_nouns = {word.replace(" ", "_") for word in config.not_object_words} | classes
    function_words = frozenset(config.function_words)
    objects_by_name = frozenset(config.objects_despite_first_sense)
    agent_senses = _descendants(wn, _AGENT_ROOTS)
    tagged = _tagged_uses()
    entries, senses, compounds, agents = {}, {}, set(), set()
    for lemma, by_pos in wn._lemma_pos_offset_map.items():
        offsets = by_pos.get("n", [])
        if not offsets:
            continue
        named = lemma in objects_by_name
        common = _common_object_senses(wn, offsets, objects) if named or any(o in objects for o in offsets[: config.senses]) else []
        if named and not common:  # a coin or a trophy: WordNet files every sense under money or signals
            common = [wn.synset_from_pos_and_offset("n", offsets[0])]
        # Its most frequent noun sense, or its most frequent object sense, a place or an idea makes
        # a word no object: a yard is first a measure, then a garden.
        is_object = named or (bool(common) and offsets[0] not in not_objects and common[0].offset() not in not_objects)
        if not is_object:
            if lemma in read_as_nouns:
                entries[lemma] = wn.synset_from_pos_and_offset("n", offsets[0]).name()
            elif "_" in lemma and function_words.isdisjoint(lemma.split("_")):
                # idioms with a grammatical word ("cup of tea": a liking) would hide real nouns
                compounds.add(lemma)
            continue
        entries[lemma] = common[0].name()
        if common[0].offset() in agent_senses:
            agents.add(lemma)
        if len(common) > 1:
            senses[lemma] = [[s.name(), counts.get((lemma, s.offset()), 0), signature(s), gloss_text(s)] for s in common]
    aliases = dict(config.aliases)
    for source, target in aliases.items():
        if target not in entries:
            raise ValueError(f"nouns.aliases maps {source!r} to {target!r}, which is no object noun.")
    known = entries.keys() | aliases.keys()
    exceptions = {
        form: [lemma for lemma in lemmas if lemma in known]
        for form, lemmas in wn._exception_map["n"].items()
        if any(lemma in known for lemma in lemmas)
    }
    return ObjectNounLexicon(
        config=config,
        entries=entries,
        senses=senses,
        compounds=frozenset(compounds),
        verb_forms=_verb_forms(wn),
        verbs=_mostly(entries, "v", tagged),
        participles=_participles(wn, frozenset(config.ing_object_nouns)),
        # "a young couple": an adjective before a group word gathers no one
        agents=frozenset(agents) - _mostly(agents, "a", tagged),
        exceptions=exceptions,
        suffixes=[tuple(rule) for rule in wn.MORPHOLOGICAL_SUBSTITUTIONS["n"]],
        aliases=aliases,
        stoplist=frozenset(stoplist),
        wordnet_version=wn.get_version(),
        wordnet_fingerprint=fingerprint,
    )


def _cache_key(config: NounConfig, fingerprint: str) -> str:
    description = json.dumps(
        {"format": LEXICON_FORMAT, "wordnet": fingerprint, "config": dataclasses.asdict(config)}, sort_keys=True
    )
    return hashlib.sha256(description.encode()).hexdigest()[:32]


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    with os.fdopen(handle, "w") as stream:
        stream.write(text)
    os.replace(staging, path)


def load_lexicon(config: NounConfig = NounConfig(), cache_dir: Path | None = None) -> ObjectNounLexicon:
    """The lexicon for ``config``, from the cache or built (about 20 s) and cached."""
    fingerprint = wordnet_fingerprint()
    path = (cache_dir or cache_root() / "nouns") / f"lexicon-{_cache_key(config, fingerprint)}.json"
    if path.is_file():
        stored = json.loads(path.read_text())
        return ObjectNounLexicon(
            config=from_dict(NounConfig, stored["config"]),
            entries=stored["entries"],
            senses=stored["senses"],
            compounds=frozenset(stored["compounds"]),
            verb_forms=frozenset(stored["verb_forms"]),
            verbs=frozenset(stored["verbs"]),
            participles=frozenset(stored["participles"]),
            agents=frozenset(stored["agents"]),
            exceptions=stored["exceptions"],
            suffixes=[tuple(rule) for rule in stored["suffixes"]],
            aliases=stored["aliases"],
            stoplist=frozenset(stored["stoplist"]),
            wordnet_version=stored["wordnet_version"],
            wordnet_fingerprint=stored["wordnet_fingerprint"],
        )
    lexicon = build_lexicon(config, fingerprint)
    stored = dataclasses.asdict(lexicon)
    stored["config"] = to_dict(config)
    stored["stoplist"] = sorted(lexicon.stoplist)
    stored["verbs"] = sorted(lexicon.verbs)
    stored["compounds"] = sorted(lexicon.compounds)
    stored["verb_forms"] = sorted(lexicon.verb_forms)
    stored["participles"] = sorted(lexicon.participles)
    stored["agents"] = sorted(lexicon.agents)
    _write_atomically(path, json.dumps(stored, sort_keys=True))
    return lexicon
