"""``xpm predict``: segment the classes a user names, in any images, with a trained checkpoint
(the paper's Figure 5: an open vocabulary at test time)."""

import importlib

# Resolved on first use: the ``xpm`` parser imports xpm.predict.cli, hence this package, and
# must not load torch with the job module.
_SOURCES = {
    "PredictConfig": "xpm.predict.config",
    "read_class_names": "xpm.predict.config",
    "PredictResult": "xpm.predict.job",
    "predict_images": "xpm.predict.job",
}

__all__ = list(_SOURCES)


def __getattr__(name: str):
    if name not in _SOURCES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_SOURCES[name]), name)
