"""The data contracts between xpm's stages, each with a version. Imports nothing of xpm's."""
