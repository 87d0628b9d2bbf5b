"""Writing files safely: a finished file or none, and names checked before any work.

:func:`atomic_path` writes to a temporary name next to the target and renames it into place, so a crash, a
Ctrl-C or a full disk never leaves half a picture (or half a weights file, an animation, a catalogue page).
Used by :func:`dreamlib.save_image` (notebook 02) and everything that writes.
"""

from __future__ import annotations

import os
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import DreamError

_SIGNALS = {signal.SIGINT, signal.SIGTERM} | ({signal.SIGHUP} if hasattr(signal, "SIGHUP") else set())


@contextmanager
def _signals_held():
    """Hold SIGINT/SIGTERM back for a few instructions, so no signal lands between creating a file and guarding it."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: nothing to hold
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)  # a held signal is delivered here, inside the caller's guard


@contextmanager
def atomic_path(path: Path) -> Iterator[str]:
    """A temporary file name next to ``path``: renamed onto ``path`` if the block succeeds, removed if not.

    The temporary name is short (``.dreamlib-XXXXXXXX.tmp<suffix>``), so any name that is legal for
    ``path`` works. It is removed on every exception, ``KeyboardInterrupt`` and ``SystemExit``
    included (the CLI turns SIGTERM into an exception of its own, ``Terminated``); signals are held back while
    it is created.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DreamError(f"cannot write to {path.parent}: {exc.strerror or exc}") from None
    tmp = None
    try:
        with _signals_held():
            try:
                fd, tmp = tempfile.mkstemp(prefix=".dreamlib-", suffix=".tmp" + path.suffix, dir=path.parent)
            except OSError as exc:
                raise DreamError(f"cannot write to {path.parent}: {exc.strerror or exc}") from None
            os.close(fd)
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if tmp is not None:
            with _signals_held():
                try:
                    os.unlink(tmp)
                except FileNotFoundError:
                    pass
        raise


def existing_parent(path: Path) -> Path:
    """The nearest folder above ``path`` that exists: where a new file or folder at ``path`` would be created."""
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    return parent


def check_file_name(path: Path) -> None:
    """Refuse a file name longer than the file system allows, before any work is done."""
    parent = existing_parent(path)
    try:
        limit = os.pathconf(parent, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):
        limit = 255
    if len(os.fsencode(path.name)) > limit:
        raise DreamError(
            f"the file name {path.name[:40]}... is {len(os.fsencode(path.name))} bytes long; "
            f"this file system allows at most {limit}"
        )
