"""The settings a dreamed PNG carries, and the command that re-makes it (dreamlib/io/records.py)."""

from __future__ import annotations

import shlex

import numpy as np
import pytest
import torch
from PIL import Image

import dreamlib
import dreamlib.io.folders
from dreamlib.io.records import read_record
from tests.helpers import run_cli

SMALL = ["--model", "shapes", "--size", "40", "--steps", "2", "--octaves", "2", "-q"]


def test_a_png_carries_what_re_makes_it_exactly(capsys, tmp_path):
    first = tmp_path / "first.png"
    code, _, err = run_cli(
        capsys,
        "dream",
        "sample:chelsea",
        "-o",
        first,
        *SMALL,
        "--seed",
        "7",
        "--lr",
        "0.0123456789",
        "--layer",
        "conv3",
        "--channel",
        "4",
    )
    assert code == 0, err
    code, stdout, _ = run_cli(capsys, "info", first)
    assert code == 0
    fields = dict(line.split(None, 1) for line in stdout.split("\n\n")[0].splitlines())
    assert fields["lr"] == "0.0123456789" and fields["channel"] == "4" and fields["input"] == "sample:chelsea"
    command = stdout.strip().splitlines()[-1].strip()
    words = shlex.split(command)
    assert words[:3] == ["python", "-m", "dreamlib"] and "--seed" in words and "--channel" in words
    again = tmp_path / "again.png"
    args = [w if w != "again.png" else str(again) for w in words[3:]]  # only what the file recorded
    code, _, err = run_cli(capsys, *args, "-q")
    assert code == 0, err
    assert np.array_equal(np.asarray(Image.open(first)), np.asarray(Image.open(again)))
    other = tmp_path / "other.png"
    code, _, _ = run_cli(capsys, *[a if a != str(again) else str(other) for a in args], "--seed", "8", "-q")
    assert code == 0 and not np.array_equal(np.asarray(Image.open(first)), np.asarray(Image.open(other)))


def test_info_needs_a_png_dreamlib_wrote(capsys, tmp_path):
    plain = tmp_path / "plain.png"
    Image.new("RGB", (8, 8)).save(plain)
    code, _, err = run_cli(capsys, "info", plain)
    assert (
        code == 2 and err.strip() == f"error: {plain} carries no dreamlib settings (only PNGs that dreamlib wrote do)"
    )
    code, _, err = run_cli(capsys, "info", tmp_path / "none.png")
    assert code == 2 and err.strip() == f"error: no such file: {tmp_path / 'none.png'}"


def test_the_python_api_records_too_and_refuses_to_promise_what_it_cannot(photos, tmp_path):
    from dreamlib.io.records import dream_record, rerun_command

    model = dreamlib.load_model("shapes")
    report = dreamlib.dream_folder(model, photos, tmp_path / "out", size=40, steps=1, octaves=1, progress=False)
    assert len(report.dreamed) == 3 and not report.skipped
    assert read_record(tmp_path / "out" / "a.png")["seed"] == "0"  # folders always get a seed: re-made and resumed
    again = dreamlib.dream_folder(model, photos, tmp_path / "out", size=40, steps=1, octaves=1, progress=False)
    assert len(again.skipped) == 3 and not again.dreamed
    with pytest.raises(dreamlib.DreamError, match="without a seed"):
        rerun_command(dream_record(model, source="sample:chelsea", seed=None))
    with pytest.raises(dreamlib.DreamError, match="set in Python"):
        rerun_command(dream_record(model, source="sample:chelsea", seed=1, objective=dreamlib.layer_l2("conv2")))


@pytest.mark.parametrize(
    "settings, says",
    [
        (dict(param=dreamlib.Param("fft", False)), "decorrelate was set in Python"),
        (dict(param=dreamlib.Param("fft", True, decay=2.0)), "decay was set in Python"),
        (dict(size=None), "dreamed at its full size"),
    ],
)
def test_a_record_the_command_line_cannot_re_make_says_so(settings, says):
    from dreamlib.io.records import dream_record, rerun_command

    model = dreamlib.load_model("shapes")
    record = dream_record(model, **{"source": "sample:chelsea", "seed": 1, "size": 64, **settings})
    with pytest.raises(dreamlib.DreamError, match=says):
        rerun_command(record)
    custom = dreamlib.as_dream_model(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3)))
    with pytest.raises(dreamlib.DreamError, match="built in Python"):
        rerun_command(dream_record(custom, source="sample:chelsea", seed=1, size=64, layer="0"))


def test_an_input_named_like_an_option_comes_after_a_double_dash(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (40, 30), (200, 90, 40)).save(tmp_path / "-odd.png")
    code, _, err = run_cli(capsys, "dream", "-o", "first.png", *SMALL, "--", "-odd.png")
    assert code == 0, err
    command = run_cli(capsys, "info", "first.png")[1].strip().splitlines()[-1]
    words = shlex.split(command)
    assert words[-2:] == ["--", "-odd.png"]
    code, _, err = run_cli(capsys, *words[3:])
    assert code == 0, err
    assert np.array_equal(np.asarray(Image.open("first.png")), np.asarray(Image.open("again.png")))
