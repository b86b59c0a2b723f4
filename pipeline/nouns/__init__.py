"""Object nouns of captions (paper section 3.2.2): WordNet descendants of physical objects."""

from pipeline.nouns.config import NounConfig
from pipeline.nouns.extract import CaptionNoun, NounExtractor, NounResult
from pipeline.nouns.lexicon import ObjectNounLexicon, load_lexicon

__all__ = ["CaptionNoun", "NounConfig", "NounExtractor", "NounResult", "ObjectNounLexicon", "load_lexicon"]
