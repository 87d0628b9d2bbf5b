"""The dream and zoom commands (dreamlib/cli/dream.py)."""

import os
import subprocess
import sys

import pytest
from PIL import Image

from tests.helpers import run_cli


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--steps", "0"], "error: steps must be a whole number >= 1, got 0"),
        (["--octaves", "-1"], "error: octaves must be a whole number in 1..100"),
        (["--octave-scale", "1"], "error: octave scale must be a number > 1 and <= 100, got 1.0"),
        (["--octave-scale", "big"], "expected a number, got 'big'"),
        (
            ["--model", "alexnet"],
            "error: unknown model 'alexnet'; choose one of: googlenet, inception_v3, resnet50, shapes, shapes_dreamer, "
            "shapes_vit, vgg16, vit_b_16",
        ),
        (["--layer", "Mixed_9"], "error: unknown layer 'Mixed_9' for inception_v3; valid layers: Conv2d_1a_3x3,"),
        (["--size", "0"], "error: size must be a whole number >= 1"),
        (
            ["--weights", "nowhere.pth"],
            "error: weights 'nowhere.pth' for inception_v3 are neither 'imagenet', 'random' nor an existing .pth",
        ),
    ],
)
def test_user_errors_are_one_line_exit_2_and_write_nothing(capsys, photo, tmp_path, extra, message):
    out = tmp_path / "out.png"
    code, stdout, err = run_cli(capsys, "dream", photo, "-o", out, "--steps", "1", *extra)
    assert code == 2
    assert message in err
    assert [line for line in err.splitlines() if line.startswith("error:")] == [err.splitlines()[-1]]
    assert not out.exists()


def test_missing_and_bad_inputs(capsys, tmp_path, photo):
    code, _, err = run_cli(capsys, "dream", tmp_path / "nope.png", "-o", tmp_path / "o.png")
    assert code == 2 and err.strip() == f"error: no such image file: {tmp_path / 'nope.png'}"
    (tmp_path / "text.png").write_text("not really a png")
    code, _, err = run_cli(capsys, "dream", tmp_path / "text.png", "-o", tmp_path / "o.png")
    assert code == 2 and "is not an image" in err and not (tmp_path / "o.png").exists()


@pytest.mark.parametrize(
    "given, says", [("photos/", "no such folder: {}"), ("photos", "no such image file or folder: {}")]
)
def test_a_mistyped_input_folder_is_named_not_the_output(capsys, tmp_path, given, says):
    (tmp_path / "photo").mkdir()  # the folder the user meant
    code, _, err = run_cli(capsys, "dream", f"{tmp_path}/{given}", "-o", f"{tmp_path}/dreamed/")
    assert code == 2 and err.strip() == "error: " + says.format(f"{tmp_path}/{given}")
    assert not (tmp_path / "dreamed").exists()


def test_output_problems_are_caught_before_dreaming(capsys, tmp_path, photo):
    before = photo.read_bytes()
    code, _, err = run_cli(capsys, "dream", photo, "-o", photo)
    assert code == 2 and "is the input image" in err and photo.read_bytes() == before
    code, _, err = run_cli(capsys, "dream", photo, "-o", tmp_path / "out.bmp")
    assert code == 2 and "must end in .png, .jpg, .jpeg" in err
    (tmp_path / "afile").write_text("")
    code, _, err = run_cli(capsys, "dream", photo, "-o", tmp_path / "afile" / "o.png", "--weights", "random")
    assert code == 2 and "error: cannot write" in err


def test_failed_download_is_a_one_line_error(capsys, tmp_path, photo, monkeypatch):
    import dreamlib.models as models

    def offline(*a, **k):
        raise OSError("<urlopen error [Errno -2] Name or service not known>")

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(models.torch.hub, "load_state_dict_from_url", offline)
    code, _, err = run_cli(
        capsys, "dream", photo, "-o", tmp_path / "o.png", "--weights", "imagenet", "--model", "googlenet"
    )
    assert code == 2
    assert err.startswith("error: could not download ImageNet weights for googlenet from https://download.pytorch.org/")
    assert str(tmp_path / "cache" / "hub" / "checkpoints" / "googlenet-1378be20.pth") in err
    assert len(err.strip().splitlines()) == 1


