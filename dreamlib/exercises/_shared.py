"""Helpers shared by every exercise checker: the verdict line, safe calls and small known networks."""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Callable

import torch
from torch import nn

NOT_DONE = "not done yet — replace the `raise NotImplementedError` with your code"


def _report(name: str, problem: str | None) -> bool:
    """Print one plain-words verdict (✅ or ❌) and return whether it passed."""
    print(f"✅ {name}: correct" if problem is None else f"❌ {name}: {problem}")
    return problem is None


NO_PREDICTION = "no prediction yet — write it down (replace the `...`) before you run the experiment"


def _predicted(name: str, prediction, measured, why: str, same: Callable | None = None) -> bool:
    """The verdict of a predict-then-run exercise: the learner's ``prediction`` against what their own run
    ``measured``, with ``why`` (one plain sentence) either way. ``...`` (the placeholder) is "not done yet", so the
    lessons still run top to bottom. ``same(prediction, measured)`` compares (default ``==``)."""
    if prediction is Ellipsis:
        return _report(name, NO_PREDICTION)
    try:
        right = bool(same(prediction, measured)) if same is not None else prediction == measured
    except Exception as exc:  # a prediction of the wrong kind: say so, don't crash the notebook
        return _report(name, f"could not compare your prediction {prediction!r} ({type(exc).__name__}: {exc})")
    if right:
        print(f"✅ {name}: you predicted {prediction!r} and the run gave {measured!r}. {why}")
        return True
    return _report(name, f"you predicted {prediction!r}, the run gave {measured!r}. {why}")


@contextmanager
def _rng_kept(seed: int | None = None) -> Iterator[None]:
    """Run with the learner's global generators (torch's on the CPU and Python's ``random``) given back afterwards
    exactly as they were; ``seed`` seeds torch's inside (a network built there gets the same weights every call)."""
    python_state = random.getstate()
    try:
        with torch.random.fork_rng(devices=[]):
            if seed is not None:
                torch.manual_seed(seed)
            yield
    finally:
        random.setstate(python_state)


def _same_word(prediction: str, measured: str) -> bool:
    """A one-word prediction against what the run measured, ignoring case and surrounding spaces."""
    return prediction.strip().lower() == measured


def _call(name: str, fn: Callable, *args):
    """``(fn(*args), None)``, or ``(None, what went wrong)``: a learner's bug never crashes the notebook, and the
    random numbers their function draws leave the notebook's own generators as they were."""
    try:
        with _rng_kept():
            return fn(*args), None
    except NotImplementedError:
        return None, NOT_DONE
    except Exception as exc:  # a learner's bug: say what happened, don't crash the notebook
        return None, f"raised {type(exc).__name__}: {exc}"


def _close(a: torch.Tensor, b: torch.Tensor, atol: float = 1e-5) -> bool:
    return a.shape == b.shape and torch.allclose(a.float(), b.float(), atol=atol, rtol=1e-4)


def _compare(got, expected: torch.Tensor, hint: str) -> str | None:
    if not isinstance(got, torch.Tensor):
        return f"returned a {type(got).__name__}, expected a tensor"
    if got.shape != expected.shape:
        return f"returned shape {tuple(got.shape)}, expected {tuple(expected.shape)}"
    if not torch.allclose(got.float(), expected, atol=1e-5, rtol=1e-4):
        return f"values differ from the reference (largest gap {(got.float() - expected).abs().max():.3g}); {hint}"
    return None


def _probe_net() -> nn.Module:
    """Two small random conv layers, named "1" and "3" (after their ReLUs); the same weights every call."""
    with _rng_kept(seed=0):
        return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 6, 3, stride=2), nn.ReLU()).eval()


SOBEL = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


def _edge_net() -> nn.Module:
    """Layer "edges": channel 0 detects vertical edges, channel 1 horizontal ones (fixed Sobel filters, ReLU).

    Nothing is learned, so we know by construction what each channel responds to.
    """
    with _rng_kept():  # its random initial weights are replaced below
        conv = nn.Conv2d(3, 2, 3, padding=1, bias=False)
    with torch.no_grad():
        conv.weight[0] = SOBEL.expand(3, 3, 3) / 3.0
        conv.weight[1] = SOBEL.T.expand(3, 3, 3) / 3.0
    return nn.Sequential(OrderedDict(edges=nn.Sequential(conv, nn.ReLU()))).eval()


def _tiny_classifier(classes: int = 3) -> nn.Module:
    """A small random classifier (conv, ReLU, pooling, linear); the same weights every call."""
    with _rng_kept(seed=0):
        return nn.Sequential(
            nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, classes)
        )


def _params(net: nn.Module) -> list[torch.Tensor]:
    """Detached copies of a network's parameters (to compare before and after a step)."""
    return [p.detach().clone() for p in net.parameters()]
