"""Caption -> object nouns: tokenize, lemmatize plurals, match multi-word nouns longest-first.

Needs no tagger or tokenizer data: a caption is lower-cased and split on a word pattern, each
word is normalised the way WordNet's morphy does for nouns, and spans of up to
``max_words`` words are looked up in the :class:`ObjectNounLexicon`. English noun compounds
are head-final, so of two nouns that stand next to each other ("pizza box", "orange cat",
"wine glass" where WordNet lacks the compound) only the second is the object named; but a
word right after a noun that agrees with it as a verb ("a dog chases", "dogs chase") is read
as the verb, since captions say what their subjects do far more often than they stack nouns;
so is an -ing form of a verb there ("a man working on a laptop", "a train crossing a bridge"),
unless it names a thing ("an office building"). A plural-only noun followed by "of" is read in
the singular: "two glasses of wine" are drinking glasses, not spectacles.

Part of speech comes from the sentence, not the word: a word WordNet has as a verb is read as
one where the caption uses it so: right after a noun and before a determiner, possessive or
pronoun ("the bride and groom cut the cake"); after a noun it agrees with where a compound
reading is ungrammatical ("a plane lands": "a" cannot begin a plural compound) or the word is
mostly a verb; at the end of an "of" phrase after the clause's first noun, where it agrees
with that noun, not with the one right before it ("the owner of the shop stands", "the staff of
the hotel stand"); after a subject pronoun or a modal; after "to", or after "and" in a clause that
already has a verb, before a determiner; and first in the caption before one. A multi-word noun
that is no object ("traffic jam", "press conference") is matched too, so that its words are not
read alone. The sense of a word with several object senses is chosen from the caption's other
words (:mod:`xpm.nouns.senses`) or, by ``nouns.sense_rule``, by the text model
(:mod:`xpm.nouns.sense_model`).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from xpm.nouns.config import ANIMAL_GROUP_WORDS, NounConfig
from xpm.nouns.lexicon import ObjectNounLexicon, load_lexicon
from xpm.nouns.sense_model import GlossEmbeddingSenses
from xpm.nouns.senses import choose_sense, prepare_senses, stem

# Punctuation is kept as a token of its own: it ends a noun compound ("dogs, cats" is a list).
_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*|[^\sa-z0-9]")
# A possessive ends a compound ("the men's bicycles" names men and bicycles): it becomes a
# punctuation token.
_POSSESSIVE = re.compile(r"'s\b")
_MARKUP = re.compile(r"<[^>]{0,200}>")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_LETTER = re.compile(r"[^\W\d_]")
# Words of a caption that are in another script than Latin past this share are not English.
_MAX_NON_LATIN_SHARE = 0.5
# A Latin-script caption this long with none of these words is taken for another language.
_ENGLISH_EVIDENCE = frozenset("a an the of in on at with and is are to for by from".split())
_MIN_WORDS_FOR_LANGUAGE_CHECK = 6
# Singular nouns that end in s (bus, glass, iris) are not plurals to strip.
_SINGULAR_ENDINGS = ("ss", "us", "is")
# Stripping a plural never leaves a real object noun this short ("gas" is not the plural of Ga).
_MIN_LEMMA_CHARS = 3
# Words that begin an object noun phrase (or are one): after a noun, a verb form before them is
# the verb whose object they begin.
_OBJECT_STARTS = frozenset(
    """a an the this that these those his her their its my our your some every each another no any all both
    several many him them me us one two three four five six seven eight nine ten""".split()
)
# A noun phrase that begins with one of these is singular, so a word after its noun that ends in
# -s is a verb, not the head of a plural compound ("a plane lands", "a man fishes").
_SINGULAR_DETERMINERS = frozenset("a an one each every another this that".split())
_SUBJECT_PRONOUNS = frozenset("he she they we i you who which".split())
_MODALS = frozenset("will can could would should may might must does did do to".split())
_CONJUNCTIONS = frozenset(("and", "or", "then"))
# After a person or an animal, a verb form before one of these is a phrasal verb ("the waitress
# dishes up", "a climber ropes up", "the sommelier tops off the glasses").
_PARTICLES = frozenset(("up", "off", "out"))
_PREPOSITIONS = frozenset(
    "in on at to into onto over under near by from with through across along around outside inside behind past "
    "above below beside between toward towards down up off out".split()
)
# The per-word cache is a plain dict; web captions' vocabulary is Zipfian, so a bound this size
# keeps the hit rate high while capping memory near 100 MB.
_MAX_CACHED_WORDS = 500_000


class _NounBefore(NamedTuple):
    """The noun that ends right before a word, as far as that word's reading needs it."""

    end: int
    plural: bool
    # after a, an, one, each...: an -s word after it agrees with it as a verb
    singular_phrase: bool
    # a stoplisted word captions use as an adjective ("red nails")
    adjective_like: bool
    # a person or an animal: they act
    agent: bool
    # the word before the noun's phrase ("the", "a", "his", or any other)
    determiner: str | None


