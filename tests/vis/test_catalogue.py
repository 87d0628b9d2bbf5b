"""The neuron catalogue and the `render` / `catalogue` commands."""

import re

import pytest
import torch
from dreamlib.vis.catalogue import MARKER, catalogue, check_output_dir, example_images, write_catalogue
from PIL import Image

import dreamlib as dl
from tests.helpers import run_cli, two_edge_model
from tests.project.browser import page_report


def stripes(vertical: bool, n: int = 24) -> torch.Tensor:
    s = (torch.arange(n) // 3 % 2).float()
    pattern = s.view(1, n) if vertical else s.view(n, 1)
    return pattern.expand(n, n).expand(1, 3, n, n).clone()


def test_top_examples_are_the_images_each_channel_responds_to():
    """Two Sobel channels (vertical, horizontal edges): their top examples are vertical and horizontal stripes."""
    net = two_edge_model()
    images = torch.cat([stripes(True), stripes(False), torch.full((1, 3, 24, 24), 0.5)])
    entries = catalogue(net, "1", images=images, top=2, size=24, steps=2, progress=False)
    assert [e.index for e in entries] == [0, 1]
    assert torch.equal(entries[0].examples[0], images[0]) and torch.equal(entries[1].examples[0], images[1])
    assert all(e.activations == sorted(e.activations, reverse=True) for e in entries)
    assert entries[0].visualisation.shape == (3, 24, 24)
    with pytest.raises(dl.DreamError, match=r"channel 5 is out of range for 1 \(valid: 0..1\)"):
        catalogue(net, "1", images=images, channels=[5], progress=False)


def test_shapes_examples_come_from_its_own_data_and_others_need_a_folder(tmp_path):
    shapes = dl.load_model("shapes")
    assert example_images(shapes, count=8).shape == (8, 3, 48, 48)
    with pytest.raises(dl.DreamError, match="has no data of its own"):
        example_images(dl.as_dream_model(two_edge_model()))
    with pytest.raises(dl.DreamError, match="no images"):
        example_images(shapes, tmp_path)
    Image.new("RGB", (30, 20), (200, 10, 10)).save(tmp_path / "a.png")
    assert example_images(shapes, tmp_path, size=32).shape == (1, 3, 32, 32)


def test_page_is_written_whole_and_only_over_an_earlier_catalogue(tmp_path):
    net = two_edge_model()
    images = torch.cat([stripes(True), stripes(False)])
    entries = catalogue(net, "1", images=images, top=2, size=24, steps=2, progress=False)
    page = write_catalogue(entries, tmp_path / "cat")
    text = page.read_text()
    assert MARKER in text and 'name="viewport"' in text
    sources = re.findall(r'<img src="([^"]+)"', text)
    assert len(sources) == 2 * (1 + 2) and all((page.parent / s).is_file() for s in sources)
    write_catalogue(entries, tmp_path / "cat")  # an earlier catalogue may be replaced
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(dl.DreamError, match="not empty and holds no earlier catalogue"):
        write_catalogue(entries, tmp_path / "other")
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"
    with pytest.raises(dl.DreamError, match="is a file"):
        check_output_dir(tmp_path / "other" / "notes.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cat", "other"]  # no temporary folder left behind


def test_catalogue_command_page_opens_in_a_browser_with_every_image(capsys, tmp_path):
    out = tmp_path / "conv2"
    code, stdout, err = run_cli(capsys, "catalogue", "--model", "shapes", "--layer", "conv2", "--channels", "4",
                                "--top", "3", "--size", "48", "--steps", "4", "-q", "-o", out)
    assert code == 0, err
    page = out / "index.html"
    assert stdout.strip() == str(page)
    text = page.read_text()
    assert text.count('class="card"') == 4 and "top 3 examples from its own training data" in text
    report = page_report(page)
    assert report["images"] == 4 * (1 + 3)
    assert report["broken"] == [] and report["console_errors"] == []


@pytest.mark.parametrize("argv, message", [
    (["catalogue", "--model", "googlenet", "--layer", "inception4c"], "googlenet has no data of its own"),
    (["catalogue", "--model", "shapes", "--layer", "conv9"], "unknown layer 'conv9' for shapes; valid layers: conv1"),
    (["catalogue", "--model", "shapes", "--layer", "conv2", "--top", "0"], "top must be a whole number >= 1"),
    (["render", "--model", "shapes", "--class", "12"], "class 12 is out of range for shapes (valid: 0..9)"),
    (["render", "--model", "shapes", "--steps", "0"], "steps must be a whole number >= 1"),
    (["render", "--model", "shapes", "--param", "wavelet"], "invalid choice: 'wavelet' (choose from 'fft', 'pixel')"),
    (["render", "--model", "shapes", "--layer", "conv2", "--channel", "99"], "channel 99 is out of range for conv2"),
])
def test_command_errors_are_one_line_and_write_nothing(capsys, tmp_path, argv, message):
    out = tmp_path / ("out" if argv[0] == "catalogue" else "out.png")
    steps = [] if "--steps" in argv else ["--steps", "1"]
    code, _, err = run_cli(capsys, *argv, *steps, "-q", "-o", out)
    assert code == 2 and message in err and err.startswith("error: ")
    assert len(err.strip().splitlines()) == 1 and not out.exists()


def test_render_command_writes_a_class_picture_the_model_recognises(capsys, tmp_path):
    out = tmp_path / "stripes.png"
    code, stdout, err = run_cli(capsys, "render", "--model", "shapes", "--class", "0", "--size", "64", "--steps", "48",
                                "-q", "-o", out)
    assert code == 0, err
    assert stdout.strip() == str(out)
    image = dl.load_image(out, max_size=None)
    model = dl.load_model("shapes")
    with torch.no_grad():
        assert torch.softmax(model(image), 1)[0, 0] > 0.9
