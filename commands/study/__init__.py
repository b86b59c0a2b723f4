"""``xpm study-alignment``: alignment rules scored against a world's truth (see ``alignment_study``)."""
