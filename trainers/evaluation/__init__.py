"""COCO AP50 for bbox and segm in the paper's settings (Table 2): constrained base / target and
generalized base / target / all."""
