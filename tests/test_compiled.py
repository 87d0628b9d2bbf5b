"""dreamlib's C library (dreamlib/compiled.py): built once per machine into the cache, tried in a child process
before it is loaded, and a clear reason when it cannot be."""

from __future__ import annotations

import os
import shutil

import pytest
from torch import nn

from dreamlib import compiled
from dreamlib import winograd as wg

needs_library = pytest.mark.skipif(compiled.library() is None, reason=f"no compiled Winograd transforms: {compiled.why_not()}")


def fresh_library(monkeypatch, tmp_path, cc):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("CC", cc)
    monkeypatch.setattr(compiled, "_tried", False)
    monkeypatch.setattr(compiled, "_lib", None)
    monkeypatch.setattr(compiled, "_why_not", "")


def test_no_compiler_means_torch_convolutions_and_a_reason(tmp_path, monkeypatch):
    failing = tmp_path / "cc"
    failing.write_text("#!/bin/sh\necho 'cc: fatal error: no input' >&2\nexit 1\n")
    failing.chmod(0o755)
    fresh_library(monkeypatch, tmp_path, str(failing))
    assert compiled.library() is None
    monkeypatch.delenv(wg.ENV, raising=False)
    assert wg.status() == f"off: compiling _winograd.c with {failing} failed: cc: fatal error: no input"
    assert wg.enabled() == frozenset()
    net = nn.Sequential(nn.Conv2d(16, 16, 3, padding=1))
    assert wg.use_winograd(net, kinds=wg.KINDS) == 0
    assert not list((tmp_path / "dreamlib").iterdir())  # no half-written library or build folder left behind


def test_a_library_that_crashes_is_not_loaded(tmp_path, monkeypatch):
    """A build that would kill the process (say, an instruction this CPU lacks) fails its trial run in a child
    process and is never loaded here."""
    if shutil.which("cc") is None:
        pytest.skip("needs a C compiler (cc)")
    boom = tmp_path / "boom.c"  # compiled in with the real file: kills the process with SIGILL when loaded
    boom.write_text("#include <signal.h>\n__attribute__((constructor)) static void boom(void) { raise(SIGILL); }\n")
    crashing = tmp_path / "cc"
    crashing.write_text(f'#!/bin/sh\nexec cc "$@" {boom}\n')
    crashing.chmod(0o755)
    fresh_library(monkeypatch, tmp_path, str(crashing))
    assert compiled.library() is None
    assert compiled.why_not().startswith("the compiled transforms failed a trial run (exit status -")
    assert not list((tmp_path / "dreamlib").glob("*.so"))


def test_compiler_given_with_arguments(tmp_path, monkeypatch):
    if shutil.which("cc") is None:
        pytest.skip("needs a C compiler (cc)")
    fresh_library(monkeypatch, tmp_path, "cc -Wall")  # CC may be a command with arguments, e.g. "ccache gcc"
    assert compiled.library() is not None, compiled.why_not()


@needs_library
def test_compiled_once_into_the_cache(tmp_path, monkeypatch):
    cc = os.environ.get("CC") or "cc"
    fresh_library(monkeypatch, tmp_path, cc)
    assert compiled.library() is not None
    (so,) = (tmp_path / "dreamlib").glob("winograd-*.so")
    assert not [p for p in (tmp_path / "dreamlib").iterdir() if p.name.startswith(".winograd-")]  # build folder gone
    stamp = so.stat().st_mtime_ns
    fresh_library(monkeypatch, tmp_path, cc)  # a new process reuses it
    assert compiled.library() is not None and so.stat().st_mtime_ns == stamp
