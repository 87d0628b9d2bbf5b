"""The render and catalogue commands (dreamlib/cli/render.py)."""

import pytest
import torch

import dreamlib as dl
from tests.helpers import run_cli
from tests.project.browser import page_report


def test_catalogue_command_page_opens_in_a_browser_with_every_image(capsys, tmp_path):
    out = tmp_path / "conv2"
    code, stdout, err = run_cli(
        capsys,
        "catalogue",
        "--model",
        "shapes",
        "--layer",
        "conv2",
        "--channels",
        "4",
        "--top",
        "3",
        "--size",
        "48",
        "--steps",
        "4",
        "-q",
        "-o",
        out,
    )
    assert code == 0, err
    page = out / "index.html"
    assert stdout.strip() == str(page)
    text = page.read_text()
    assert text.count('class="card"') == 4 and "top 3 examples from its own training data" in text
    labels = dl.dissect(
        dl.load_model("shapes"), "conv2", *dl.shapes.make_batch(512, torch.Generator().manual_seed(0), parts=True)[::2]
    )
    assert f"channel 3: {labels[3].part} <small>(IoU {labels[3].iou:.3f})" in text  # network dissection's label
    for name in ("maco", "attribution", "accentuated"):  # the extras are on by default
        assert len(list((out / "images").glob(f"channel*_{name}.png"))) == 4, name
    report = page_report(page)
    assert report["images"] == 4 * (1 + 3 + 4)  # visualisation, examples; MACO, its map, top example, accentuated
    assert report["broken"] == [] and report["console_errors"] == []


@pytest.mark.parametrize(
    "flags, extras",
    [
        (["--no-maco", "--no-accentuate"], set()),
        (["--no-maco"], {"accentuated"}),
        (["--no-accentuate"], {"maco", "attribution"}),
    ],
)
def test_catalogue_extras_can_be_left_out(capsys, tmp_path, flags, extras):
    out = tmp_path / "cat"
    argv = ["catalogue", "--model", "shapes", "--layer", "conv2", "--channels", "2", "--top", "2", "--size", "32"]
    code, _, err = run_cli(capsys, *argv, "--steps", "2", *flags, "-q", "-o", out)
    assert code == 0, err
    kinds = {p.stem.split("_")[-1] for p in (out / "images").glob("channel*_*.png")}
    assert kinds == {"example0", "example1"} | extras


@pytest.mark.parametrize(
    "argv, message",
    [
        (["catalogue", "--model", "googlenet", "--layer", "inception4c"], "googlenet has no data of its own"),
        (
            ["catalogue", "--model", "shapes", "--layer", "conv9"],
            "unknown layer 'conv9' for shapes; valid layers: conv1",
        ),
        (["catalogue", "--model", "shapes", "--layer", "conv2", "--top", "0"], "top must be a whole number >= 1"),
        (["render", "--model", "shapes", "--class", "12"], "class 12 is out of range for shapes (valid: 0..9)"),
        (["render", "--model", "shapes", "--steps", "0"], "steps must be a whole number >= 1"),
        (
            ["render", "--model", "shapes", "--param", "wavelet"],
            "invalid choice: 'wavelet' (choose from 'fft', 'pixel', 'maco')",
        ),
        (
            ["render", "--model", "shapes", "--param", "maco", "--attribution", "{out}"],
            "--attribution must name another file than -o",
        ),
        (["render", "--model", "shapes", "--attribution", "map.txt"], "output 'map.txt' must end in"),
        (["accentuate", "sample:coffee", "--model", "shapes", "--reg-layer", "conv9"], "unknown layer 'conv9'"),
        (["accentuate", "sample:coffee", "--model", "shapes", "--alpha", "-1"], "alpha must be a number >= 0"),
        (["accentuate", "no_such.png", "--model", "shapes"], "no_such.png"),
        (["accentuate", "sample:coffee", "--model", "shapes", "--steps", "1"], "at least 2 steps when alpha > 0"),
        (
            ["render", "--model", "shapes", "--layer", "conv2", "--channel", "99"],
            "channel 99 is out of range for conv2",
        ),
    ],
)
def test_command_errors_are_one_line_and_write_nothing(capsys, tmp_path, argv, message):
    out = tmp_path / ("out" if argv[0] == "catalogue" else "out.png")
    steps = [] if "--steps" in argv else ["--steps", "2" if argv[0] == "accentuate" else "1"]  # accentuate needs 2
    argv = [str(out) if a == "{out}" else a for a in argv]
    code, _, err = run_cli(capsys, *argv, *steps, "-q", "-o", out)
    assert code == 2 and message in err and err.startswith("error: ")
    assert len(err.strip().splitlines()) == 1 and not out.exists()


def test_render_command_writes_a_class_picture_the_model_recognises(capsys, tmp_path):
    out = tmp_path / "eyes.png"
    code, stdout, err = run_cli(
        capsys, "render", "--model", "shapes", "--class", "0", "--size", "64", "--steps", "48", "-q", "-o", out
    )
    assert code == 0, err
    assert stdout.strip() == str(out)
    image = dl.load_image(out, max_size=None)
    model = dl.load_model("shapes")
    with torch.no_grad():
        assert torch.softmax(model(image), 1)[0, 0] > 0.9


def test_render_maco_writes_the_picture_and_its_attribution_map(capsys, tmp_path):
    out, where = tmp_path / "dogs.png", tmp_path / "dogs_map.png"
    argv = ["render", "--model", "shapes", "--class", "2", "--param", "maco", "--size", "96", "--steps", "48"]
    code, stdout, err = run_cli(capsys, *argv, "--attribution", where, "-q", "-o", out)
    assert code == 0, err
    assert stdout.split() == [str(where), str(out)]
    image, grey = dl.load_image(out, max_size=None), dl.load_image(where, max_size=None)
    assert image.shape == grey.shape == (1, 3, 96, 96)
    assert torch.equal(grey[:, 0], grey[:, 1]) and grey.max() == 1.0  # one map, scaled to its peak
    with torch.no_grad():
        assert torch.softmax(dl.load_model("shapes")(image), 1)[0].argmax() == 2  # dogs


def test_accentuate_writes_the_photo_with_the_channel_brought_out_and_its_map(capsys, tmp_path):
    out, where = tmp_path / "coffee.png", tmp_path / "coffee_map.png"
    argv = ["accentuate", "sample:coffee", "--model", "shapes", "--layer", "conv4", "--channel", "3"]
    code, stdout, err = run_cli(capsys, *argv, "--size", "64", "--steps", "24", "--attribution", where, "-q", "-o", out)
    assert code == 0, err
    assert stdout.split() == [str(where), str(out)]
    image, photo = dl.load_image(out, max_size=None), dl.sample_image("coffee", max_size=64)
    assert image.shape == photo.shape and 0.003 < (image - photo).abs().mean() < 0.2  # changed, still the photo
    model = dl.load_model("shapes")
    with torch.no_grad():
        acts = [dl.forward_until(model, x, ["conv4"])["conv4"][:, 3].mean() for x in (photo, image)]
    assert acts[1] > acts[0]  # the channel responds more
