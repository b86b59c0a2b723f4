"""xpm core: what the pipeline and the trainers share (models, text, masks, config, resources)."""

__version__ = "0.1.0"
