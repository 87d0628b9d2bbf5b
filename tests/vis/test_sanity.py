"""The sanity check: is a visualisation processed like the unit's top examples? (dreamlib/vis/sanity.py, lesson 17)."""

import pytest
import torch

import dreamlib as dl
from dreamlib.vis import sanity
from tests.helpers import stripes, two_edge_model


def test_like_pictures_score_high_and_unlike_ones_low():
    model = dl.as_dream_model(two_edge_model())  # layer "1": channel 0 vertical edges, channel 1 horizontal ones
    reference = torch.cat([stripes(True, seed=1), stripes(False, seed=2), torch.rand(8, 3, 24, 24)])
    examples = stripes(True, seed=3)
    pictures = torch.cat([stripes(True, 1, seed=4), stripes(False, 1, seed=5)])
    similarity = sanity.processing_similarity(model, pictures, examples, reference, layers=["1"])
    assert set(similarity) == {"1"} and similarity["1"].shape == (2,)
    assert similarity["1"][0] > 0.9 and similarity["1"][1] < 0
    assert torch.equal(sanity.sanity_score(similarity), similarity["1"])


def test_profiles_average_each_channel_over_positions():
    model = dl.as_dream_model(two_edge_model())
    images = torch.rand(3, 3, 16, 20)
    got = sanity.profiles(model, images, ["1"])["1"]
    expected = dl.forward_until(model, images, ["1"])["1"].mean((2, 3))
    assert torch.allclose(got, expected) and not got.requires_grad


def test_bad_batches_fail_with_one_line():
    model = dl.as_dream_model(two_edge_model())
    good = torch.rand(2, 3, 16, 16)
    with pytest.raises(dl.DreamError, match="pictures must be"):
        sanity.processing_similarity(model, torch.rand(3, 16, 16), good, good, layers=["1"])
    with pytest.raises(dl.DreamError, match="at least 2"):
        sanity.processing_similarity(model, good, good, good[:1], layers=["1"])
    with pytest.raises(dl.DreamError, match="unknown layer"):
        sanity.processing_similarity(model, good, good, good, layers=["nope"])
