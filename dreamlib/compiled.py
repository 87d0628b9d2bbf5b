"""dreamlib's small C library (the Winograd transforms of ``_winograd.c``): compiled, tried and loaded safely.

Compiled once per machine with the system's C compiler (``CC``, else ``cc``/``gcc``/``clang``) into the
cache folder of the precision probe (``~/.cache/dreamlib``), keyed by the source, the compiler, its flags
and the CPU, so a home folder shared by different CPUs never hands one a library built for another. A new
build runs once in a child process before this process loads it: a library that would crash (an
instruction this CPU lacks, a broken compiler) costs a failed trial, not the user's Python session.
Linux and macOS only. :func:`library` gives the loaded library or None, :func:`why_not` the reason.
Used by :mod:`dreamlib.winograd_conv` (and :mod:`dreamlib.winograd`, which reports why it is missing);
taught in notebook 03.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import torch

from .precision import cache_file, machine_key

SOURCE = Path(__file__).with_name("_winograd.c")

_lib: ctypes.CDLL | None = None
_why_not = ""  # why there is no compiled library, once we have tried
_tried = False
_lock = threading.Lock()

_p, _i, _l = ctypes.c_void_p, ctypes.c_int, ctypes.c_long
SIGNATURES = {  # argument types of the C functions
    "input_transform": [_p, _i, _i, _i, _i, _i, _i, _i, _i, _i, _i, _i, _l, _p, _p],
    "output_transform": [_p, _i, _i, _i, _i, _i, _i, _i, _i, _i, _l, _p, _p],
    "line_input_transform": [_p, _i, _i, _i, _i, _i, _i, _i, _i, _i, _l, _p, _p],
    "line_output_transform": [_p, _i, _i, _i, _i, _i, _i, _i, _i, _l, _p, _p],
    "line_matrices": [_p, _p],
}

# The trial run: every function once, on small inputs, in a child process.
_SMOKE_TEST = """
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
f = lambda n: (ctypes.c_float * n)(*range(n))
x, v, z, y = f(6 * 6 * 9), f(36 * 9), f(9), f(4 * 4 * 9)
lib.input_transform(x, 6, 6, 9, 0, 0, 1, 1, 4, 0, 1, 0, ctypes.c_long(1), v, z)
lib.output_transform(v, 4, 4, 9, 1, 1, 4, 0, 1, 0, ctypes.c_long(1), None, y)
lib.output_transform(v, 2, 2, 9, 1, 1, 2, 0, 1, 0, ctypes.c_long(1), None, y)
lib.line_input_transform(x, 6, 6, 9, 1, 3, 1, 0, 1, 0, ctypes.c_long(1), v, z)
lib.line_output_transform(v, 6, 4, 9, 0, 1, 0, 1, 0, ctypes.c_long(1), None, y)
lib.line_matrices(f(100), f(40))
"""


def _flags() -> list[str]:
    """AVX2 and FMA where torch's own kernels use them (the transforms work on 8 floats at a time): named
    instruction sets only, never ``-march=native``, so a library can only use what torch already relies on."""
    if platform.machine().lower() in {"x86_64", "amd64"} and torch.backends.cpu.get_cpu_capability() in {"AVX2", "AVX512"}:
        return ["-mavx2", "-mfma"]
    return []


def _compile() -> ctypes.CDLL:
    """Compile ``_winograd.c`` (once per machine, source and flags) and load it; raises ``OSError`` with the reason."""
    if sys.platform not in ("linux", "darwin"):
        raise OSError(f"not built on {sys.platform} (Linux and macOS only)")
    cc = shlex.split(os.environ.get("CC", ""))  # may be a command with arguments ("ccache gcc")
    if not cc and sys.platform == "darwin" and subprocess.run(["xcode-select", "-p"], capture_output=True).returncode:
        # without the command line tools, macOS's cc would open an installer window instead of compiling
        raise OSError("no C compiler found (install Xcode's command line tools: xcode-select --install, or set CC)")
    cc = cc or [shutil.which("cc") or shutil.which("gcc") or shutil.which("clang") or ""]
    if not cc[0]:
        raise OSError("no C compiler found (install gcc, or set CC)")
    source = SOURCE.read_bytes()
    flags = ["-O3", "-shared", "-fPIC", *_flags()]
    what = " ".join([*cc, *flags, machine_key(torch.device("cpu"))])
    key = hashlib.sha256(source + what.encode()).hexdigest()[:16]
    folder = cache_file().parent
    target = folder / f"winograd-{key}.so"
    if target.exists():
        try:
            return _load(target)
        except (OSError, AttributeError):  # damaged: build it again
            pass
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(".winograd-*"):  # left by a process killed while compiling
            if time.time() - old.stat().st_mtime > 3600:
                shutil.rmtree(old, ignore_errors=True)
        build = Path(tempfile.mkdtemp(prefix=".winograd-", dir=folder))
    except OSError:  # no writable cache: build for this process only
        build = target = Path(tempfile.mkdtemp(prefix="dreamlib-winograd-"))
    try:
        out = build / "winograd.so"
        try:
            done = subprocess.run([*cc, *flags, "-o", str(out), str(SOURCE)], capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.SubprocessError) as exc:
            raise OSError(f"compiling {SOURCE.name} with {' '.join(cc)} failed: {exc}") from None
        if done.returncode != 0 or not out.exists():
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise OSError(f"compiling {SOURCE.name} with {' '.join(cc)} failed: {last}")
        try:
            ran = subprocess.run([sys.executable, "-c", _SMOKE_TEST, str(out)], capture_output=True, timeout=120)
        except (OSError, subprocess.SubprocessError) as exc:
            raise OSError(f"the compiled transforms could not be tried: {exc}") from None
        if ran.returncode != 0:
            raise OSError(f"the compiled transforms failed a trial run (exit status {ran.returncode})")
        if target == build:
            return _load(out)  # loaded, so the file may go with its folder
        os.replace(out, target)  # atomic: another process sees no file or a whole one
        return _load(target)
    finally:
        shutil.rmtree(build, ignore_errors=True)


def _load(path: Path) -> ctypes.CDLL:
    lib = ctypes.CDLL(str(path))
    for name, argtypes in SIGNATURES.items():
        getattr(lib, name).argtypes = argtypes
        getattr(lib, name).restype = None
    return lib


def library() -> ctypes.CDLL | None:
    """The compiled transforms, or None (then :func:`why_not` says why). Compiled at most once per process."""
    global _lib, _why_not, _tried
    if _tried:  # every convolution asks: no lock once the answer is known
        return _lib
    with _lock:
        if not _tried:
            try:
                _lib = _compile()
            except (OSError, AttributeError) as exc:
                _why_not = str(exc)
            _tried = True  # only now: a thread that skips the lock must see the finished answer
    return _lib


def why_not() -> str:
    """Why :func:`library` is None ("" when it is not, or has not been asked for yet)."""
    return _why_not
