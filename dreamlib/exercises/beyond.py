"""Checkers for notebook 06 (beyond: objectives, neurons)."""

from __future__ import annotations

import functools
from typing import Callable

import torch

from ..ascent import ascent_step
from ..hooks import forward_until
from ..models import as_dream_model
from ..objectives import Objective
from ._shared import _call, _close, _edge_net, _predicted, _report


def _contrast(x: torch.Tensor, index: int) -> torch.Tensor:
    """Per image: mean of channel ``index`` minus the mean of all channels."""
    return x[:, index].flatten(1).mean(1) - x.flatten(1).mean(1)


def _share(model, image: torch.Tensor, index: int) -> float:
    """Channel ``index``'s share of the "edges" layer's total activation."""
    with torch.no_grad():
        acts = forward_until(model, image, "edges")["edges"]
    return (acts[:, index].mean() / acts.mean()).item()


def check_contrast(fn: Callable) -> bool:  # noqa: C901 (each branch names one learner mistake)
    """Notebook 06: ``fn(layer, index)`` -> a ``dl.Objective``: channel ``index``'s mean minus the layer's mean.

    Checked: it is an Objective that names ``layer``; on a batch of 2 it returns one
    score per image matching the reference; and gradient ascent with it on a net of
    two fixed Sobel edge detectors (vertical, horizontal) raises that channel's share.
    """
    name = "contrast"
    layer, index = "edges", 1
    objective, problem = _call(name, fn, layer, index)
    if problem:
        return _report(name, problem)
    wrap = '`dl.Objective(score, [layer], f"contrast({layer}, {index})")`'
    if isinstance(objective, torch.Tensor):
        return _report(
            name,
            f"returned a tensor, but an objective is a recipe, not a number: define "
            f"`score(acts)` inside and return {wrap}",
        )
    if not isinstance(objective, Objective):
        kind = "a plain function" if callable(objective) else f"a {type(objective).__name__}"
        return _report(name, f"returned {kind}, expected a dl.Objective: return {wrap}")
    if layer not in objective.layers:
        return _report(
            name,
            f"its layers are {objective.layers}, but it reads {layer!r}: list the layer it needs "
            "(the forward pass stops right after the listed layers)",
        )
    x = torch.randn(2, 5, 4, 6, generator=torch.Generator().manual_seed(0)) + torch.arange(5.0).view(1, 5, 1, 1)
    score, problem = _call(name, objective, {layer: x})
    if problem:
        return _report(name, problem)
    expected = _contrast(x, index)
    if not isinstance(score, torch.Tensor):
        return _report(
            name,
            f"the score is a {type(score).__name__}, expected a tensor (one score per image) — "
            "no `.item()`: dreaming needs its gradient",
        )
    if score.shape == ():
        return _report(
            name,
            "gave one number for a batch of 2 images: you averaged over the batch too. "
            "Keep one score per image — average over channels, height and width only "
            "(e.g. `.flatten(1).mean(1)`)",
        )
    if score.shape != expected.shape:
        return _report(
            name, f"returned shape {tuple(score.shape)} for a batch of 2, expected (2,): one score per image"
        )
    if not _close(score, expected):
        if _close(score, x[:, index].flatten(1).mean(1)):
            hint = "that is the channel's mean alone: subtract the mean of the whole layer (all channels)"
        elif _close(score, -expected):
            hint = "the sign is reversed: channel mean minus layer mean, not the other way round"
        else:
            hint = (
                "per image: the mean of channel `index` over height and width, minus the mean of the whole "
                "layer over channels, height and width"
            )
        gap = (score.float() - expected).abs().max()
        return _report(name, f"values differ from the reference (largest gap {gap:.3g}); {hint}")
    model = as_dream_model(_edge_net())
    start = torch.rand(1, 3, 24, 24, generator=torch.Generator().manual_seed(1))
    for idx, edge in ((0, "vertical"), (1, "horizontal")):
        image = start.clone()
        objective, problem = _call(name, fn, "edges", idx)
        for _ in range(8):
            if problem:
                break
            stepped, problem = _call(name, functools.partial(ascent_step, lr=0.02, jitter=0), model, image, objective)
            image = image if problem else stepped[0]
        if problem:
            return _report(
                name,
                f"{problem} — during gradient ascent. Keep the score a tensor computed from "
                "the activations: no `.item()`, `.detach()`, `.numpy()` or `torch.no_grad()`",
            )
        if _share(model, image, idx) <= _share(model, start, idx):
            return _report(
                name,
                f"gradient ascent with contrast('edges', {idx}) did not raise the share of "
                f"channel {idx} ({edge} edges) — the score must grow with that channel",
            )
    return _report(name, None)


def check_neuron_patch(prediction, measured: int) -> bool:
    """Notebook 06: how many pixels wide the patch is that a centre-neuron dream with ``jitter=0`` and one octave
    changes: your prediction against your run's (``measured``). Within 1 pixel counts as right.
    """
    why = (
        "With no jitter and one octave the unit looks at the same patch of the picture at every step. Only the "
        "pixels inside its receptive field can change what it computes, so only they get a gradient: the patch "
        "that changes is the receptive field, which dl.receptive_field measures (lesson 05)."
    )
    return _predicted(
        "width of the changed patch, in pixels",
        prediction,
        int(measured),
        why,
        same=lambda p, m: not isinstance(p, bool) and abs(float(p) - m) <= 1,
    )
