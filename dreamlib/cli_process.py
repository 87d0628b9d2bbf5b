"""How the ``dreamlib`` program behaves toward its shell: one-line warnings, SIGTERM/SIGHUP as clean exits, and a
closed or full standard output that is not an error story. Part of :mod:`dreamlib.cli`.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager


def warn_one_line(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=sys.stderr)


class Terminated(BaseException):
    """SIGTERM/SIGHUP as an exception, so every ``finally`` and temp-file cleanup runs before we exit."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def raise_terminated(signum, frame) -> None:
    raise Terminated(signum)


@contextmanager
def handled_signals():
    """SIGTERM (and SIGHUP) raise :class:`Terminated` while the CLI runs; the old handlers come back afterwards."""
    names = [n for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n)]
    previous = {}
    try:
        for n in names:
            previous[n] = signal.signal(getattr(signal, n), raise_terminated)
    except ValueError:  # not the main thread: leave signals alone
        pass
    try:
        yield
    finally:
        for n, handler in previous.items():
            signal.signal(getattr(signal, n), handler)


def silence_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's final flush cannot fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def stdout_failed() -> bool:
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        return True
    return False
