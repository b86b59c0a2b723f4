"""``xpm demo``: the main job end to end on the synthetic world (see ``cli``)."""
