"""The synthetic captioned world (`xpm synth`): emoji objects, captions, COCO and img2dataset outputs."""
