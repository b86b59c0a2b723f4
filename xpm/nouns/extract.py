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
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from xpm.nouns.config import NounConfig
from xpm.nouns.lexicon import ObjectNounLexicon, load_lexicon

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
# The per-word cache is a plain dict; web captions' vocabulary is Zipfian, so a bound this size
# keeps the hit rate high while capping memory near 100 MB.
_MAX_CACHED_WORDS = 500_000


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
        self._first_words = {lemma.split("_", 1)[0] for lemma in lexicon.entries if "_" in lemma}
        self._function_words = frozenset(config.function_words)
        self._keep_plural = frozenset(config.plural_nouns)
        self._forms: dict[str, tuple[str, ...]] = {}

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
        bases = [base for base in bases + lexicon.exceptions.get(word, []) if len(base) >= _MIN_LEMMA_CHARS]
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
        entries = self._lexicon.entries
        longest = min(self._config.max_words, len(words) - start) if words[start] in self._first_words else 1
        for length in range(longest, 0, -1):
            head = "_".join(words[start : start + length - 1])
            for form in self._word_forms(words[start + length - 1]):
                lemma = f"{head}_{form}" if head else form
                if lemma in entries:
                    return lemma, length
        return None

    def _reads_as_verb(self, word: str, *, after_plural: bool) -> bool:
        """Right after a noun, a verb form agreeing with it is a verb: "a dog chases", "dogs run",
        and so is a participle: "a man working"."""
        if word in self._lexicon.participles:
            return True
        verbs = self._lexicon.verbs
        if after_plural:
            return word in verbs
        return word.endswith("s") and (word[:-1] in verbs or (word.endswith("es") and word[:-2] in verbs))

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
        previous: tuple[int, bool] | None = None  # (end, plural) of the noun just before
        position = 0
        while position < len(words):
            match = self._match(words, position)
            if match is None:
                position += 1
                continue
            lemma, length = match
            end = position + length
            if end < len(words) and words[end] == "of" and words[end - 1] in self._keep_plural:
                lemma = next((form for form in self._word_forms(words[end - 1])[1:] if form in self._lexicon.entries), lemma)
            plural = not lemma.endswith(words[end - 1])
            if previous is not None and previous[0] == position:
                if self._reads_as_verb(words[end - 1], after_plural=previous[1]):
                    previous, position = None, end
                    continue
                if not previous[1]:
                    found.pop()
            found.append(lemma)
            previous, position = (end, plural), end
        entries, stoplist = self._lexicon.entries, self._lexicon.stoplist
        nouns = [
            CaptionNoun(lemma.replace("_", " "), entries[lemma])
            for lemma in dict.fromkeys(found)
            if lemma not in stoplist
        ]
        if not nouns:
            return NounResult(reason="no object nouns")
        return NounResult(nouns=nouns)
