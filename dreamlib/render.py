"""Feature visualisation from noise: :func:`render`, the way it has been done since 2017.

DeepDream (notebooks 03-04) starts from a photo and amplifies whatever is
there. ``render`` starts from faint noise and asks: which image makes this
objective as large as possible? Three ideas from Olah, Mordvintsev and
Schubert ("Feature Visualization", Distill 2017) keep the answer from being
high-frequency noise: a decorrelated Fourier parameterisation
(:mod:`dreamlib.param`), random transformations before every step
(:mod:`dreamlib.transforms`), and optional penalties on the image
(:mod:`dreamlib.regularisers`). The optimiser is Adam, as in Lucid and lucent.
Taught in notebook 09.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from tqdm.auto import tqdm

from .device import resolve_device
from .errors import DreamError
from .fold import folded_twin
from .hooks import OUTPUT, forward_until
from .models import as_dream_model
from .objectives import Objective, as_objective
from .octaves import StepInfo, check_settings
from .param import ImageParam, Param, as_param, colour_matrix
from .regularisers import Regulariser
from .transforms import Transform, as_transform

STEPS, LR = 128, 0.05


def render(
    model: torch.nn.Module,
    objective: Objective | str | None = None,
    *,
    size: int = 128,
    param: str | Param = "fft",
    decorrelate: bool = True,
    transforms: str | Transform | Sequence[Transform] | None = "standard",
    steps: int = STEPS,
    lr: float = LR,
    seed: int | None = None,
    progress: bool = True,
    batch: int = 1,
    callback: Callable[[StepInfo], None] | None = None,
    regularisers: Sequence[Regulariser] = (),
    valid: str = "sigmoid",
    device: str | None = None,
) -> torch.Tensor:
    """Optimise ``batch`` images from noise to maximise ``objective``; returns (batch, 3, size, size) in [0, 1].

    ``objective``: a layer name (its mean), any :class:`Objective` (channel,
    class_logit, diversity, direction, sums, ``-obj``...) or ``None`` for the
    model's default layer. ``param``: ``"fft"`` (decorrelated Fourier basis,
    the default) or ``"pixel"`` (the plain basis, for comparison), or a
    :class:`dreamlib.Param`; ``decorrelate=False`` keeps RGB channels.
    ``transforms``: ``"standard"`` (pad, jitter, scale, rotate), ``None``, or
    your own list from :mod:`dreamlib.transforms`. ``regularisers``: penalties
    from :mod:`dreamlib.regularisers`, subtracted from the objective.
    ``seed`` fixes the starting noise and every random transform, so a run
    repeats exactly on one machine. Works on any ``nn.Module`` taking [0, 1]
    RGB, on the model's device (``device=`` moves the model first). The result
    is on the CPU, as float32. Like :func:`dreamlib.dream`, it runs on a cached
    copy with BatchNorm folded (:func:`dreamlib.fold.folded_twin`). Taught in notebook 09.
    """
    check_settings(steps=steps, lr=lr)
    for key, value in (("size", size), ("batch", batch)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise DreamError(f"{key} must be a whole number >= 1, got {value!r}")
    settings = as_param(param, decorrelate)
    dm = as_dream_model(model)
    if size < dm.min_size:
        raise DreamError(f"size must be at least {dm.min_size} px for {dm.name}, got {size}")
    if device is not None:
        dm.to(resolve_device(device))
    objective = as_objective(objective if objective is not None else dm.default_layer)
    for name in objective.layers:
        if name != OUTPUT:
            dm.module(name)  # unknown layer -> clear error before any work
    fast = folded_twin(dm, objective.layers,  # see fold.py; the trial pass runs only when the copy is made
                       lambda m: forward_until(m, torch.zeros(1, 3, size, size, device=dm.device), objective.layers))
    shake = as_transform(transforms)
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    matrix = colour_matrix(dm) if settings.decorrelate else None
    image = ImageParam(batch, size, param=settings, matrix=matrix, valid=valid, generator=generator)
    image = image.to(dm.device)
    opt = torch.optim.Adam(image.parameters(), lr=lr)
    bar = tqdm(range(steps), desc="rendering", disable=not progress, leave=False)
    try:
        for step in bar:
            pictures = image()
            acts = forward_until(fast, shake(pictures, generator), objective.layers)
            score = objective(acts)
            loss = -score.sum()
            for penalty in regularisers:
                loss = loss + penalty(pictures).sum()
            opt.zero_grad(set_to_none=True)
            (grad,) = torch.autograd.grad(loss, [image.raw])  # the model's weights get no gradient
            image.raw.grad = grad
            opt.step()
            if callback is not None:
                callback(StepInfo(0, 1, step, steps, float(score.detach().sum()), pictures.detach()))
    finally:
        bar.close()
    with torch.no_grad():
        return image().detach().cpu().float()