def test_end_to_end_in_a_real_process(photo, tmp_path):
    """The real entry point: writes the PNG, prints its path, warns in one line, no traceback on errors."""
    env = {**os.environ, "DREAMLIB_WEIGHTS": "random"}
    out = tmp_path / "dreamed.png"
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "dreamlib",
            "dream",
            str(photo),
            "-o",
            str(out),
            "--size",
            "100",
            "--steps",
            "2",
            "--octaves",
            "2",
            "--seed",
            "1",
            "--model",
            "googlenet",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == str(out)
    assert Image.open(out).size == (100, 75)
    assert "warning: googlenet has random weights" in ok.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "dreamlib", "dream", str(photo), "-o", str(out), "--steps", "0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip() == "error: steps must be a whole number >= 1, got 0"


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--layer", "conv2", "--channel", "99"], "error: channel 99 is out of range for conv2 (valid: 0..31)"),
        (["--class", "10"], "error: class 10 is out of range for shapes (valid: 0..9)"),
        (["--guide", "missing.png"], "error: no such image file: missing.png"),
        (["--class", "1", "--channel", "2"], "error: argument --channel: not allowed with argument --class"),
        (["--tile", "4"], "error: tile must be a whole number of pixels >= 16 for shapes, got 4"),
    ],
)
def test_objective_and_tile_errors(capsys, photo, tmp_path, extra, message):
    out = tmp_path / "out.png"
    code, _, err = run_cli(capsys, "dream", photo, "-o", out, "--model", "shapes", "--steps", "1", *extra)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_objectives_and_tiles_from_the_command_line(capsys, photo, tmp_path):
    for extra in (["--layer", "conv2", "--channel", "3"], ["--class", "2"], ["--guide", str(photo)], ["--tile", "48"]):
        out = tmp_path / f"out{len(list(tmp_path.iterdir()))}.png"
        code, stdout, err = run_cli(
            capsys,
            "dream",
            photo,
            "-o",
            out,
            "--model",
            "shapes",
            "--size",
            "96",
            "--steps",
            "2",
            "--octaves",
            "2",
            "-q",
            *extra,
        )
        assert code == 0, err
        assert stdout.strip() == str(out) and Image.open(out).size == (96, 72)


def test_zoom_command_writes_a_gif(capsys, photo, tmp_path):
    out = tmp_path / "zoom.gif"
    code, stdout, err = run_cli(
        capsys, "zoom", photo, "-o", out, "--model", "shapes", "--size", "64", "--frames", "3", "--steps", "1", "-q"
    )
    assert code == 0, err
    with Image.open(out) as gif:
        assert gif.n_frames == 3
    for extra, message in ((["--frames", "0"], "frames must be"), (["--zoom", "0.5"], "zoom must be")):
        code, _, err = run_cli(capsys, "zoom", photo, "-o", tmp_path / "z2.gif", "--model", "shapes", *extra)
        assert code == 2 and message in err and not (tmp_path / "z2.gif").exists()
    code, _, err = run_cli(capsys, "zoom", photo, "-o", tmp_path / "z.png", "--model", "shapes")
    assert code == 2 and "must end in .gif, .mp4" in err


def test_fallback_option_dreams_offline_on_the_shipped_model(capsys, photo, tmp_path, monkeypatch):
    """`make demo` on a machine without internet: one note line, then a real dream with the shipped model."""
    monkeypatch.setenv("DREAMLIB_OFFLINE", "1")
    out = tmp_path / "demo.png"
    code, stdout, err = run_cli(
        capsys, "dream", photo, "-o", out, "--fallback", "shapes", "--steps", "2", "--octaves", "1", "-q"
    )
    assert code == 0 and stdout.strip() == str(out) and out.is_file()
    assert err.count("\n") == 1 and err.startswith("note: no ImageNet weights for inception_v3")
    code, _, err = run_cli(
        capsys, "dream", photo, "-o", tmp_path / "x.png", "--fallback", "shapes", "--layer", "Mixed_5b", "-q"
    )
    assert code == 2 and "error: layer 'Mixed_5b' is not in the fallback model shapes" in err
    assert not (tmp_path / "x.png").exists()
    code, _, err = run_cli(capsys, "dream", photo, "-o", tmp_path / "y.png", "--fallback", "alexnet")
    assert code == 2 and err.startswith("error: unknown model 'alexnet'")


def test_unset_dream_options_take_the_model_own_settings(capsys, photo, tmp_path):
    """shapes_dreamer carries its own recipe: `dream` uses it where no option is given, and records it; options win."""
    from dreamlib.io.records import read_record
    from dreamlib.shapes.net import DREAMER_DREAM

    own, given = tmp_path / "own.png", tmp_path / "given.png"
    code, _, err = run_cli(capsys, "dream", photo, "-o", own, "--model", "shapes_dreamer", "--octaves", "1", "-q")
    assert code == 0, err
    record = read_record(own)
    assert (record["steps"], record["octave_scale"], record["octaves"]) == (
        str(DREAMER_DREAM.steps),
        str(DREAMER_DREAM.octave_scale),
        "1",
    )
    assert (record["lr"], record["jitter"]) == (str(DREAMER_DREAM.lr), str(DREAMER_DREAM.jitter))
    code, _, err = run_cli(
        capsys, "dream", photo, "-o", given, "--model", "shapes_dreamer", "--octaves", "1", "--steps", "2", "-q"
    )
    assert code == 0, err
    assert read_record(given)["steps"] == "2"
    code, _, err = run_cli(
        capsys, "dream", photo, "-o", tmp_path / "x.png", "--model", "shapes_dreamer", "--steps", "0"
    )
    assert (
        code == 2 and err.startswith("error: steps must be a whole number >= 1") and not (tmp_path / "x.png").exists()
    )
