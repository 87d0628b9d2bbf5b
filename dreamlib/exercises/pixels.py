"""Checkers for notebooks 01 (hooks), 02 (preprocessing) and 03 (gradient ascent)."""

from __future__ import annotations

from typing import Callable

import torch

from ..ascent import normalize_gradient
from ..hooks import capture_activations
from ..models import IMAGENET_MEAN, IMAGENET_STD
from ._shared import _call, _compare, _predicted, _probe_net, _report


def check_mean_activation(fn: Callable) -> bool:
    """Notebook 01: ``fn(model, image, layer) -> float``, the mean output of ``layer``, found with a hook."""
    net, image = _probe_net(), torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    for layer in ("1", "3"):
        got, problem = _call("mean_activation", fn, net, image, layer)
        if problem:
            return _report("mean_activation", problem)
        with capture_activations(net, layer) as acts, torch.no_grad():
            net(image)
        expected = acts[layer].mean().item()
        if sum(len(m._forward_hooks) for m in net.modules()):
            return _report("mean_activation", "left a hook attached — remove it (handle.remove()) when done")
        if not isinstance(got, (float, int, torch.Tensor)) or abs(float(got) - expected) > 1e-5 * max(1, abs(expected)):
            return _report("mean_activation", f"for layer {layer!r} gave {got}, expected {expected:.6g}")
    return _report("mean_activation", None)


def check_normalize(fn: Callable) -> bool:
    """Notebook 02: ``fn(images, mean, std)`` -> ImageNet-normalised images."""
    x = torch.rand(2, 3, 5, 7, generator=torch.Generator().manual_seed(0))
    mean, std = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    got, problem = _call("normalize", fn, x, mean, std)
    return _report(
        "normalize", problem or _compare(got, (x - mean) / std, "subtract the mean first, then divide by std")
    )


def check_denormalize(fn: Callable) -> bool:
    """Notebook 02: ``fn(normalised, mean, std)`` -> the [0, 1] images back."""
    x = torch.rand(2, 3, 5, 7, generator=torch.Generator().manual_seed(1))
    mean, std = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    got, problem = _call("denormalize", fn, (x - mean) / std, mean, std)
    return _report("denormalize", problem or _compare(got, x, "undo the steps in reverse order: multiply, then add"))


def check_normalize_gradient(fn: Callable) -> bool:
    """Notebook 03: ``fn(grad)`` -> each image's gradient divided by its mean absolute value; all-zero stays zero.

    The batch mixes ordinary scales (1e-3 .. 1e3) with a gradient of size 1e-14 (an untrained GoogLeNet's)
    and an all-zero one, so an additive epsilon or a division by zero is caught.
    """
    scales = torch.tensor([1e-3, 1.0, 1e3, 1e-14, 0.0]).view(5, 1, 1, 1)
    g = torch.randn(5, 3, 8, 8, generator=torch.Generator().manual_seed(3)) * scales
    got, problem = _call("normalize_gradient", fn, g.clone())
    if problem:
        return _report("normalize_gradient", problem)
    hint = "divide each image by the mean of its absolute values (mean over channels, height and width)"
    ordinary = _compare(
        got[:3] if isinstance(got, torch.Tensor) and got.shape == g.shape else got,
        normalize_gradient(g)[:3] if isinstance(got, torch.Tensor) and got.shape == g.shape else normalize_gradient(g),
        hint,
    )
    if ordinary:
        return _report("normalize_gradient", ordinary)
    if not torch.isfinite(got[4]).all() or got[4].abs().max() > 0:
        return _report(
            "normalize_gradient",
            "an all-zero gradient must stay all zero (no nan from 0 / 0): divide by torch.where(mean > 0, mean, 1)",
        )
    tiny = got[3].abs().mean().item()
    if abs(tiny - 1) > 1e-3:
        return _report(
            "normalize_gradient",
            f"a gradient of size 1e-14 came out with mean |g| = {tiny:.3g}, "
            "not 1: don't add a constant like 1e-8 to the divisor",
        )
    return _report("normalize_gradient", _compare(got, normalize_gradient(g), hint))


# Predict, then run: the learner writes a prediction down, runs the experiment, and the checker compares.


def check_hook_calls(prediction, measured) -> bool:
    """Notebook 01: how often two hooks fire, ``(first layer, last layer)``, during one ``dl.forward_until`` to a
    middle layer on a batch of 4 pictures: your prediction against what your run counted (``measured``).
    """
    measured = tuple(int(m) for m in measured)
    why = (
        "A hook runs each time its module runs, and a module runs once per forward pass, however many pictures "
        "the batch holds (the four go through together, as one tensor). dl.forward_until stops the pass right "
        "after the layer it needs, so the layers after it never run, and neither do their hooks."
    )
    return _predicted(
        "hook calls (first layer, last layer)",
        prediction,
        measured,
        why,
        same=lambda p, m: isinstance(p, (tuple, list)) and tuple(int(v) for v in p) == m,
    )


def check_png_round_trip(prediction, measured: float) -> bool:
    """Notebook 02: the largest change a PNG save and load makes to any pixel value, in grey levels (1/255): your
    prediction against your run's (``measured``). Within 0.1 of a level counts as right.
    """
    measured = round(float(measured), 2)
    why = (
        "A PNG keeps every pixel exactly, but as a whole number from 0 to 255 per channel: saving rounds each value "
        "to the nearest of the 256 levels, so a value between two levels moves by at most half a level, and one "
        "already on a level (a photo as it was loaded) comes back exactly."
    )
    return _predicted(
        "largest change after a PNG round trip, in grey levels",
        prediction,
        measured,
        why,
        same=lambda p, m: not isinstance(p, bool) and abs(float(p) - m) <= 0.1,
    )


JITTER_ANSWERS = {"jitter": "jitter", "with jitter": "jitter", "on": "jitter", "no jitter": "no jitter"}
JITTER_ANSWERS |= {"without jitter": "no jitter", "off": "no jitter", "jitter=0": "no jitter", "jitter=32": "jitter"}


def check_jitter(prediction, measured: str) -> bool:
    """Notebook 03: which of two ascent runs changes the picture more, ``"jitter"`` (jitter=32) or ``"no jitter"``
    (jitter=0): your prediction against your run (``measured``: the one with the larger mean pixel change).
    """
    if measured == "no jitter":
        why = (
            "Every normalised step moves the average pixel by the same lr, so the total depends on whether the steps "
            "agree. Without jitter the picture sits at the same place on the network's grid of strides at every "
            "step, so the steps push the same pixels the same way and add up; with jitter each step sees the picture "
            "shifted, and the part of the gradient that comes from the grid, not from the picture, points elsewhere "
            "each time and partly cancels. Jitter gives up some of the objective so that the dream follows the "
            "picture, not the network's grid."
        )
    else:
        why = (
            "In this run the jittered steps added up to the larger change: every normalised step moves the average "
            "pixel by the same lr, so what decides the total is how much the steps agree with each other."
        )
    return _predicted(
        "which run changes the picture more",
        prediction,
        measured,
        why,
        same=lambda p, m: JITTER_ANSWERS.get(p.strip().lower()) == m,
    )
