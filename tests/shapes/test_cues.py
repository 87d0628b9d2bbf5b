"""Cue-conflict pictures: an object's outline filled with another class's object, and the shape bias
(dreamlib/shapes/cues.py)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import dreamlib as dl
from dreamlib import shapes


def test_each_picture_keeps_its_outline_and_background_and_takes_another_class_inside():
    images, shape, texture = shapes.cue_conflict(40, seed=3)
    assert images.shape == (40, 3, 48, 48) and shape.shape == texture.shape == (40,)
    assert (shape != texture).all() and 0 <= images.min() and images.max() <= 1
    # the same draw as make_batch's: outside the object's silhouette the picture is the world's picture
    originals, labels, parts = shapes.make_batch(40, torch.Generator().manual_seed(3), parts=True)
    assert torch.equal(labels, shape)
    inside = shapes.silhouettes(parts, labels).unsqueeze(1).expand_as(images)
    assert torch.equal(images[~inside], originals[~inside])
    assert (images[inside] != originals[inside]).float().mean() > 0.5
    # the same seed, the same pictures; another seed, others
    assert torch.equal(shapes.cue_conflict(40, seed=3)[0], images)
    assert not torch.equal(shapes.cue_conflict(40, seed=4)[0], images)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(dl.DreamError, match="whole number of pictures"):
            shapes.cue_conflict(bad)
    with pytest.raises(dl.DreamError, match="tiles must be a whole number from 1 to 8, got 0"):
        shapes.cue_conflict(4, tiles=0)
    with pytest.raises(dl.DreamError, match="outline must be True or False"):
        shapes.cue_conflict(4, outline="yes")


def test_an_outline_darkens_only_the_ring_just_outside_each_silhouette():
    plain, shape, _ = shapes.cue_conflict(10, seed=2, tiles=3)
    lined, _, _ = shapes.cue_conflict(10, seed=2, tiles=3, outline=True)
    _, labels, parts = shapes.make_batch(10, torch.Generator().manual_seed(2), parts=True)
    inside = shapes.silhouettes(parts, labels).unsqueeze(1).float()
    ring = (torch.nn.functional.max_pool2d(inside, 3, 1, 1) - inside).bool().expand_as(plain)
    assert torch.equal(lined[~ring], plain[~ring]) and ring.any()
    assert torch.allclose(lined[ring], torch.tensor(0.05))


def test_a_silhouette_is_the_pixels_of_the_pictures_own_object():
    _, labels, parts = shapes.make_batch(30, torch.Generator().manual_seed(7), parts=True)
    inside = shapes.silhouettes(parts, labels)
    assert inside.shape == parts.shape and inside.dtype == torch.bool
    assert (parts[inside] > 0).all() and inside.flatten(1).any(1).all()  # never background; every object seen
    for i, k in enumerate(labels.tolist()):  # exactly the pixels whose part belongs to the picture's class
        own = [shapes.PARTS.index(p) for p in shapes.CLASS_PARTS[shapes.CLASSES[k]]]
        assert torch.equal(inside[i], torch.isin(parts[i], torch.tensor(own)))


class _Answers(nn.Module):
    """A 'network' that answers given classes, one per picture, in order."""

    def __init__(self, answers: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("answers", answers)

    def forward(self, images):
        return nn.functional.one_hot(self.answers[: len(images)], len(shapes.CLASSES)).float()


def test_shape_bias_counts_shape_texture_and_other_answers():
    images, shape, texture = shapes.cue_conflict(20, seed=0)
    assert shapes.shape_bias(_Answers(shape), images, shape, texture)["shape bias"] == 1.0
    assert shapes.shape_bias(_Answers(texture), images, shape, texture)["shape bias"] == 0.0
    mixed = torch.where(torch.arange(20) < 15, shape, texture)
    other = (torch.maximum(shape, texture) + 1) % len(shapes.CLASSES)
    other = torch.where(other == torch.minimum(shape, texture), (other + 1) % len(shapes.CLASSES), other)
    mixed[:5] = other[:5]  # five answers name neither class
    got = shapes.shape_bias(_Answers(mixed), images, shape, texture)
    assert got["shape"] == pytest.approx(0.5) and got["texture"] == pytest.approx(0.25)
    assert got["neither"] == pytest.approx(0.25) and got["shape bias"] == pytest.approx(2 / 3)


def test_the_shipped_networks_name_a_cue_far_more_often_than_chance():
    """Both cues are readable: the shipped CNN names the shape or the texture class well above the 2 in 10 of a
    guess, so the bias measures a choice, not noise."""
    images, shape, texture = shapes.cue_conflict(200, seed=1)
    for model in (dl.load_model("shapes"), dl.load_model("shapes_vit")):
        got = shapes.shape_bias(model, images, shape, texture)
        assert got["shape"] + got["texture"] > 0.3, (model.name, got)
