"""The error a missing piece of system data raises: it names the thing and every remedy."""


class MissingResourceError(RuntimeError):
    """System data (WordNet, the emoji font, a text model) is not on this machine."""
