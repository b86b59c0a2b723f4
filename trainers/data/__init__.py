"""Training data: COCO-format ground truth, the resumable batch order, and (for the student)
dataset-version shards."""
