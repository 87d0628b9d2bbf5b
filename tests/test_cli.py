import os
import subprocess
import sys

import pytest
from PIL import Image

from dreamlib.cli import main
from tests.conftest import run_cli


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "in.png"
    Image.new("RGB", (120, 90), (90, 120, 200)).save(path)
    return path


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--steps", "0"], "error: steps must be a whole number >= 1, got 0"),
        (["--octaves", "-1"], "error: octaves must be a whole number in 1..100"),
        (["--octave-scale", "1"], "error: octave scale must be a number > 1 and <= 100, got 1.0"),
        (["--octave-scale", "big"], "expected a number, got 'big'"),
        (["--model", "alexnet"], "error: unknown model 'alexnet'; choose one of: googlenet, inception_v3, resnet50, shapes, vgg16"),
        (["--layer", "Mixed_9"], "error: unknown layer 'Mixed_9' for inception_v3; valid layers: Conv2d_1a_3x3,"),
        (["--size", "0"], "error: size must be a whole number >= 1"),
        (["--weights", "nowhere.pth"], "error: weights 'nowhere.pth' for inception_v3 are neither 'imagenet', 'random' nor an existing .pth"),
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
    code, _, err = run_cli(capsys, "dream", photo, "-o", tmp_path / "o.png", "--weights", "imagenet", "--model", "googlenet")
    assert code == 2
    assert err.startswith("error: could not download ImageNet weights for googlenet from https://download.pytorch.org/")
    assert str(tmp_path / "cache" / "hub" / "checkpoints" / "googlenet-1378be20.pth") in err
    assert len(err.strip().splitlines()) == 1


def test_layers_lists_names_and_marks_the_default(capsys):
    code, out, _ = run_cli(capsys, "layers", "--model", "googlenet")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "conv1" and lines[-1] == "inception5b" and "inception4c  (default)" in lines
    code, _, err = run_cli(capsys, "layers", "--model", "nope")
    assert code == 2 and "choose one of" in err


