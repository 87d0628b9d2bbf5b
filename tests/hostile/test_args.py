"""Hostile arguments: extreme numbers, devices this machine lacks, over-long names.

Each is one ``error:`` line with exit status 2 and no file written (API: one DreamError line),
and it comes before the dream, not after it.
"""

from __future__ import annotations

import pytest
import torch
from PIL import Image

import dreamlib
from tests.helpers import run_cli

DREAM_ARGS = [
    ["--jitter", "100000000000000000000"],
    ["--jitter", "-1"],
    ["--jitter", "5000"],
    ["--lr", "inf"],
    ["--lr", "nan"],
    ["--lr", "1e400"],
    ["--lr", "-0.1"],
    ["--lr", "zero"],
    ["--octave-scale", "inf"],
    ["--octave-scale", "nan"],
    ["--octave-scale", "1e308", "--octaves", "3"],
    ["--octaves", "1000000"],
    ["--octaves", "0"],
    ["--steps", "0"],
    ["--size", "0"],
    ["--size", "-5"],
    ["--tile", "3"],
    ["--channel", "99999"],
    ["--class", "999"],
    ["--class", "-1"],
    ["--precision", "fp8"],
    ["--device", "mps"],
    ["--device", "xpu"],
    ["--device", "meta"],
    ["--device", "cuda:7"],
    ["--device", "tpu"],
    ["--device", "cpu:abc"],
    ["--layer", "nope"],
    ["--model", "nope"],
    ["--fallback", "nope"],
]


@pytest.mark.parametrize("extra", DREAM_ARGS, ids=lambda a: " ".join(a))
def test_bad_dream_arguments_are_one_line_and_write_nothing(capsys, photo, tmp_path, extra):
    code, out, err = run_cli(
        capsys, "dream", photo, "-o", tmp_path / "out.png", "--model", "shapes", "--steps", "1", "-q", *extra
    )
    assert code == 2 and err.splitlines()[-1].startswith("error: ") and err.count("error:") == 1, err
    assert "Traceback" not in err and out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png"]


@pytest.mark.parametrize(
    "extra",
    [
        ["--zoom", "nan"],
        ["--zoom", "inf"],
        ["--zoom", "0.5"],
        ["--fps", "0"],
        ["--fps", "-3"],
        ["--frames", "0"],
        ["--jitter", "1e20"],
    ],
    ids=lambda a: " ".join(a),
)
def test_bad_zoom_arguments_are_one_line_and_write_nothing(capsys, photo, tmp_path, extra):
    code, _, err = run_cli(
        capsys,
        "zoom",
        photo,
        "-o",
        tmp_path / "out.gif",
        "--model",
        "shapes",
        "--steps",
        "1",
        "--frames",
        "2",
        "-q",
        *extra,
    )
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png"]


@pytest.mark.parametrize("device", ["mps", "xpu", "cuda:7", "tpu", "nonsense:0"])
def test_devices_this_machine_lacks_name_the_valid_ones(device):
    if device.startswith("cuda") and torch.cuda.device_count() > 7:
        pytest.skip("this machine really has a cuda:7")
    if device == "mps" and getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        pytest.skip("this machine has an Apple GPU")
    with pytest.raises(dreamlib.DreamError) as info:
        dreamlib.resolve_device(device)
    message = str(info.value)
    assert "cpu" in message and "auto" in message and "\n" not in message


def test_the_longest_legal_output_name_works_and_one_too_long_fails_first(capsys, photo, tmp_path):
    legal = tmp_path / ("d" * 246 + ".png")  # 250 bytes: legal on every common file system
    code, out, err = run_cli(
        capsys, "dream", photo, "-o", legal, "--model", "shapes", "--steps", "1", "--octaves", "1", "--size", "32", "-q"
    )
    assert code == 0 and out.strip() == str(legal) and Image.open(legal).size == (32, 24)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["in.png", legal.name])  # no temp file left
    too_long = tmp_path / ("e" * 300 + ".png")
    code, _, err = run_cli(capsys, "dream", photo, "-o", too_long, "--model", "shapes", "--steps", "1", "-q")
    assert code == 2 and "bytes long" in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["in.png", legal.name])


@pytest.mark.parametrize(
    "settings",
    [
        dict(jitter=10**20),
        dict(jitter=-1),
        dict(lr=float("inf")),
        dict(lr=float("nan")),
        dict(octave_scale=float("inf")),
        dict(octaves=10**6),
        dict(steps=2.5),
        dict(octave_scale=1e308, octaves=3),
    ],
)
def test_bad_settings_in_the_api_are_dream_errors(settings):
    model = dreamlib.load_model("shapes", device="cpu")
    with pytest.raises(dreamlib.DreamError) as info:
        dreamlib.dream(model, torch.rand(1, 3, 32, 32), progress=False, **{"steps": 1, **settings})
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("fps", [0, -1, float("nan"), float("inf"), "12", True])
def test_save_animation_refuses_bad_fps_and_writes_nothing(tmp_path, fps):
    frames = [torch.rand(1, 3, 8, 8) for _ in range(2)]
    with pytest.raises(dreamlib.DreamError, match="fps must be"):
        dreamlib.save_animation(frames, tmp_path / "a.gif", fps=fps)
    assert list(tmp_path.iterdir()) == []
    assert dreamlib.save_animation(frames, tmp_path / "a.gif", fps=2.5).is_file()  # a fractional rate is fine