@dataclass(frozen=True)
class CaptionNoun:
    """An object noun of a caption: its WordNet lemma (words joined by spaces) and synset."""

    lemma: str
    synset: str

    def to_json(self) -> dict[str, str]:
        return {"lemma": self.lemma, "synset": self.synset}


@dataclass(frozen=True)
class NounResult:
    """The nouns of one caption in order of first mention; ``reason`` says why there are none."""

    nouns: list[CaptionNoun] = field(default_factory=list)
    reason: str | None = None


class NounExtractor:
    """Callable ``caption -> NounResult``; never raises on a bad caption."""

    def __init__(self, lexicon: ObjectNounLexicon):
        self._lexicon = lexicon
        self._config = config = lexicon.config
        self._heads = {
            "_".join(parts[:end])
            for parts in (lemma.split("_") for lemma in (*lexicon.entries, *lexicon.compounds) if "_" in lemma)
            for end in range(1, len(parts))
        }
        self._function_words = frozenset(config.function_words)
        self._keep_plural = frozenset(config.plural_nouns)
        self._group_words = frozenset(word.replace(" ", "_") for word in config.group_words)
        self._ing_nouns = frozenset(config.ing_object_nouns)
        self._forms: dict[str, tuple[str, ...]] = {}
        self._stems: dict[str, str] = {}
        # Stoplisted words that captions use as adjectives ("red nails", "stock photo"), unlike
        # the role and group nouns ("the crowd watches").
        self._adjective_like = lexicon.stoplist - {word.replace(" ", "_") for word in config.not_object_words}
        self._senses = {lemma: prepare_senses(senses, config.sense_prior_weight) for lemma, senses in lexicon.senses.items()}
        self._sense_model = GlossEmbeddingSenses(config.gloss_prior_weight) if config.sense_rule == "gloss-embedding" else None

    def _word_forms(self, word: str) -> tuple[str, ...]:
        """The lemma candidates of ``word`` in order of preference (WordNet's morphy rules).

        WordNet lists many plurals as lemmas of their own (cows: cattle, clocks: a plant), so
        a word that looks plural tries its singular first, unless it is a plural-only noun.
        """
        forms = self._forms.get(word)
        if forms is not None:
            return forms
        lexicon = self._lexicon
        bases = [word[: -len(old)] + new for old, new in lexicon.suffixes if word.endswith(old)]
        # the irregular plurals WordNet lists are exact, however short their singular (oxen: ox)
        bases = [base for base in bases if len(base) >= _MIN_LEMMA_CHARS] + lexicon.exceptions.get(word, [])
        looks_plural = word.endswith("s") and not word.endswith(_SINGULAR_ENDINGS) and word not in self._keep_plural
        candidates = bases + [word] if looks_plural else [word] + bases
        forms = tuple(dict.fromkeys(lexicon.aliases.get(form, form) for form in candidates))
        if len(self._forms) >= _MAX_CACHED_WORDS:
            self._forms.clear()
        self._forms[word] = forms
        return forms

    @classmethod
    def from_config(cls, config: NounConfig = NounConfig()) -> "NounExtractor":
        return cls(load_lexicon(config))

    def _match(self, words: list[str], start: int) -> tuple[str, int] | None:
        """The longest noun starting at ``words[start]``: (lemma, words used)."""
        if len(words[start]) < 2 or words[start] in self._function_words:
            return None
        entries, compounds = self._lexicon.entries, self._lexicon.compounds
        heads = [""]  # the leading words of a multi-word lemma that the caption has here
        limit = min(self._config.max_words, len(words) - start)
        while len(heads) < limit:
            head = words[start] if len(heads) == 1 else f"{heads[-1]}_{words[start + len(heads) - 1]}"
            if head not in self._heads:
                break
            heads.append(head)
        for length in range(len(heads), 0, -1):
            head = heads[length - 1]
            for form in self._word_forms(words[start + length - 1]):
                lemma = f"{head}_{form}" if head else form
                if lemma in entries or (head and lemma in compounds):
                    return lemma, length
        return None

    def _agrees_as_verb(self, word: str, *, after_plural: bool, singular_phrase: bool) -> bool:
        """Right after a noun, a verb form agreeing with it is a verb where a compound reading is
        unlikely: the word is mostly a verb ("a dog chases", "dogs run"), or the noun phrase is
        singular and the word ends in -s ("a plane lands", "a man fishes")."""
        verbs, verb_forms = self._lexicon.verbs, self._lexicon.verb_forms
        if after_plural:
            return word in verbs
        if not word.endswith("s"):
            return False
        if word.endswith("ies"):
            base = word[:-3] + "y"
        else:
            base = word[:-2] if word.endswith("es") and word[:-2] in verb_forms else word[:-1]
        return base in verbs or (singular_phrase and base in verb_forms)

    def _used_as_verb(self, words: list[str], position: int, noun_before: _NounBefore | None, clause_has_verb: bool) -> bool:
        """Whether the caption uses ``words[position]`` as a verb, ``noun_before`` the noun that
        ends right before it, if one does. An adjective-like noun before ("red nails") makes a verb
        only with an object after it."""
        word = words[position]
        participle = word in self._lexicon.participles
        thing_or_act = word in self._ing_nouns
        if not participle and not thing_or_act and word not in self._lexicon.verb_forms:
            return False
        following = words[position + 1] if position + 1 < len(words) else None
        object_follows = following in _OBJECT_STARTS
        if noun_before is not None:
            plural, singular_phrase, adjective_like = noun_before.plural, noun_before.singular_phrase, noun_before.adjective_like
            # "a woman", "the waitress": one person or animal, who acts ("baby clothing" is a thing)
            one_agent = noun_before.agent and noun_before.determiner in _OBJECT_STARTS
            if thing_or_act:
                # "an office building" is a thing; "a woman painting", "a priest lighting incense"
                # and "a roof covering the porch" are acts
                return one_agent or object_follows
            if one_agent and following in _PARTICLES:  # "the waitress dishes up", "a climber ropes up"
                return True
            if (one_agent and noun_before.determiner == "the" and not plural and (object_follows or self._noun_at(words, position + 1))
                    and self._agrees_as_verb(word, after_plural=False, singular_phrase=True)):
                # "the chef grills steaks": after "the" the -s word is the verb where a noun phrase
                # follows it, where "the dog beds are on sale" stays a compound
                return True
            # "people queue outside", "the boys race down the hill": a plural noun, a verb's plain form,
            # then a preposition; a compound's second word would carry the plural ("dog beds in"),
            # and after "a" the plural is a modifier ("a sports ball on")
            plain_verb_before_preposition = (plural and not singular_phrase and following in _PREPOSITIONS
                                             and not word.endswith("s"))
            return object_follows or participle or (not adjective_like and (
                plain_verb_before_preposition or self._agrees_as_verb(word, after_plural=plural, singular_phrase=singular_phrase)
            ))
        before = words[position - 1] if position else None
        if before in _SUBJECT_PRONOUNS or (before in _MODALS and (before != "to" or object_follows)):
            return True
        return object_follows and (before is None or (before in _CONJUNCTIONS and clause_has_verb))

    def _noun_at(self, words: list[str], position: int) -> bool:
        return position < len(words) and self._match(words, position) is not None

    def _agrees_with_subject(self, words: list[str], position: int, subject_numbers: tuple[bool, ...]) -> bool:
        """Whether ``words[position]``, ending a phrase that began with "of" after the clause's
        subject, is the subject's verb: "the owner of the shop stands", "the staff of the hotel
        stand". The noun right before it is not the subject, so its number says nothing."""
        before = words[position - 1]
        if before in self._function_words or not before[0].isalnum() or words[position] not in self._lexicon.verb_forms:
            return False
        return any(self._agrees_as_verb(words[position], after_plural=plural, singular_phrase=False)
                   for plural in subject_numbers)

    def _verb_ends_compound(self, words: list[str], start: int, end: int) -> tuple[str, int] | None:
        """The object noun inside ``words[start:end]``, a compound that names no object, when its
        last word reads as the noun's verb: "a cat sleeps" holds a cat, not a cat_sleep (a nap).
        Only after a singular or definite determiner: "two car parks" stays a place."""
        before = words[start - 1] if start else None
        if before is not None and before not in _SINGULAR_DETERMINERS and before != "the":
            return None
        shorter = self._match(words[:end - 1], start)
        if shorter is None or shorter[0] not in self._lexicon.entries:
            return None
        return shorter if self._agrees_as_verb(words[end - 1], after_plural=False, singular_phrase=True) else None

    def _object_runs_past(self, words: list[str], start: int, end: int) -> bool:
        """Whether an object noun starting in ``words[start:end]`` ends after ``end``."""
        for position in range(start, end):
            match = self._match(words, position)
            if match is not None and match[0] in self._lexicon.entries and position + match[1] > end:
                return True
        return False

    def _stem(self, word: str) -> str:
        stemmed = self._stems.get(word)
        if stemmed is None:
            if len(self._stems) >= _MAX_CACHED_WORDS:
                self._stems.clear()
            stemmed = self._stems[word] = stem(word)
        return stemmed

    def _rejection(self, caption) -> str | None:
        if isinstance(caption, bytes):
            return "caption is not UTF-8 text"
        if not isinstance(caption, str):
            return f"caption is not text ({type(caption).__name__})"
        if not caption.strip():
            return "caption is empty"
        if len(caption) > self._config.max_caption_chars:
            return f"caption is longer than {self._config.max_caption_chars} characters"
        if caption.isascii():
            return None
        letters = len(_LETTER.findall(caption))
        if letters and 1 - len(_LATIN_LETTER.findall(caption)) / letters > _MAX_NON_LATIN_SHARE:
            return "caption is not English (mostly non-Latin letters)"
        return None

    def __call__(self, caption: str | bytes) -> NounResult:
        if isinstance(caption, bytes):
            try:
                caption = caption.decode("utf-8")
            except UnicodeDecodeError:
                pass
        reason = self._rejection(caption)
        if reason is not None:
            return NounResult(reason=reason)
        text = caption.lower()
        if "<" in text:
            text = _MARKUP.sub(" ", text)
        if "&" in text:
            text = html.unescape(text)
        if "'" in text or "\u2019" in text:
            text = _POSSESSIVE.sub(" ' ", text.replace("\u2019", "'"))
        words = _TOKEN.findall(text)
        if len(words) >= _MIN_WORDS_FOR_LANGUAGE_CHECK and _ENGLISH_EVIDENCE.isdisjoint(words):
            return NounResult(reason="caption is not English (no common English word)")
        found: list[str] = []
        previous: _NounBefore | None = None
        phrase_start = 0
        coordinated_at = -1  # where a noun after "X and" starts: "bride and groom" are a plural subject
        clause_has_verb = False
        # the numbers (plural or not) a verb of the clause's first noun may take (a group noun
        # either: "the staff stand", "a flock of birds flies"), and whether an "of" has come since it
        subject_numbers: tuple[bool, ...] | None = None
        of_after_subject = False
        position = 0
        while position < len(words):
            word = words[position]
            match = self._match(words, position)
            adjacent = previous is not None and previous.end == position
            if match is not None and match[1] == 1:
                if self._used_as_verb(words, position, previous if adjacent else None, clause_has_verb) or (
                    of_after_subject and not clause_has_verb and self._agrees_with_subject(words, position, subject_numbers)
                ):
                    match, clause_has_verb = None, True
            if match is None:
                if not word[0].isalnum():
                    clause_has_verb, subject_numbers, of_after_subject = False, None, False
                elif word == "of":
                    of_after_subject = subject_numbers is not None
                elif word in self._lexicon.verb_forms and word not in self._function_words and (
                    position == 0 or words[position - 1] not in _OBJECT_STARTS
                ):
                    # after a determiner a word names something ("the owner of the shop stands")
                    clause_has_verb = True
                if adjacent and word in _CONJUNCTIONS:
                    coordinated_at = position + 1
                previous = None
                position += 1
                continue
            lemma, length = match
            if length > 1 and lemma not in self._lexicon.entries:
                lemma, length = self._verb_ends_compound(words, position, position + length) or match
            end = position + length
            if lemma not in self._lexicon.entries and self._object_runs_past(words, position + 1, end):
                # "red fire truck": the idiom "red fire" must not hide the fire truck
                previous = None
                position += 1
                continue
            if end < len(words) and words[end] == "of" and words[end - 1] in self._keep_plural:
                lemma = next((form for form in self._word_forms(words[end - 1])[1:] if form in self._lexicon.entries), lemma)
            if not adjacent:
                phrase_start = position
            elif not previous.plural and not (previous.agent and lemma in ANIMAL_GROUP_WORDS):
                # the head names the object ("pizza box"), unless it gathers the animals before it
                # ("a bison herd")
                found.pop()
            plural = position == coordinated_at or not lemma.endswith(words[end - 1])
            determiner = words[phrase_start - 1] if phrase_start > 0 else None
            found.append(lemma)
            if subject_numbers is None:
                subject_numbers = (False, True) if lemma in self._group_words else (plural,)
            previous = _NounBefore(end, plural, determiner in _SINGULAR_DETERMINERS, lemma in self._adjective_like,
                                   lemma in self._lexicon.agents, determiner)
            position = end
        entries, stoplist, senses = self._lexicon.entries, self._lexicon.stoplist, self._senses
        lemmas = [lemma for lemma in dict.fromkeys(found) if lemma in entries and lemma not in stoplist]
        context = None
        nouns = []
        for lemma in lemmas:
            synset = entries[lemma]
            if lemma in senses and self._sense_model is not None:
                if context is None:
                    context = self._sense_model.caption_vector(" ".join(words))
                synset = self._sense_model.choose(self._lexicon.senses[lemma], context)
            elif lemma in senses:
                if context is None:
                    context = frozenset(self._stem(word) for word in words if word not in self._function_words)
                synset = choose_sense(senses[lemma], context)
            nouns.append(CaptionNoun(lemma.replace("_", " "), synset))
        if not nouns:
            return NounResult(reason="no object nouns")
        return NounResult(nouns=nouns)
