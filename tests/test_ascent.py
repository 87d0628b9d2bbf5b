"""Gradient ascent on the pixels: the normalised, jittered step (dreamlib/ascent.py, lesson 03)."""

import random

import pytest
import torch

import dreamlib
from dreamlib import dream


def _quiet(**kw):
    return dict(progress=False, **kw)


def test_normalize_gradient_sets_mean_absolute_value_to_one():
    g = torch.randn(2, 3, 8, 8) * torch.tensor([1e-3, 1e3]).view(2, 1, 1, 1)
    n = dreamlib.normalize_gradient(g)
    torch.testing.assert_close(n.abs().mean(dim=(1, 2, 3)), torch.ones(2), rtol=1e-4, atol=0)
    assert torch.equal(torch.sign(n), torch.sign(g))


def test_normalize_gradient_is_scale_free():
    """No additive epsilon: a gradient 1e-14 times smaller (a random-weight GoogLeNet's size) normalises the same."""
    torch.manual_seed(0)
    g = torch.randn(2, 3, 8, 8)
    torch.testing.assert_close(dreamlib.normalize_gradient(g * 1e-14), dreamlib.normalize_gradient(g))
    torch.testing.assert_close(dreamlib.normalize_gradient(g * 1e20), dreamlib.normalize_gradient(g))
    torch.testing.assert_close(
        dreamlib.normalize_gradient(g.double() * 1e-200), dreamlib.normalize_gradient(g).double()
    )


def test_normalize_gradient_leaves_an_all_zero_gradient_at_zero_per_image():
    zero = torch.zeros(2, 3, 8, 8)
    assert torch.equal(dreamlib.normalize_gradient(zero), zero)
    torch.manual_seed(0)
    mixed = torch.stack([torch.zeros(3, 8, 8), 1e-14 * torch.randn(3, 8, 8)])
    n = dreamlib.normalize_gradient(mixed)
    assert torch.isfinite(n).all()
    assert torch.equal(n[0], torch.zeros(3, 8, 8))
    torch.testing.assert_close(n[1].abs().mean(), torch.tensor(1.0), rtol=1e-5, atol=0)
    torch.testing.assert_close(n[1:], dreamlib.normalize_gradient(mixed[1:] * 1e14), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=str)
def test_normalize_gradient_in_half_precision_does_not_underflow(dtype):
    torch.manual_seed(0)
    g = (torch.randn(2, 3, 16, 16) * 1e-6).to(dtype)  # fp16: ~1e-6 is subnormal, and 3*16*16 of them overflow a sum
    n = dreamlib.normalize_gradient(g)
    assert n.dtype == dtype and torch.isfinite(n).all()
    torch.testing.assert_close(n.float().abs().mean(dim=(1, 2, 3)), torch.ones(2), rtol=1e-2, atol=0)


def test_a_network_with_tiny_gradients_dreams_the_same_image(tiny, image):
    """Scale a layer's output by 1e-14 (its weights and bias): the normalised step, and so the dream, do not change."""
    import copy

    scaled = copy.deepcopy(tiny)
    with torch.no_grad():
        scaled[2].weight.mul_(1e-14)
        scaled[2].bias.mul_(1e-14)
    kw = dict(octaves=2, steps=4, **_quiet(seed=3))
    reference = dream(tiny, image, "3", **kw)
    tiny_grads = dream(scaled, image, "3", **kw)
    assert (reference - image).abs().mean() > 1e-3  # the reference dream did change the image...
    torch.testing.assert_close(tiny_grads, reference, atol=1e-4, rtol=0)  # ...and so did the scaled one, identically


def test_ascent_step_rolls_back_its_jitter(tiny, image):
    """With jitter, the gradient is rolled back: the update lines up with the unjittered one away from borders."""
    objective = dreamlib.layer_mean("0")
    rng = random.Random(3)
    moved, _ = dreamlib.ascent_step(tiny, image, objective, lr=0.01, jitter=4, rng=rng)
    still, _ = dreamlib.ascent_step(tiny, image, objective, lr=0.01, jitter=0)
    inner = (slice(None), slice(None), slice(6, -6), slice(6, -6))
    torch.testing.assert_close((moved - image)[inner], (still - image)[inner], atol=1e-4, rtol=1e-3)
