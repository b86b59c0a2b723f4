"""The teacher trainer: the open-vocabulary Mask R-CNN on base-class ground truth (L_GT)."""
