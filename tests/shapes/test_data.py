"""The synthetic pattern generator (dreamlib/shapes/data.py, lesson 07)."""

import pytest
import torch

import dreamlib
from dreamlib import shapes
from dreamlib.shapes import data as patterns

EYES = shapes.CLASSES.index("eyes")


def test_the_first_six_classes_keep_their_indices_and_new_ones_follow():
    assert shapes.CLASSES[:6] == ("stripes", "checkers", "dots", "grid", "squares", "triangles")
    assert {"eyes", "faces"} <= set(shapes.CLASSES[6:]) and len(set(shapes.CLASSES)) == len(shapes.CLASSES)
    assert shapes.make_batch is patterns.make_batch and shapes.IMAGE_SIZE == patterns.IMAGE_SIZE


def test_generator_makes_balanced_distinct_classes():
    images, labels = shapes.make_batch(500, torch.Generator().manual_seed(3))
    assert images.shape == (500, 3, shapes.IMAGE_SIZE, shapes.IMAGE_SIZE) and 0 <= images.min() and images.max() <= 1
    counts = torch.bincount(labels, minlength=len(shapes.CLASSES))
    assert counts.min() > 25
    again, _ = shapes.make_batch(500, torch.Generator().manual_seed(3))
    assert torch.equal(images, again)
    uniform, _ = shapes.make_batch(500, torch.Generator().manual_seed(3), weights=[2.0] * len(shapes.CLASSES))
    assert torch.equal(images, uniform)  # equal weights are the default


def test_make_batch_draws_classes_with_the_given_shares():
    weights = [1.0] * len(shapes.CLASSES)
    weights[EYES] = 9.0  # eyes: 9 / 18 = 50%; every other class 1 / 18 = 5.6%
    weights[2] = 0  # no dots at all
    n = 4000
    _, labels = shapes.make_batch(n, torch.Generator().manual_seed(1), size=16, weights=weights)
    shares = torch.bincount(labels, minlength=len(shapes.CLASSES)).double() / n
    expected = torch.tensor(weights, dtype=torch.float64) / sum(weights)
    assert shares[2] == 0
    assert (shares - expected).abs().max() < 0.03, shares  # about 4 standard deviations of a 50% share
    _, balanced = shapes.make_batch(n, torch.Generator().manual_seed(1), size=16)
    assert (torch.bincount(balanced).double() / n - 1 / len(shapes.CLASSES)).abs().max() < 0.03


def test_a_weight_of_zero_removes_a_class_and_one_class_alone_is_allowed():
    only = [0.0] * len(shapes.CLASSES)
    only[EYES] = 1
    _, labels = shapes.make_batch(200, torch.Generator().manual_seed(0), size=16, weights=only)
    assert (labels == EYES).all()


@pytest.mark.parametrize(
    "weights, message",
    [
        ([1.0] * 3, "one number per class"),
        ([1.0] * (len(shapes.CLASSES) + 1), "one number per class"),
        ([-1.0] + [1.0] * (len(shapes.CLASSES) - 1), "non-negative"),
        ([float("nan")] + [1.0] * (len(shapes.CLASSES) - 1), "non-negative"),
        ([0] * len(shapes.CLASSES), "all zero"),
        (["many"] + [1.0] * (len(shapes.CLASSES) - 1), "numbers"),
        ("eyes", "sequence"),
        (3, "numbers"),
    ],
)
def test_bad_class_weights_are_one_line_errors(weights, message):
    with pytest.raises(dreamlib.DreamError, match=message) as info:
        shapes.make_batch(4, weights=weights)
    assert "\n" not in str(info.value)
    with pytest.raises(dreamlib.DreamError, match=message):
        shapes.train(steps=1, class_weights=weights, progress=False)


def test_every_class_draws_its_own_kind_of_picture():
    g = torch.Generator().manual_seed(0)
    drawings = {name: patterns._draw(name, 64, 48, g) for name in shapes.CLASSES}
    for name, d in drawings.items():
        used = set(d.unique().long().tolist())
        if name == "eyes":  # white almonds, coloured irises, dark pupils on the background; no foreground colour
            assert used == {patterns.BG, patterns.WHITE, patterns.IRIS, patterns.DARK}, name
        elif name == "faces":  # a head in the foreground colour with white eyes, irises, pupils and a dark mouth
            assert used == {patterns.BG, patterns.FG, patterns.WHITE, patterns.IRIS, patterns.DARK}, name
        else:  # two-colour patterns
            assert used == {patterns.BG, patterns.FG}, name
        covered = (d > 0).float().mean((1, 2))
        assert (covered > 0.02).all() and (covered < 0.98).all(), name  # every drawing shows something
    faces = drawings["faces"]
    assert ((faces == patterns.WHITE).flatten(1).any(1)).all() and ((faces == patterns.DARK).flatten(1).any(1)).all()
    # no two classes look alike: the balanced model tells every one of them apart
    per_class = shapes.class_accuracy(dreamlib.load_model("shapes", device="cpu"), n=600, seed=4242)
    assert min(per_class.values()) > 0.85, per_class
