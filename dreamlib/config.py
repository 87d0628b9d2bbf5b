"""Environment switches, read in one place.

``DREAMLIB_WEIGHTS``  ``imagenet`` | ``random`` | path to a ``.pth`` state dict.
                      Overrides the default weights of :func:`dreamlib.load_model`,
                      so CI and offline classrooms run unchanged notebooks.
``DREAMLIB_QUICK``    ``1`` shrinks image sizes and step counts (slow laptops).
``DREAMLIB_OFFLINE``  ``1`` makes ``load_model(..., fallback=...)`` use its fallback
                      model at once, even where ImageNet weights are cached: ``make test``
                      sets it so the lessons always run on the shipped model.
"""

from __future__ import annotations

import os

WEIGHTS_ENV = "DREAMLIB_WEIGHTS"
QUICK_ENV = "DREAMLIB_QUICK"
OFFLINE_ENV = "DREAMLIB_OFFLINE"
TRUE = {"1", "true", "yes", "on"}


def default_weights() -> str:
    """The weights :func:`load_model` uses when none are given: ``$DREAMLIB_WEIGHTS`` or ``imagenet``."""
    return os.environ.get(WEIGHTS_ENV, "").strip() or "imagenet"


def quick_mode() -> bool:
    """True when ``DREAMLIB_QUICK`` is set to a true value (``1``, ``true``, ``yes``).

    Used by every notebook's setup cell.
    """
    return os.environ.get(QUICK_ENV, "").strip().lower() in TRUE


def offline_mode() -> bool:
    """True when ``DREAMLIB_OFFLINE`` is set to a true value: lessons skip ImageNet weights."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in TRUE


def pick(full, quick):
    """Return ``quick`` in quick mode, else ``full`` — how notebooks choose sizes and step counts."""
    return quick if quick_mode() else full
