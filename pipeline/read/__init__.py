"""Readers of captioned-image inputs: webdataset shards, Conceptual Captions TSV, COCO captions."""
