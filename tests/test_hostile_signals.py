"""Signals and streams, on the real command line in a subprocess.

SIGTERM or Ctrl-C at any moment leaves no temporary file and no traceback; a closed or full
standard output is quiet (one line at most). Each run is bounded by a timeout.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals only")

SLOW_SAVE = """
import sys, time
from PIL import Image
real_save = Image.Image.save
def slow_save(self, fp, *args, **kwargs):
    real_save(self, fp, *args, **kwargs)   # the temporary file now holds the image...
    print("saving", file=sys.stderr, flush=True)
    time.sleep(60)                         # ...and stays there until a signal arrives
Image.Image.save = slow_save
from dreamlib.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DREAMLIB_")}
    env["PYTHONPATH"] = str(ROOT)
    return env


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "in.png"
    Image.new("RGB", (48, 40), (90, 140, 200)).save(path)
    return path


def _dream_args(photo: Path, out: Path) -> list[str]:
    return ["dream", str(photo), "-o", str(out), "--model", "shapes", "--size", "48", "--steps", "2", "--octaves", "2", "-q"]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in ("in.png", "out.png"))


@pytest.mark.parametrize("sig, code, message", [(signal.SIGTERM, 143, "error: stopped by SIGTERM"),
                                                 (signal.SIGINT, 130, "error: interrupted")])
def test_a_signal_while_saving_removes_the_temporary_file(photo, tmp_path, sig, code, message):
    proc = subprocess.Popen([sys.executable, "-c", SLOW_SAVE, *_dream_args(photo, tmp_path / "out.png")],
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=_env(), cwd=tmp_path)
    try:
        assert proc.stderr.readline().strip() == "saving"
        assert any(p.name.startswith(".dreamlib-") for p in tmp_path.iterdir())  # the temp file exists now
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == code and err.strip() == message, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_at_any_moment_leaves_a_whole_file_or_none(photo, tmp_path, sig):
    for delay in (0.05, 0.4, 1.0, 2.0, 3.5):
        out = tmp_path / "out.png"
        proc = subprocess.Popen([sys.executable, "-m", "dreamlib", *_dream_args(photo, out)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=_env(), cwd=tmp_path)
        time.sleep(delay)
        proc.send_signal(sig)
        try:
            _, err = proc.communicate(timeout=60)
        finally:
            proc.kill()
        early = _before_dreamlib_ran(err)
        assert early or ("Traceback" not in err and "Exception ignored" not in err), (delay, err)
        assert _leftovers(tmp_path) == [], delay
        if out.exists():  # finished before the signal: then it is a whole image
            assert Image.open(out).size == (48, 40)
            out.unlink()
        else:
            assert proc.returncode in (130, 143, -sig) or early, (delay, proc.returncode, err)


def _before_dreamlib_ran(err: str) -> bool:
    """A Ctrl-C during Python's own start-up (``site`` running .pth files, ``runpy`` finding the module), before any
    line of dreamlib ran: Python prints its traceback and no program can catch it. From the first line of
    ``dreamlib/__init__.py`` on, ``python -m dreamlib`` turns it into one line (measured: about 1 in 4 of signals sent
    in the first 30 ms land in the start-up, none later)."""
    frames = re.findall(r'File "([^"]+)"', err)
    ours = str(ROOT / "dreamlib")
    return err.rstrip().endswith("KeyboardInterrupt") and not any(f.startswith(ours) for f in frames)


def test_a_closed_stdout_is_quiet():
    for args in (["layers", "--model", "inception_v3"], ["--help"], ["dream", "--help"]):
        proc = subprocess.Popen([sys.executable, "-m", "dreamlib", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=_env())
        proc.stdout.close()  # like `| head` that already exited
        try:
            err = proc.stderr.read().decode()
            proc.wait(timeout=60)
        finally:
            proc.kill()
        assert err == "", (args, err)
        assert proc.returncode in (0, 141), (args, proc.returncode)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_stdout_is_one_line():
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "dreamlib", "layers", "--model", "shapes"], stdout=full,
                              stderr=subprocess.PIPE, text=True, env=_env(), timeout=60)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("error: No space left on device")
