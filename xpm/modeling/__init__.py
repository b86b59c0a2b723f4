"""The open-vocabulary Mask R-CNN (paper section 3.2.1): heads and losses, each in its own file."""
