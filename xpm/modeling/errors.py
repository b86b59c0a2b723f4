"""Errors of the modeling package, importable without torch (the CLI lists them)."""


class CheckpointError(ValueError):
    """A checkpoint that cannot be used here; the message names the file and the fix."""
