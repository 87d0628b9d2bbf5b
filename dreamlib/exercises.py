"""Checks for the notebook exercises: run your function against the reference and say what is wrong.

Each ``check_*`` calls the learner's function on random inputs, compares it with
dreamlib's own implementation, prints a plain-words verdict and returns True or
False. A function that still raises ``NotImplementedError`` is reported as "not
done yet" (so the notebooks still run top to bottom). Instructors' solutions
live in ``notebooks/solutions/``; CI checks them with these same functions.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from . import ascent, octaves
from .hooks import capture_activations
from .models import IMAGENET_MEAN, IMAGENET_STD


def _report(name: str, problem: str | None) -> bool:
    print(f"✅ {name}: correct" if problem is None else f"❌ {name}: {problem}")
    return problem is None


def _call(name: str, fn: Callable, *args):
    try:
        return fn(*args), None
    except NotImplementedError:
        return None, "not done yet — replace the `raise NotImplementedError` with your code"
    except Exception as exc:  # a learner's bug: say what happened, don't crash the notebook
        return None, f"raised {type(exc).__name__}: {exc}"


def _compare(got, expected: torch.Tensor, hint: str) -> str | None:
    if not isinstance(got, torch.Tensor):
        return f"returned a {type(got).__name__}, expected a tensor"
    if got.shape != expected.shape:
        return f"returned shape {tuple(got.shape)}, expected {tuple(expected.shape)}"
    if not torch.allclose(got.float(), expected, atol=1e-5, rtol=1e-4):
        return f"values differ from the reference (largest gap {(got.float() - expected).abs().max():.3g}); {hint}"
    return None


def _probe_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 6, 3, stride=2), nn.ReLU()).eval()


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
    return _report("normalize", problem or _compare(got, (x - mean) / std, "subtract the mean first, then divide by std"))


def check_denormalize(fn: Callable) -> bool:
    """Notebook 02: ``fn(normalised, mean, std)`` -> the [0, 1] images back."""
    x = torch.rand(2, 3, 5, 7)
    mean, std = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    got, problem = _call("denormalize", fn, (x - mean) / std, mean, std)
    return _report("denormalize", problem or _compare(got, x, "undo the steps in reverse order: multiply, then add"))


def check_normalize_gradient(fn: Callable) -> bool:
    """Notebook 03: ``fn(grad)`` -> the gradient divided by its mean absolute value (per image)."""
    g = torch.randn(3, 3, 8, 8) * torch.tensor([1e-3, 1.0, 1e3]).view(3, 1, 1, 1)
    got, problem = _call("normalize_gradient", fn, g)
    hint = "divide each image by the mean of its absolute values (mean over channels, height and width)"
    return _report("normalize_gradient", problem or _compare(got, ascent.normalize_gradient(g), hint))


def check_octave_sizes(fn: Callable) -> bool:
    """Notebook 04: ``fn(height, width, octaves, scale)`` -> [(h, w), ...] smallest first."""
    for args in ((300, 400, 4, 1.4), (512, 384, 3, 1.5), (100, 100, 1, 2.0)):
        got, problem = _call("octave_sizes", fn, *args)
        if problem:
            return _report("octave_sizes", problem)
        expected = octaves.octave_sizes(*args)
        if [tuple(s) for s in (got or [])] != expected:
            hint = " (smallest first?)" if got and [tuple(s) for s in got][::-1] == expected else ""
            return _report("octave_sizes", f"for {args} gave {got}, expected {expected}{hint}")
    return _report("octave_sizes", None)


def check_activation_shapes(fn: Callable) -> bool:
    """Notebook 05: ``fn(model, image, layers)`` -> {layer: tuple(shape)} for each layer."""
    net, image = _probe_net(), torch.rand(1, 3, 20, 24)
    got, problem = _call("activation_shapes", fn, net, image, ["1", "3"])
    if problem:
        return _report("activation_shapes", problem)
    expected = {"1": (1, 4, 20, 24), "3": (1, 6, 9, 11)}
    got = {k: tuple(v) for k, v in dict(got or {}).items()}
    return _report("activation_shapes", None if got == expected else f"gave {got}, expected {expected}")


def check_top_k(fn: Callable) -> bool:
    """Notebook 06: ``fn(logits, categories, k)`` -> [(name, probability), ...] best first."""
    torch.manual_seed(1)
    logits, cats = torch.randn(1, 10), [f"class{i}" for i in range(10)]
    got, problem = _call("top_k", fn, logits, cats, 3)
    if problem:
        return _report("top_k", problem)
    probs = logits.softmax(1)[0]
    top = probs.topk(3)
    expected = [(cats[i], p) for p, i in zip(top.values.tolist(), top.indices.tolist())]
    try:
        names_ok = [n for n, _ in got] == [n for n, _ in expected]
        probs_ok = all(abs(float(p) - q) < 1e-4 for (_, p), (_, q) in zip(got, expected)) and len(got) == 3
    except (TypeError, ValueError):
        return _report("top_k", f"should return a list of (name, probability) pairs, gave {got!r}")
    if not names_ok:
        return _report("top_k", f"names {[n for n, _ in got]} should be {[n for n, _ in expected]} (best first)")
    if not probs_ok:
        return _report("top_k", "the names are right but the probabilities are not: apply softmax to the logits")
    return _report("top_k", None)
