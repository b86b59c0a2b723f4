"""``xpm predict``: segment the classes a user names, in any images, with a trained checkpoint
(the paper's Figure 5: an open vocabulary at test time)."""

from xpm.predict.config import PredictConfig, read_class_names
from xpm.predict.job import PredictResult, predict_images

__all__ = ["PredictConfig", "PredictResult", "predict_images", "read_class_names"]
