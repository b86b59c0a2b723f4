"""Teacher inference behind Beam's ModelHandler: the model loads once per worker, images batch."""
