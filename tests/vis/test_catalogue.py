"""The neuron catalogue: top examples, visualisations, the page (dreamlib/vis/catalogue.py, lesson 10)."""

import re

import pytest
import torch
from PIL import Image

import dreamlib as dl
from dreamlib.vis.catalogue import MARKER, catalogue, check_output_dir, example_images, write_catalogue
from tests.helpers import two_edge_model


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
