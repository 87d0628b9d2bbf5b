"""Signals and streams, on the real command line in a subprocess.

SIGTERM or Ctrl-C at any moment leaves no temporary file and no traceback; a closed or full standard output is
quiet (one line at most). The signals are sent at points the program reaches, not after fixed sleeps: a loaded or
slow machine changes when a point is reached, never what happens there. Each program starts as one typed at a
terminal does, with every stopping signal at its default (:func:`_at_a_terminal`), whatever the test run inherited: a
script's ``make test &`` starts it with SIGINT ignored, and a signal started ignored stays ignored (tested too).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

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

# Runs the program as `python -m dreamlib` ("-m") or as the `dreamlib` console script ("script") does, and sends
# itself a signal at WHERE: "module" as the program starts to import it, or "module:function" when it first calls
# that function ("module:function@N": its N-th call), watched from the moment the program opens its input (a file
# named ARM, default in.png: profiling every call from the start would make the run ten times slower).
AT_POINT = """
import os, sys
how, where, signum = sys.argv[1], sys.argv[2], int(sys.argv[3])
arm = os.environ.get("ARM", "in.png")
del sys.argv[1:4]
module, _, function = where.partition(":")
function, _, nth = function.partition("@")
path = module.replace(".", "/") + ".py"
state = {"calls": 0, "armed": False}

def signal_here():
    print("at " + where, file=sys.stderr, flush=True)
    os.kill(os.getpid(), signum)

def profile(frame, event, arg):
    filename = "/" + frame.f_code.co_filename.replace(os.sep, "/")
    if event == "call" and frame.f_code.co_name == function and filename.endswith("/" + path):
        state["calls"] += 1
        if state["calls"] == int(nth or 1):
            sys.setprofile(None)
            signal_here()

def audit(event, args):
    if event == "import" and not function and args[0] == module:
        signal_here()
    elif event == "open" and function and str(args[0]).endswith(arm) and not state["armed"]:
        state["armed"] = True
        sys.setprofile(profile)

sys.addaudithook(audit)
if how == "-m":
    import runpy
    sys.argv[0] = "-m"  # as while Python finds the module
    runpy.run_module("dreamlib", run_name="__main__", alter_sys=True)
else:
    sys.argv[0] = "dreamlib"
    from dreamlib.__main__ import run
    sys.exit(run())
"""


def _at_a_terminal(ignored: tuple[int, ...] = ()):
    """For ``preexec_fn``: the child starts with SIGINT, SIGTERM and SIGHUP at their defaults, as a command typed at
    a terminal does, except ``ignored`` (SIGHUP under ``nohup``; SIGINT for a script's ``command &``)."""

    def reset() -> None:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN if signum in ignored else signal.SIG_DFL)

    return reset


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DREAMLIB_") or k == "DREAMLIB_PRECISION"}
    env["PYTHONPATH"] = str(ROOT)
    return env


def _dream_args(photo: Path, out: Path) -> list[str]:
    return [
        "dream",
        str(photo),
        "-o",
        str(out),
        "--model",
        "shapes",
        "--size",
        "48",
        "--steps",
        "2",
        "--octaves",
        "2",
        "-q",
    ]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in ("in.png", "out.png"))


@pytest.mark.parametrize(
    "sig, code, message",
    [(signal.SIGTERM, 143, "error: stopped by SIGTERM"), (signal.SIGINT, 130, "error: interrupted")],
)
def test_a_signal_while_saving_removes_the_temporary_file(photo, tmp_path, sig, code, message):
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_SAVE, *_dream_args(photo, tmp_path / "out.png")],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=tmp_path,
        preexec_fn=_at_a_terminal(),
    )
    try:
        assert proc.stderr.readline().strip() == "saving"
        assert any(p.name.startswith(".dreamlib-") for p in tmp_path.iterdir())  # the temp file exists now
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == code and err.strip() == message, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png"]


POINTS = [
    "dreamlib.cli.app",  # the command line's own code loads (python -m dreamlib's guard holds)
    "numpy",  # heavy imports, while still starting up: a signal here once left numpy half-loaded (a traceback)
    "torch",
    "torchvision",
    "dreamlib.cli.options:load_for",  # started: the model loads
    "dreamlib.tiles:dream_step",  # dreaming
    "dreamlib.io.files:atomic_path",  # about to write
    "PIL.PngImagePlugin:_save",  # writing: the temporary file exists
]


