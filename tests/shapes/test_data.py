"""The synthetic world of objects (dreamlib/shapes/data.py and objects.py, lesson 09)."""

import pytest
import torch

import dreamlib
from dreamlib import shapes
from dreamlib.errors import DreamError
from dreamlib.shapes import CLASS_PARTS, CLASSES, PARTS, make_batch, objects
from dreamlib.shapes import data as patterns

EYES = shapes.CLASSES.index("eyes")
OBJECTS = [k for k, name in enumerate(shapes.CLASSES) if name != "stripes"]


def test_most_classes_are_things_with_a_shape_and_dogs_are_among_them():
    assert shapes.CLASSES[:3] == ("eyes", "faces", "dogs") and len(set(shapes.CLASSES)) == len(shapes.CLASSES) == 10
    assert len(OBJECTS) == 9 and set(objects.DRAW) == set(shapes.CLASSES)
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
    weights[2] = 0  # no dogs at all
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


def _colour_and_spectrum(images: torch.Tensor) -> torch.Tensor:
    """Features with no shape in them: colour histograms, mean and std, and the radial power spectrum."""
    n = len(images)
    bins = (images.clamp(0, 0.999) * 8).long()
    per_channel = torch.stack(
        [torch.nn.functional.one_hot(bins[:, c].flatten(1), 8).float().mean(1) for c in range(3)], 1
    )
    joint = (bins[:, 0] // 2) * 16 + (bins[:, 1] // 2) * 4 + bins[:, 2] // 2
    joint = torch.nn.functional.one_hot(joint.flatten(1), 64).float().mean(1)
    power = torch.fft.fft2(images.mean(1) - images.mean((1, 2, 3)).view(n, 1, 1)).abs().pow(2)
    fy, fx = torch.meshgrid(torch.fft.fftfreq(48), torch.fft.fftfreq(48), indexing="ij")
    ring = ((fy**2 + fx**2).sqrt() * 32).long().clamp(max=15).flatten()
    radial = torch.zeros(n, 16).index_add_(1, ring, power.flatten(1)) / torch.bincount(ring, minlength=16)
    stats = torch.cat([images.mean((2, 3)), images.std((2, 3))], 1)
    return torch.cat([per_channel.flatten(1), joint, stats, radial.clamp(min=1e-8).log()], 1)


def _linear_probe(train, test, classes) -> torch.Tensor:
    """The classes a linear classifier of :func:`_colour_and_spectrum` predicts for the test images."""
    (x, y), (xt, _) = [(_colour_and_spectrum(im), lab) for im, lab in (train, test)]
    mean, std = x.mean(0), x.std(0).clamp(min=1e-6)
    x, xt = (x - mean) / std, (xt - mean) / std
    torch.manual_seed(0)
    probe = torch.nn.Linear(x.shape[1], classes)
    opt = torch.optim.Adam(probe.parameters(), lr=0.01, weight_decay=1e-4)
    for _ in range(400):
        loss = torch.nn.functional.cross_entropy(probe(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return probe(xt).argmax(1)


def test_colour_and_spectrum_alone_cannot_tell_the_objects_apart():
    """Issue 20's shortcut check: a linear probe with no access to shape recognises at most 40% of the objects.

    The same probe finds the stripes texture (its power spectrum gives it away), so it is not simply too weak.
    """
    train, test = [shapes.make_batch(n, torch.Generator().manual_seed(s)) for n, s in ((3000, 1), (1000, 2))]
    right = _linear_probe(train, test, len(shapes.CLASSES)) == test[1]
    is_object = torch.isin(test[1], torch.tensor(OBJECTS))
    assert 1 / len(OBJECTS) < right[is_object].float().mean() <= 0.40, right[is_object].float().mean()
    assert right[~is_object].float().mean() >= 0.7, right[~is_object].float().mean()


def test_shipped_model_tells_every_class_apart():
    per_class = shapes.class_accuracy(dreamlib.load_model("shapes", device="cpu"), n=600, seed=4242)
    assert min(per_class.values()) > 0.85, per_class


@pytest.mark.parametrize("size, weights", [(48, None), (64, None), (48, [0, 0, 1, 0, 0, 0, 0, 0, 0, 1])])
def test_parts_are_the_ground_truth_of_the_same_pictures(size, weights):
    plain = make_batch(30, torch.Generator().manual_seed(4), size=size, weights=weights)
    images, labels, parts = make_batch(30, torch.Generator().manual_seed(4), size=size, weights=weights, parts=True)
    assert torch.equal(plain[0], images) and torch.equal(plain[1], labels)
    assert parts.shape == (30, size, size) and parts.dtype == torch.long
    assert 0 <= int(parts.min()) and int(parts.max()) < len(PARTS)
    for label, part in zip(labels, parts):  # the main object's parts are in every picture
        own = {PARTS.index(p) for p in CLASS_PARTS[CLASSES[label]]}
        assert own & set(part.unique().tolist())
    # labelled pixels differ from the background around them: where a part is, something was painted
    assert (parts > 0).float().mean() > 0.05


def test_parts_must_be_a_switch():
    with pytest.raises(DreamError, match="parts must be True or False"):
        make_batch(2, parts="yes")
    empty = make_batch(0, parts=True)
    assert [tuple(t.shape) for t in empty] == [(0, 3, 48, 48), (0,), (0, 48, 48)]
