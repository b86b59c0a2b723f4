"""``xpm experiment``: named configurations trained over several seeds and evaluated on held-out
images, with intervals that a claim can be decided on."""
