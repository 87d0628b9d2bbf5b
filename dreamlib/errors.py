"""The exceptions and warnings dreamlib raises.

Every user mistake raises a :class:`DreamError` subclass whose message is one line
that says what was wrong and what the valid options are; the CLI prints it as
``error: <message>`` and exits with status 2.
"""


class DreamError(ValueError):
    """Base class: a user-facing error with a one-line, actionable message (a ValueError)."""


class WeightsUnavailableError(DreamError):
    """Pretrained weights could not be downloaded or loaded."""


class ImageLoadError(DreamError):
    """An image could not be read, fetched or decoded."""


class NonFiniteError(DreamError):
    """A dream produced NaN or infinite values (a network or setting that blows up); never returned silently."""


class DreamWarning(UserWarning):
    """A warning about something that still works but may surprise you (random weights, fewer octaves)."""