def _dream_signalled_at(how: str, where: str, sig: int, photo: Path, out: Path, ignored: tuple[int, ...] = ()):
    """The dream of ``photo`` into ``out``, started ``how``, sending itself ``sig`` at ``where`` (see AT_POINT)."""
    return subprocess.run(
        [sys.executable, "-c", AT_POINT, how, where, str(int(sig)), *_dream_args(photo, out)],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=out.parent,
        timeout=120,
        preexec_fn=_at_a_terminal(ignored),
    )


@pytest.mark.parametrize(
    "how, where, sig",
    [("-m", p, signal.SIGINT) for p in POINTS]
    + [("-m", p, signal.SIGTERM) for p in (POINTS[0], POINTS[1], POINTS[5], POINTS[7])]
    + [("script", p, signal.SIGINT) for p in (POINTS[0], POINTS[1], POINTS[7])],
)
def test_a_signal_at_any_point_is_one_line_and_leaves_no_file(photo, tmp_path, how, where, sig):
    out = tmp_path / "out.png"
    proc = _dream_signalled_at(how, where, sig, photo, out)
    lines = proc.stderr.strip().splitlines()
    assert lines[:1] == [f"at {where}"], proc.stderr  # the point was reached, and the signal sent there
    message = "error: interrupted" if sig == signal.SIGINT else "error: stopped by SIGTERM"
    assert lines[1:] == [message], proc.stderr  # one line: no traceback, no "Exception ignored"
    assert proc.returncode == 128 + sig
    assert _leftovers(tmp_path) == [] and not out.exists()


@pytest.mark.parametrize(
    "how, sig", [("-m", signal.SIGINT), ("-m", signal.SIGHUP), ("script", signal.SIGINT), ("script", signal.SIGHUP)]
)
def test_a_signal_the_program_started_ignored_stays_ignored(photo, tmp_path, how, sig):
    """``nohup dreamlib ...`` ignores SIGHUP, ``dreamlib ... &`` in a script ignores SIGINT: the dream goes on."""
    out, where = tmp_path / "out.png", "PIL.PngImagePlugin:_save"
    proc = _dream_signalled_at(how, where, sig, photo, out, ignored=(sig,))
    assert proc.stderr.strip().splitlines() == [f"at {where}"], proc.stderr  # sent while writing, and ignored
    assert proc.returncode == 0 and out.stat().st_size > 0
    assert _leftovers(tmp_path) == []


def test_a_closed_stdout_is_quiet():
    for args in (["layers", "--model", "inception_v3"], ["--help"], ["dream", "--help"]):
        proc = subprocess.Popen(
            [sys.executable, "-m", "dreamlib", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env()
        )
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
        proc = subprocess.run(
            [sys.executable, "-m", "dreamlib", "layers", "--model", "shapes"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
            timeout=60,
        )
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("error: No space left on device")


@pytest.mark.parametrize(
    "sig, status, message",
    [(signal.SIGINT, 130, "error: interrupted"), (signal.SIGTERM, 143, "error: stopped by SIGTERM")],
)
def test_a_video_stopped_halfway_finishes_the_same_on_a_second_run(capsys, tmp_path, sig, status, message):
    from dreamlib.video.dream import work_folder
    from dreamlib.video.frames import sample_clip
    from tests.helpers import run_cli

    clip = sample_clip(tmp_path / "clip.mp4", frames=10, fps=10, size=(64, 48))
    args = ["--model", "shapes", "--steps", "1", "--first-steps", "2", "--keep-frames", "-q"]
    whole, out = tmp_path / "whole.mp4", tmp_path / "out.mp4"
    assert run_cli(capsys, "video", clip, "-o", whole, *args)[0] == 0
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            AT_POINT,
            "-m",
            "dreamlib.video.dream:_as_pixels@6",
            str(int(sig)),
            "video",
            str(clip),
            "-o",
            str(out),
            *args,
        ],
        capture_output=True,
        text=True,
        env={**_env(), "ARM": "clip.mp4"},
        cwd=tmp_path,
        timeout=300,
        preexec_fn=_at_a_terminal(),
    )
    assert proc.stderr.strip().splitlines() == ["at dreamlib.video.dream:_as_pixels@6", message]
    assert proc.returncode == status and not out.exists()
    kept = sorted(p.name for p in work_folder(out).iterdir())
    assert kept == [f"{t:06d}.png" for t in range(5)] + ["settings.json"]  # five whole frames, no partial one
    code, _, err = run_cli(capsys, "video", clip, "-o", out, *args)
    assert code == 0 and "10 frames, 5 picked up from an earlier run" in err
    for t in range(10):
        name = f"{t:06d}.png"
        assert (work_folder(out) / name).read_bytes() == (work_folder(whole) / name).read_bytes(), name
