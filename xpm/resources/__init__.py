"""System data that xpm needs offline: the cache directory, WordNet 3.0, the emoji font."""

from xpm.resources.cache import cache_root
from xpm.resources.emoji_font import emoji_font_path
from xpm.resources.wordnet import load_wordnet, wordnet_root

__all__ = ["cache_root", "emoji_font_path", "load_wordnet", "wordnet_root"]
