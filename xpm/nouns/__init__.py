"""Object nouns of captions (paper section 3.2.2): WordNet descendants of physical objects."""

from xpm.nouns.config import NounConfig
from xpm.nouns.extract import CaptionNoun, NounExtractor, NounResult
from xpm.nouns.lexicon import ObjectNounLexicon, load_lexicon

__all__ = ["CaptionNoun", "NounConfig", "NounExtractor", "NounResult", "ObjectNounLexicon", "load_lexicon"]
