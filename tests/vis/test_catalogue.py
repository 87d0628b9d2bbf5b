"""The neuron catalogue (dreamlib/vis/catalogue.py, lesson 16): top examples, visualisations, MACO renders and
accentuations. The page: tests/vis/test_page.py."""

import re

import pytest
import torch
from PIL import Image

import dreamlib as dl
from dreamlib.vis.catalogue import catalogue, dataset_examples, example_images
from tests.helpers import edge_energy, two_edge_model

PLAIN = dict(maco=False, accentuate=False)  # the visualisations and examples alone


def stripes(vertical: bool, n: int = 24) -> torch.Tensor:
    s = (torch.arange(n) // 3 % 2).float()
    pattern = s.view(1, n) if vertical else s.view(n, 1)
    return pattern.expand(n, n).expand(1, 3, n, n).clone()


def test_top_examples_are_the_images_each_channel_responds_to():
    """Two Sobel channels (vertical, horizontal edges): their top examples are vertical and horizontal stripes."""
    net = two_edge_model()
    images = torch.cat([stripes(True), stripes(False), torch.full((1, 3, 24, 24), 0.5)])
    entries = catalogue(net, "1", images=images, top=2, size=24, steps=2, progress=False, **PLAIN)
    assert [e.index for e in entries] == [0, 1]
    assert torch.equal(entries[0].examples[0], images[0]) and torch.equal(entries[1].examples[0], images[1])
    assert all(e.activations == sorted(e.activations, reverse=True) for e in entries)
    assert entries[0].visualisation.shape == (3, 24, 24)
    with pytest.raises(dl.DreamError, match=r"channel 5 is out of range for 1 \(valid: 0..1\)"):
        catalogue(net, "1", images=images, channels=[5], progress=False, **PLAIN)


def test_shapes_examples_come_from_its_own_data_and_others_need_a_folder(tmp_path):
    shapes = dl.load_model("shapes")
    assert example_images(shapes, count=8).shape == (8, 3, 48, 48)
    with pytest.raises(dl.DreamError, match="has no data of its own"):
        example_images(dl.as_dream_model(two_edge_model()))
    with pytest.raises(dl.DreamError, match="no images"):
        example_images(shapes, tmp_path)
    Image.new("RGB", (30, 20), (200, 10, 10)).save(tmp_path / "a.png")
    assert example_images(shapes, tmp_path, size=32).shape == (1, 3, 32, 32)


def faint(vertical: bool) -> torch.Tensor:
    """Low-contrast stripes: room for an accentuation to strengthen their edges."""
    return 0.4 + 0.2 * stripes(vertical)


def test_each_channel_is_accentuated_in_its_top_example_and_rendered_with_maco():
    """Known features: the vertical-edge channel, accentuated in its faint vertical stripes, sharpens their edges."""
    net = two_edge_model()
    images = torch.cat([faint(True), faint(False), torch.full((1, 3, 24, 24), 0.5)])
    entries = catalogue(net, "1", images=images, top=2, size=24, steps=2, maco_steps=8, accent_steps=16, progress=False)
    for e, (own, other) in zip(entries, [(0, 1), (1, 0)]):
        assert e.maco.shape == (3, 24, 24) and e.attribution.shape == (1, 24, 24)
        assert e.attribution.min() >= 0 and e.attribution.max() == 1  # scaled to its peak
        assert e.maco_rendered == pytest.approx(float(dataset_examples(net, e.maco[None], "1")[0, e.index]), rel=1e-4)
        example = e.examples[0]
        assert e.accentuated.shape == example.shape
        assert e.accent_before == pytest.approx(e.activations[0], rel=0.02)  # the same channel, the same measure
        assert e.accent_after > 1.15 * e.accent_before
        assert 0.01 < (e.accentuated - example).abs().mean() < 0.2  # changed, still the example
        before, after = edge_energy(example[None]), edge_energy(e.accentuated[None])
        assert after[own] > 1.3 * before[own] and after[own] > 2 * after[other]  # its own edges, brought out


def test_the_extras_can_be_left_out_and_bad_settings_fail_in_one_line():
    net = two_edge_model()
    images = torch.cat([faint(True), faint(False)])
    (entry,) = catalogue(net, "1", images=images, channels=[0], top=1, size=24, steps=2, progress=False, **PLAIN)
    assert entry.maco is entry.attribution is entry.maco_rendered is None
    assert entry.accentuated is entry.accent_before is entry.accent_after is None
    (entry,) = catalogue(net, "1", images=images, channels=[0], top=1, size=24, steps=2, maco=False, progress=False)
    assert entry.maco is None and entry.accentuated is not None
    for bad, message in [
        (dict(maco="yes"), "maco must be True or False, got 'yes'"),
        (dict(accentuate=1), "accentuate must be True or False, got 1"),
        (dict(maco_steps=0), "maco steps must be a whole number >= 1, got 0"),
        (dict(accent_steps=2.5), "accent steps must be a whole number >= 1, got 2.5"),
        (dict(alpha=-1), "alpha must be a number >= 0, got -1"),
    ]:
        with pytest.raises(dl.DreamError, match=re.escape(message)):
            catalogue(net, "1", images=images, size=24, steps=2, progress=False, **bad)


def test_on_the_shapes_model_maco_renders_and_accentuations_excite_their_channel():
    """A trained network: each channel's MACO render excites it more than the other channels' renders (on average) and
    than the average dataset image do; its accentuated top example excites it more than the example itself."""
    shapes = dl.load_model("shapes")
    images = example_images(shapes, count=128)
    channels = [0, 1, 2, 3]
    entries = catalogue(shapes, "conv4", channels=channels, images=images, top=1, size=64, steps=2, progress=False)
    mean = dataset_examples(shapes, images, "conv4").mean(0)
    renders = dataset_examples(shapes, torch.stack([e.maco for e in entries]), "conv4")[:, channels]
    for i, e in enumerate(entries):
        others = torch.cat([renders[:i, i], renders[i + 1 :, i]])
        # above the average image by a margin: MACO keeps a photo's low contrast, so its whole-picture activation stays
        # modest (lesson 16); on the shipped model 1.24-1.81 times the average image, 1.5-2.9 times the other renders
        assert e.maco_rendered > 1.2 * others.mean() and e.maco_rendered > 1.1 * mean[e.index], e.index
        assert e.accent_after > 1.1 * e.accent_before, e.index


def test_a_dissection_labels_each_channel_and_must_be_of_the_same_layer(tmp_path):
    from tests.helpers import part_world

    model, images, masks, parts, _ = part_world()
    found = dl.dissect(model, "detect", images, masks, parts=parts)
    entries = catalogue(model, "detect", images=images, size=24, steps=2, progress=False, dissection=found, **PLAIN)
    assert [(e.part, round(e.iou, 3)) for e in entries] == [(r.part, round(r.iou, 3)) for r in found]
    assert [e.part for e in entries] == ["red", "blue", "green"]
    text = dl.write_catalogue(entries, tmp_path / "cat").read_text()
    assert "channel 1: blue <small>(IoU" in text
    other = dl.dissect(model, "pooled", images, masks, parts=parts)
    with pytest.raises(dl.DreamError, match="not of detect's 3 channels"):
        catalogue(model, "detect", images=images, size=24, steps=2, progress=False, dissection=other, **PLAIN)
