"""How the ``dreamlib`` program behaves toward its shell: signals, warnings and a closed standard output.

Signals come in two phases. While the program **starts** (from the first line of ``dreamlib.__main__.run``, the
entry point of both ``python -m dreamlib`` and the ``dreamlib`` script: the command line is parsed, torch and the
rest are imported) nothing has been written, so Ctrl-C, SIGTERM or SIGHUP end it at once with one line
(:func:`starting_up`): an exception raised inside an import would leave half-loaded C extensions behind (numpy
refuses to load twice and prints a traceback). Importing dreamlib anywhere else installs no handler. :func:`ready`
ends that phase after the imports; from then on Ctrl-C is a ``KeyboardInterrupt`` and SIGTERM/SIGHUP are
:class:`Terminated` (:func:`handled_signals`), so every ``finally`` runs and no temporary file is left behind. A
signal the program was started with *ignored* stays ignored, as Python itself does for Ctrl-C: ``nohup`` ignores
SIGHUP, and a script's ``command &`` runs the command with SIGINT ignored, so that Ctrl-C stops the script and not
its background jobs. Part of :mod:`dreamlib.cli`.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager

STOPPING = [n for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)]


def warn_one_line(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=sys.stderr)


def message(signum: int) -> str:
    """What the program says when a signal stops it."""
    return "error: interrupted" if signum == signal.SIGINT else f"error: stopped by {signal.Signals(signum).name}"


def _exit_at_once(signum, frame) -> None:
    """The start-up handler: nothing is written yet, so there is nothing to clean up."""
    os.write(2, (message(signum) + "\n").encode())
    os._exit(128 + signum)


def starting_up() -> None:
    """From now until :func:`ready`, a stopping signal ends the program at once, with one line."""
    _install(dict.fromkeys(STOPPING, _exit_at_once))


def ready(modules: tuple[str, ...] = ()) -> None:
    """Import ``modules`` while still starting up, then: Ctrl-C raises ``KeyboardInterrupt``, SIGTERM and SIGHUP
    :class:`Terminated`."""
    for name in modules:
        __import__(name)  # as an import statement does (importlib.import_module skips the "import" audit event)
    _install({n: signal.default_int_handler if n == "SIGINT" else raise_terminated for n in STOPPING})


def _install(handlers: dict) -> dict:
    """Set handlers by signal name, except where a signal is ignored (the caller's or the shell's choice: it stays
    so); returns the previous ones (none outside the main thread, where Python refuses)."""
    previous = {}
    try:
        for name, handler in handlers.items():
            signum = getattr(signal, name)
            if signal.getsignal(signum) is not signal.SIG_IGN:
                previous[name] = signal.signal(signum, handler)
    except ValueError:
        pass
    return previous


class Terminated(BaseException):
    """SIGTERM/SIGHUP as an exception, so every ``finally`` and temp-file cleanup runs before we exit."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def raise_terminated(signum, frame) -> None:
    raise Terminated(signum)


@contextmanager
def handled_signals(program: bool = False):
    """While the CLI runs: SIGTERM (and SIGHUP) raise :class:`Terminated`; the old handlers come back afterwards.

    ``program``: this process is the ``dreamlib`` program, still starting up: every stopping signal ends it at
    once (:func:`starting_up`) until the command calls :func:`ready`. In-process callers (tests, notebooks) keep
    their own Ctrl-C.
    """
    if program:
        previous = _install(dict.fromkeys(STOPPING, _exit_at_once))
    else:
        previous = _install({n: raise_terminated for n in STOPPING if n != "SIGINT"})
    try:
        yield
    finally:
        _install(previous)


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
