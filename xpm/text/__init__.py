"""Class names -> word embeddings v_o (paper section 3.1), cached by content hash."""

from xpm.text.embedder import EMBEDDING_MODES, TextEmbedder

__all__ = ["EMBEDDING_MODES", "TextEmbedder"]
