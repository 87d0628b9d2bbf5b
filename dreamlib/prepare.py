"""What every lesson function does first: the model wrapped, the objective made and checked, one cheap pass.

:func:`prepare` is the start of :func:`dreamlib.dream`, :func:`dreamlib.render`, :func:`dreamlib.accentuate` and
:func:`dreamlib.zoom`: wrap any ``nn.Module`` (lesson 02's :class:`DreamModel`), turn a layer name into an
objective (lesson 03), check its layers and indices on one small forward pass so mistakes fail before any work,
and name the network to step on: the model itself, or for a :func:`dreamlib.faster` model its faster twin.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch

from .errors import DreamError
from .fast import twin_for
from .hooks import OUTPUT, forward_until
from .models import DreamModel, as_dream_model
from .objectives import Objective, as_objective

COMMON_SIZES = (28, 32, 64, 96, 112, 128, 224, 227, 256, 299, 384, 512)


class Prepared(NamedTuple):
    """``model``: the :class:`DreamModel`; ``net``: what to step on (``model``, or its fast twin); ``objective``."""

    model: DreamModel
    net: DreamModel
    objective: Objective


def prepare(
    model: torch.nn.Module,
    objective: Objective | str | None,
    trial: torch.Tensor,
    *,
    also: Sequence[str] = (),
    check: bool = True,
    precision: str | None = None,
) -> Prepared:
    """Wrap ``model``, make ``objective`` (default: the model's default layer) and check it on ``trial``.

    ``trial``: a batch of the size the first step will see (its values do not matter).
    ``also``: more layers the caller reads (accentuate's regularisation layer), checked too.
    ``check=False`` skips the trial pass (renders, whose objectives may weigh each image of a batch).
    ``precision``: for a :func:`dreamlib.faster` model, overrides its precision (renders pass
    ``"fp32"``). Unknown layers are one :class:`DreamError` line; a fixed-size network is named
    with the size it accepts (:func:`probe_model`).
    """
    dm = as_dream_model(model)
    objective = as_objective(objective if objective is not None else dm.default_layer)
    layers = list(dict.fromkeys([*objective.layers, *also]))
    for name in layers:
        if name != OUTPUT:
            dm.module(name)  # unknown layer -> clear error before any work
    trial = trial.detach().float().to(dm.device)
    if check:
        probe_model(dm, trial, objective)
    return Prepared(dm, twin_for(dm, layers, trial[:1], precision), objective)


def probe_model(dm: DreamModel, image: torch.Tensor, objective: Objective) -> None:
    """One cheap forward pass, so bad indices and sizes fail before any work.

    When the network itself fails at this image size (a fixed-size network: a
    ``Linear`` layer after ``flatten``, or a check on the size, as torchvision's
    vision transformers make), try the usual input sizes and name the one it
    accepts. Other errors from inside a user's network are theirs to explain
    and pass through unchanged.
    """
    with torch.no_grad():
        try:
            objective(forward_until(dm, image, objective.layers))
        except (RuntimeError, AssertionError) as exc:
            h, w = image.shape[-2:]
            for size in COMMON_SIZES:
                if (size, size) == (h, w):
                    continue
                try:
                    objective(forward_until(dm, image.new_zeros(1, 3, size, size), objective.layers))
                except Exception:  # noqa: BLE001 - just not this size
                    continue
                raise DreamError(
                    f"{dm.name} fails on a {w}x{h} image but works at {size}x{size}: it looks like a fixed-size "
                    f"network; dream at that size with octaves=1 (resize the image to {size}x{size}) "
                    f"[{str(exc).splitlines()[0][:120]}]"
                ) from None
            raise
