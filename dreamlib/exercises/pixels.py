"""Checkers for notebooks 01 (hooks), 02 (preprocessing) and 03 (gradient ascent)."""

from __future__ import annotations

from typing import Callable

import torch

from ..ascent import normalize_gradient
from ..hooks import capture_activations
from ..models import IMAGENET_MEAN, IMAGENET_STD
from ._shared import _call, _compare, _probe_net, _report


def check_mean_activation(fn: Callable) -> bool:
    """Notebook 01: ``fn(model, image, layer) -> float``, the mean output of ``layer``, found with a hook."""
    net, image = _probe_net(), torch.rand(2, 3, 16, 16)
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
    x = torch.rand(2, 3, 5, 7)
    mean, std = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    got, problem = _call("normalize", fn, x, mean, std)
    return _report(
        "normalize", problem or _compare(got, (x - mean) / std, "subtract the mean first, then divide by std")
    )


def check_denormalize(fn: Callable) -> bool:
    """Notebook 02: ``fn(normalised, mean, std)`` -> the [0, 1] images back."""
    x = torch.rand(2, 3, 5, 7)
    mean, std = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    got, problem = _call("denormalize", fn, (x - mean) / std, mean, std)
    return _report("denormalize", problem or _compare(got, x, "undo the steps in reverse order: multiply, then add"))


def check_normalize_gradient(fn: Callable) -> bool:
    """Notebook 03: ``fn(grad)`` -> each image's gradient divided by its mean absolute value; all-zero stays zero.

    The batch mixes ordinary scales (1e-3 .. 1e3) with a gradient of size 1e-14 (an untrained GoogLeNet's)
    and an all-zero one, so an additive epsilon or a division by zero is caught.
    """
    torch.manual_seed(3)
    g = torch.randn(5, 3, 8, 8) * torch.tensor([1e-3, 1.0, 1e3, 1e-14, 0.0]).view(5, 1, 1, 1)
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
