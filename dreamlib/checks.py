"""The checks of what users pass: whole numbers, positive numbers, indices in range, each one line.

Every function that takes a count, a size, a rate or an index checks it here, so a wrong value always gets the same
kind of message: a one-line :class:`dreamlib.DreamError` that names the valid range (``steps must be a whole number
>= 1, got 0``; ``channel 70 is out of range for conv4 (valid: 0..63)``). ``True`` is not a number here, though
Python counts it as 1. This module imports nothing heavy (the command line reads it before torch loads).
"""

from __future__ import annotations

import math
import operator

from .errors import DreamError


def is_number(value) -> bool:
    """An int or a float, but not a bool."""
    return not isinstance(value, bool) and isinstance(value, (int, float))


def check_whole(name: str, value, low: int = 1, high: int | None = None) -> None:
    """A whole number in ``low..high`` (``high=None``: no upper end), else a one-line :class:`DreamError`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        valid = f"in {low}..{high}" if high is not None else f">= {low}"
        raise DreamError(f"{name.replace('_', ' ')} must be a whole number {valid}, got {value!r}")


def check_positive(name: str, value) -> None:
    """A finite number > 0, else a one-line :class:`DreamError`."""
    if not is_number(value) or not 0 < value < math.inf:
        raise DreamError(f"{name.replace('_', ' ')} must be a finite number > 0, got {value!r}")


def check_non_negative(name: str, value) -> None:
    """A finite number >= 0, else a one-line :class:`DreamError`."""
    if not is_number(value) or not 0 <= value < math.inf:
        raise DreamError(f"{name.replace('_', ' ')} must be a number >= 0, got {value!r}")


def check_index(what: str, value, count: int | None = None, where: str | None = None) -> None:
    """A whole number in ``0..count - 1`` (``count=None``: any >= 0), else ``{what} {value} is out of range for
    {where} (valid: 0..{count - 1})`` as a one-line :class:`DreamError`. Anything that is an index to Python counts
    (a NumPy integer, a one-element integer tensor such as ``labels[0]``), but not a bool."""
    try:
        number = None if isinstance(value, bool) else operator.index(value)
    except (TypeError, ValueError, RuntimeError):
        number = None
    if number is None or number < 0 or (count is not None and number >= count):
        place = f" for {where}" if where else ""
        valid = f"0..{count - 1}" if count is not None else "whole numbers >= 0"
        raise DreamError(f"{what} {value!r} is out of range{place} (valid: {valid})")
