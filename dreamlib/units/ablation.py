"""Unit ablation: switch units off and watch what the network can no longer do.

Bau et al. ("Understanding the role of individual units in a deep neural network", PNAS 2020) remove a unit by
setting its activation to zero everywhere and measure how much each class's accuracy drops: if a label says what
a unit is for, switching off a unit that dissection labels "dog nose" should cost the dogs more than the cars.
:func:`ablate` switches units off for the duration of a ``with`` block (a forward hook, always removed: the
caller's model is unchanged afterwards); :func:`accuracy_drop` measures the per-class accuracy before and after.
The units are a layer's channels or a sparse autoencoder's features (:mod:`dreamlib.sae`): a feature is switched
off by subtracting its part of the layer's activation, ``activation(feature) * decoder direction``.
Taught in notebook 19.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from ..checks import check_index
from ..errors import DreamError
from ..models import as_dream_model
from .dissection import units_layer


def _unit_list(which, count: int | None = None, what: str = "unit") -> list[int]:
    picks = [which] if isinstance(which, int) and not isinstance(which, bool) else which
    try:
        picks = list(picks)
    except TypeError:
        raise DreamError(f"units to switch off must be a number or a list of numbers, got {which!r}") from None
    if not picks:
        raise DreamError("no units to switch off: give at least one")
    for k in picks:
        check_index(what, k, count)
    return picks


@contextmanager
def ablate(model, units, which: int | Sequence[int]) -> Iterator[torch.nn.Module]:
    """Inside the ``with`` block, ``model`` runs with units ``which`` of ``units`` switched off (set to zero).

    ``units`` is a layer name (``which`` are its channels) or a sparse autoencoder (``which`` are its features).
    The block gets the model back; on exit the hook is removed, even after an error.

    >>> with dl.ablate(model, "conv5", [3, 17]):
    ...     logits = model(images)

    Taught in notebook 19.
    """
    dm = as_dream_model(model)
    layer = units_layer(dm, units)
    features = getattr(units, "features", None) if not isinstance(units, str) else None
    picks = _unit_list(which, features, "feature" if features is not None else "unit")

    def hook(_module, _inputs, output):
        if not isinstance(output, torch.Tensor) or output.dim() < 2:
            raise DreamError(f"layer {layer!r} does not output a (batch, channels, ...) tensor; pick another layer")
        if features is not None:  # subtract the features' share of the activation
            return output - units.contribution(output, picks)
        if max(picks) >= output.shape[1]:
            raise DreamError(f"unit {max(picks)} is out of range for {layer} (valid: 0..{output.shape[1] - 1})")
        out = output.clone()
        out[:, picks] = 0
        return out

    handle = dm.module(layer).register_forward_hook(hook)
    try:
        yield model
    finally:
        handle.remove()


@dataclass(frozen=True)
class Ablation:
    """Per-class accuracy with the units on (``before``) and off (``after``); ``drop`` in percentage points.

    Taught in notebook 19.
    """

    classes: tuple[str, ...]
    before: dict[str, float]
    after: dict[str, float]

    @property
    def drop(self) -> dict[str, float]:
        return {c: 100 * (self.before[c] - self.after[c]) for c in self.classes}

    def __repr__(self) -> str:
        rows = [f"{'class':<10} {'before':>7} {'after':>7} {'drop':>6}"]
        for c in sorted(self.classes, key=lambda c: -self.drop[c]):
            rows.append(f"{c:<10} {self.before[c]:7.1%} {self.after[c]:7.1%} {self.drop[c]:+6.1f}")
        return "\n".join(rows)


def _class_accuracy(dm, images: torch.Tensor, labels: torch.Tensor, classes, chunk: int = 256) -> dict[str, float]:
    with torch.no_grad():
        predicted = torch.cat([dm(images[i : i + chunk]).argmax(1).cpu() for i in range(0, len(images), chunk)])
    right = predicted == labels.cpu()
    return {
        name: right[labels == k].float().mean().item() if (labels == k).any() else float("nan")
        for k, name in enumerate(classes)
    }


def accuracy_drop(model, units, which: int | Sequence[int], images: torch.Tensor, labels: torch.Tensor) -> Ablation:
    """How much each class's accuracy on ``images`` (N, 3, H, W) with ``labels`` (N,) drops when ``which`` are off.

    Taught in notebook 19.
    """
    dm = as_dream_model(model)
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or len(images) == 0:
        raise DreamError("images must be a non-empty tensor (N, 3, H, W) in [0, 1]")
    if not isinstance(labels, torch.Tensor) or labels.shape != (len(images),):
        raise DreamError(f"labels must be one class number per image, shape ({len(images)},)")
    classes = tuple(dm.categories) if dm.categories else tuple(str(k) for k in range(int(labels.max()) + 1))
    before = _class_accuracy(dm, images, labels, classes)
    with ablate(dm, units, which):
        after = _class_accuracy(dm, images, labels, classes)
    seen = tuple(c for c in classes if before[c] == before[c])  # the classes that have images
    return Ablation(seen, {c: before[c] for c in seen}, {c: after[c] for c in seen})
