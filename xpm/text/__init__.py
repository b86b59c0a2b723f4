"""Class names -> word embeddings v_o (paper section 3.1), cached by content hash
(``embedder.TextEmbedder``)."""
