"""Looking at dataset versions: list, show, verify, diff (``xpm dataset ...``)."""