def test_unknown_command_is_one_line(capsys):
    code, _, err = run_cli(capsys, "paint")
    assert code == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_end_to_end_in_a_real_process(photo, tmp_path):
    """The real entry point: writes the PNG, prints its path, warns in one line, no traceback on errors."""
    env = {**os.environ, "DREAMLIB_WEIGHTS": "random"}
    out = tmp_path / "dreamed.png"
    ok = subprocess.run(
        [sys.executable, "-m", "dreamlib", "dream", str(photo), "-o", str(out), "--size", "100",
         "--steps", "2", "--octaves", "2", "--seed", "1", "--model", "googlenet"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == str(out)
    assert Image.open(out).size == (100, 75)
    assert "warning: googlenet has random weights" in ok.stderr
    bad = subprocess.run([sys.executable, "-m", "dreamlib", "dream", str(photo), "-o", str(out), "--steps", "0"],
                         capture_output=True, text=True, env=env, timeout=300)
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
        code, stdout, err = run_cli(capsys, "dream", photo, "-o", out, "--model", "shapes", "--size", "96",
                                    "--steps", "2", "--octaves", "2", "-q", *extra)
        assert code == 0, err
        assert stdout.strip() == str(out) and Image.open(out).size == (96, 72)


def test_zoom_command_writes_a_gif(capsys, photo, tmp_path):
    out = tmp_path / "zoom.gif"
    code, stdout, err = run_cli(capsys, "zoom", photo, "-o", out, "--model", "shapes", "--size", "64", "--frames", "3",
                                "--steps", "1", "-q")
    assert code == 0, err
    with Image.open(out) as gif:
        assert gif.n_frames == 3
    for extra, message in ((["--frames", "0"], "frames must be"), (["--zoom", "0.5"], "zoom must be")):
        code, _, err = run_cli(capsys, "zoom", photo, "-o", tmp_path / "z2.gif", "--model", "shapes", *extra)
        assert code == 2 and message in err and not (tmp_path / "z2.gif").exists()
    code, _, err = run_cli(capsys, "zoom", photo, "-o", tmp_path / "z.png", "--model", "shapes")
    assert code == 2 and "must end in .gif, .mp4" in err


def test_disk_errors_are_one_line_too(capsys, photo, tmp_path, monkeypatch):
    import dreamlib.images

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(dreamlib.images, "save_image", full_disk)
    out = tmp_path / "o.png"
    code, _, err = run_cli(capsys, "dream", photo, "-o", out, "--model", "shapes", "--size", "64", "--steps", "1", "-q")
    assert code == 2 and err.strip() == "error: No space left on device" and not out.exists()


def test_weights_command_shows_the_cache_and_downloads_only_when_asked(capsys, tmp_path, monkeypatch):
    import dataclasses
    from types import SimpleNamespace

    import torch

    from dreamlib.models import MODELS

    from tests.conftest import seed_weights_cache

    cached = seed_weights_cache(monkeypatch, tmp_path, "googlenet", {})
    cache = cached.parent
    (cache / "resnet50-0676ba61.pth").write_bytes(b"half a file")  # a damaged copy under torchvision's name
    code, out, _ = run_cli(capsys, "weights")
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert code == 0 and set(lines) == {"googlenet", "inception_v3", "resnet50", "vgg16"}
    assert lines["googlenet"].split()[1] == "cached" and str(cached) in lines["googlenet"]
    assert lines["resnet50"].split()[1] == "damaged"
    assert "missing" in lines["vgg16"] and "https://download.pytorch.org/models/vgg16-397923af.pth" in lines["vgg16"]
    real = MODELS["vgg16"].weights()
    fake = SimpleNamespace(url="http://127.0.0.1:9/models/vgg16-397923af.pth", meta=real.meta)
    monkeypatch.setitem(MODELS, "vgg16", dataclasses.replace(MODELS["vgg16"], weights=lambda: fake))
    code, _, err = run_cli(capsys, "weights", "--model", "vgg16", "--download")
    assert code == 2 and err.splitlines()[-1].startswith("error: could not download ImageNet weights for vgg16")
    code, _, err = run_cli(capsys, "weights", "--model", "shapes")
    assert code == 2 and "choose one of: googlenet, inception_v3, resnet50, vgg16" in err


def test_fallback_option_dreams_offline_on_the_shipped_model(capsys, photo, tmp_path, monkeypatch):
    """`make demo` on a machine without internet: one note line, then a real dream with the shipped model."""
    monkeypatch.setenv("DREAMLIB_OFFLINE", "1")
    out = tmp_path / "demo.png"
    code, stdout, err = run_cli(capsys, "dream", photo, "-o", out, "--fallback", "shapes", "--steps", "2", "--octaves", "1", "-q")
    assert code == 0 and stdout.strip() == str(out) and out.is_file()
    assert err.count("\n") == 1 and err.startswith("note: no ImageNet weights for inception_v3")
    code, _, err = run_cli(capsys, "dream", photo, "-o", tmp_path / "x.png", "--fallback", "shapes", "--layer", "Mixed_5b", "-q")
    assert code == 2 and "error: layer 'Mixed_5b' is not in the fallback model shapes" in err
    assert not (tmp_path / "x.png").exists()
    code, _, err = run_cli(capsys, "dream", photo, "-o", tmp_path / "y.png", "--fallback", "alexnet")
    assert code == 2 and err.startswith("error: unknown model 'alexnet'")


# --- issue 10: usage, version, help and bundled samples ------------------------------------------------------


def test_bare_command_prints_the_usage_and_version_prints_the_version(capsys):
    import dreamlib

    code, out, err = run_cli(capsys)
    assert code == 2 and err.startswith("usage: ") and "dream" in err and "samples" in err and "error" not in err
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.strip() == f"dreamlib {dreamlib.__version__}"


def test_every_option_has_help_and_shows_its_default():
    import argparse

    from dreamlib.cli import build_parser

    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(sub.choices) >= {"dream", "zoom", "layers", "weights", "samples"}
    for name, command in sub.choices.items():
        for action in command._actions:
            assert action.help, f"{name} {action.option_strings or action.dest} has no help"
        text = command.format_help()
        for action in command._actions:
            if action.option_strings and action.default not in (None, False, argparse.SUPPRESS):
                assert f"(default: {action.default})" in " ".join(text.split()), (name, action.dest)
    assert "--octave-scale" in sub.choices["dream"].format_help() and "(default: 1.4)" in sub.choices["dream"].format_help()


def test_program_name_is_the_one_the_user_typed():
    from dreamlib.cli import program_name

    assert program_name("/usr/local/bin/dreamlib") == "dreamlib"
    assert program_name("/x/site-packages/dreamlib/__main__.py") == "python -m dreamlib"


def test_samples_are_listed_and_nameable_as_inputs(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "samples")
    assert code == 0 and "sample:chelsea" in out.split()
    target = tmp_path / "cat.png"
    code, out, err = run_cli(capsys, "dream", "sample:chelsea", "-o", target, "--model", "shapes", "--size", "48",
                             "--steps", "1", "--octaves", "1", "-q")
    assert code == 0 and out.strip() == str(target) and Image.open(target).size == (48, 32)
    code, _, err = run_cli(capsys, "dream", "sample:nothing", "-o", tmp_path / "x.png", "--model", "shapes")
    assert code == 2 and err.strip().startswith("error: unknown sample image 'nothing'; choose one of: astronaut, chelsea")
    assert not (tmp_path / "x.png").exists()
