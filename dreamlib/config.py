"""Environment switches, read in one place.

``DREAMLIB_WEIGHTS``  ``imagenet`` | ``random`` | path to a ``.pth`` state dict.
                      Overrides the default weights of :func:`dreamlib.load_model`,
                      so CI and offline classrooms run unchanged notebooks.
``DREAMLIB_QUICK``    ``1`` shrinks image sizes and step counts (CI, slow laptops).
"""

from __future__ import annotations

import os

WEIGHTS_ENV = "DREAMLIB_WEIGHTS"
QUICK_ENV = "DREAMLIB_QUICK"


def default_weights() -> str:
    """The weights :func:`load_model` uses when none are given: ``$DREAMLIB_WEIGHTS`` or ``imagenet``."""
    return os.environ.get(WEIGHTS_ENV, "").strip() or "imagenet"


def quick_mode() -> bool:
    """True when ``DREAMLIB_QUICK`` is set to a true value (``1``, ``true``, ``yes``).

    Used by every notebook's setup cell.
    """
    return os.environ.get(QUICK_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def pick(full, quick):
    """Return ``quick`` in quick mode, else ``full`` — how notebooks choose sizes and step counts."""
    return quick if quick_mode() else full
