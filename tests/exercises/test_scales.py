"""The checkers of lessons 04-05 (dreamlib/exercises/scales.py): octaves, receptive fields."""

import importlib.util
import random

import pytest
import torch
from torch import nn

import dreamlib as dl
from dreamlib import exercises
from dreamlib.exercises import scales
from tests.helpers import ROOT

SOLUTIONS = ROOT / "notebooks" / "solutions" / "solutions.py"

# Lesson 04: the octave loop with detail re-injection


def test_octave_reference_is_what_dream_does():
    model, objective = dl.as_dream_model(exercises._shared._probe_net()), dl.layer_mean("3")
    image = torch.rand(1, 3, 24, 32, generator=torch.Generator().manual_seed(0))
    sizes = dl.octave_sizes(24, 32, 3, 1.4)
    ours = scales._octave_loop(model, image, objective, sizes, 3, random.Random(0))
    packaged = dl.dream(
        model,
        image,
        objective=objective,
        octaves=3,
        octave_scale=1.4,
        steps=3,
        seed=0,
        progress=False,
    )
    assert torch.equal(ours, packaged)


@pytest.mark.parametrize("what, layers", scales.RECEPTIVE_STACKS)
def test_receptive_field_formula_matches_a_real_network(what, layers):
    """Build the stack with all-ones weights; one output unit's gradient covers exactly its receptive field."""
    expected = dl.receptive_field_size(layers)
    net = nn.Sequential(*[nn.Conv2d(1, 1, k, s, bias=False) for k, s in layers])
    for conv in net:
        nn.init.ones_(conv.weight)
    x = torch.rand(1, 1, 2 * expected + 8, 2 * expected + 8, requires_grad=True)
    out = net(x)
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    rows, cols = x.grad[0, 0].ne(0).any(1).nonzero(), x.grad[0, 0].ne(0).any(0).nonzero()
    assert rows.max() - rows.min() + 1 == expected == cols.max() - cols.min() + 1


def test_inception_stem_receptive_field_is_31_pixels():
    assert dl.receptive_field_size(scales.INCEPTION_STEM) == 31


def _octaves(carry="detail", order=1, clamp=True, lr=0.01, result="image"):
    """The octave loop written the ways learners get it wrong."""

    def octave_dream(model, image, objective, sizes, steps, rng):
        detail, x = torch.zeros_like(dl.resize(image, sizes[0])), None
        for size in sizes[::order]:
            plain = dl.resize(image, size)
            if carry == "nothing":
                x = plain
            elif carry == "resized" and x is not None:
                x = dl.resize(x, size)
            else:
                x = plain + dl.resize(detail, size)
                x = x.clamp(0, 1) if clamp else x
            for _ in range(steps):
                x, score = dl.ascent_step(model, x, objective, lr=lr, jitter=32, rng=rng)
            detail = x if carry == "image" else x - plain
        return (x, score) if result == "pair" else x

    return octave_dream


def _last_octave_only(model, image, objective, sizes, steps, rng):
    x = dl.resize(image, sizes[-1])
    for _ in range(steps):
        x, _ = dl.ascent_step(model, x, objective, rng=rng)
    return x


def _octaves_in_place(model, image, objective, sizes, steps, rng):
    image.mul_(0.5)
    return _octaves()(model, image, objective, sizes, steps, rng)


# Lesson 05: receptive field by hand


def _rf(start=1, late_jump=False, strides=True):
    def receptive_field(layers):
        r, j = start, 1
        for k, s in layers:
            if late_jump:
                j *= s if strides else 1
                r += (k - 1) * j
            else:
                r += (k - 1) * j
                j *= s if strides else 1
        return r

    return receptive_field


@pytest.mark.parametrize(
    "checker, wrong, says",
    [
        (
            "check_octave_sizes",
            lambda h, w, n, s: [(round(h / s**i), round(w / s**i)) for i in range(n)],
            "smallest first",
        ),
        ("check_activation_shapes", lambda m, x, layers: {k: (1,) for k in layers}, "expected"),
        ("check_octave_dream", _octaves(carry="nothing"), "no detail was carried up"),
        ("check_octave_dream", _last_octave_only, "no detail was carried up"),
        ("check_octave_dream", _octaves(carry="image"), "carried the dreamed image up instead of the detail"),
        ("check_octave_dream", _octaves(carry="resized"), "carried the dreamed image up instead of the detail"),
        ("check_octave_dream", _octaves(order=-1), "largest first"),
        ("check_octave_dream", _octaves(clamp=False), "clamp the start of each octave"),
        ("check_octave_dream", _octaves(lr=0.02), "values differ from the reference"),
        ("check_octave_dream", _octaves(result="pair"), "return only the final image"),
        ("check_octave_dream", _octaves_in_place, "in place"),
        ("check_receptive_field", _rf(late_jump=True), "multiplied the jump by the stride too early"),
        ("check_receptive_field", _rf(strides=False), "the strides are missing"),
        (
            "check_receptive_field",
            lambda layers: (
                sum(k for k, _ in layers) - len(layers) + 1 if len(layers) < 3 else sum(k for k, _ in layers)
            ),
            "the strides are missing",
        ),
        ("check_receptive_field", _rf(start=0), "off by one"),
        ("check_receptive_field", lambda layers: sum(k - 1 for k, _ in layers), "off by one"),
        ("check_receptive_field", lambda layers: f"{len(layers)} px", "expected a number"),
    ],
)
def test_mistakes_get_their_hint(checker, wrong, says, capsys):
    assert getattr(exercises, checker)(wrong) is False
    out = capsys.readouterr().out
    assert "❌" in out and says in out, out


# Predict, then run


@pytest.mark.parametrize(
    "checker, right, wrong, measured, says",
    [
        ("check_octave_count", 9, 8, 9, "plus one"),
        ("check_octave_count", 4.0, 5, 4, "min_size"),
        ("check_whole_picture_layer", "None", "conv6", "none", "made of parts"),
        ("check_whole_picture_layer", None, "Mixed_5b", "none", "smaller than the picture"),
        ("check_whole_picture_layer", "mixed_6c", "Mixed_7c", "Mixed_6c", "From Mixed_6c on"),
    ],
)
def test_predictions_are_judged_and_explained(checker, right, wrong, measured, says, capsys):
    check = getattr(exercises, checker)
    assert check(right, measured) is True
    assert "✅" in capsys.readouterr().out
    assert check(wrong, measured) is False
    out = capsys.readouterr().out
    assert "❌" in out and says in out, out
    assert check(..., measured) is False
    assert "no prediction yet" in capsys.readouterr().out


@pytest.mark.parametrize("height, width, min_size", [(256, 384, 16), (133, 200, 16), (256, 384, 75), (133, 200, 75)])
def test_the_octave_count_solution_is_what_octave_sizes_keeps(height, width, min_size):

    spec = importlib.util.spec_from_file_location("solutions", SOLUTIONS)
    solutions = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(solutions)
    with pytest.warns(dl.DreamWarning):
        kept = dl.octave_sizes(height, width, octaves=50, octave_scale=1.4, min_size=min_size)
    assert solutions.octave_count(height, width, min_size) == len(kept)


def test_no_shapes_unit_sees_the_whole_coffee_photo():
    """Lesson 05's prediction on the shipped model, at full and quick size: its deepest block sees 65 px."""
    model = dl.load_model("shapes")
    assert dl.receptive_field(model, model.depth_layers[-1]) == 65
    for size in (320, 160):
        assert dl.sample_image("coffee", max_size=size).shape[2] > 65
