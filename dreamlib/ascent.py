"""Gradient ascent on the input image — the heart of DeepDream.

Training changes the *weights* to lower a loss; dreaming freezes the weights and
changes the *pixels* to raise an objective. One step: roll the image by a random
offset (jitter), get the gradient of the objective with respect to the pixels,
roll it back, normalise it, take a small step, and clamp to the valid range.
The model owns its device and dtype: images from anywhere are moved to them,
and what comes back (gradients, stepped images, scores) is on the device of the
image that was passed in. Taught in notebook 03 (gradient ascent).
"""

from __future__ import annotations

import random
from typing import Callable

import torch

from .device import autocast
from .hooks import forward_until
from .models import DreamModel, as_dream_model
from .objectives import Objective


def normalize_gradient(grad: torch.Tensor) -> torch.Tensor:
    """Divide each image's gradient by its mean absolute value (an L1 norm per pixel).

    Raw gradient sizes differ by orders of magnitude between layers, images and
    steps; after this division the average pixel moves by exactly ``lr`` per step,
    so one learning rate works everywhere. The mean absolute value is what the
    2015 DeepDream code used; it is robust to a few huge gradient entries in a way
    the maximum is not, and cheaper and less outlier-driven than the L2 norm.

    The division is scale-free: a gradient multiplied by any positive number
    normalises to the same result. There is deliberately no additive epsilon
    (``mean|g| + 1e-8``): it would make the step depend on the gradient's scale,
    and a network whose gradients are tiny (a random-weight GoogLeNet's are
    1e-10 to 1e-16) would take steps of almost nothing, so the image would never
    change. An image whose gradient is exactly zero is handled explicitly: its
    gradient stays zero (never NaN or inf). Half-precision gradients are
    normalised in float32, so tiny values do not underflow; the result keeps
    ``grad``'s dtype. Taught in notebook 03.
    """
    work = grad if grad.dtype in (torch.float32, torch.float64) else grad.float()
    scale = work.abs().mean(dim=tuple(range(1, work.dim())), keepdim=True)
    return (work / torch.where(scale > 0, scale, torch.ones_like(scale))).to(grad.dtype)


def _on_model(images: torch.Tensor, dm: DreamModel) -> torch.Tensor:
    """``images`` detached, as floats, on the model's device (no copy when they are already there)."""
    images = images.detach()
    return (images if images.is_floating_point() else images.float()).to(dm.device)


def random_shift(jitter: int, rng: random.Random) -> tuple[int, int]:
    """A random (dy, dx) offset in [-jitter, jitter] for the roll. Taught in notebook 03."""
    if jitter <= 0:
        return 0, 0
    return rng.randint(-jitter, jitter), rng.randint(-jitter, jitter)


def image_gradient(
    model: DreamModel, images: torch.Tensor, objective: Objective, precision: str = "fp32"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradient of ``objective`` with respect to the pixels of ``images``, and the objective's value.

    The forward pass stops at the last layer the objective needs; only the
    input's gradient is asked for, so no weight gradients are computed; the
    input is laid out channels-last, the faster layout for convolutions.
    ``images`` are moved to the model's device and dtype on the way in; the
    gradient (in ``images``' dtype) and the score come back on ``images``' device.
    Taught in notebook 03.
    """
    dm = as_dream_model(model)
    device = images.device
    leaf = images.detach()
    leaf = (leaf if leaf.is_floating_point() else leaf.float()).requires_grad_(True)
    x = leaf.to(device=dm.device, dtype=dm.dtype, memory_format=torch.channels_last)  # no copy if already there
    with autocast(precision, dm.device):
        acts = forward_until(dm, x, objective.layers)
    score = objective(acts)
    (grad,) = torch.autograd.grad(score.sum(), leaf)
    return grad, score.detach().to(device)


def tile_spans(length: int, tile: int, min_size: int = 1) -> list[tuple[int, int]]:
    """Cut ``[0, length)`` into spans of ``tile`` pixels; a last span under ``min_size`` joins its neighbour.

    Taught in notebook 08.
    """
    spans = [(start, min(start + tile, length)) for start in range(0, length, tile)]
    if len(spans) > 1 and spans[-1][1] - spans[-1][0] < min_size:
        spans[-2:] = [(spans[-2][0], length)]
    return spans


def tiled_gradient(
    model: DreamModel, images: torch.Tensor, objective: Objective, tile: int, precision: str = "fp32"
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`image_gradient`, computed tile by tile so memory depends on ``tile``, not the image size.

    Each tile's gradient is weighted by its share of the image's area, so for a
    mean-over-positions objective the tiles add up to the whole image's gradient
    (up to the tile borders, where each tile sees zero padding instead of its
    neighbour — the random roll of :func:`ascent_step` moves those borders every step).
    The image is moved to the model's device once; the gradient and the score
    come back on ``images``' device. Taught in notebook 08.
    """
    dm = as_dream_model(model)
    work = _on_model(images, dm)
    h, w = work.shape[-2:]
    grad = torch.empty_like(work)
    score = work.new_zeros(work.shape[0], dtype=torch.float32)
    for y0, y1 in tile_spans(h, tile, dm.min_size):
        for x0, x1 in tile_spans(w, tile, dm.min_size):
            share = (y1 - y0) * (x1 - x0) / (h * w)
            g, s = image_gradient(dm, work[..., y0:y1, x0:x1], objective, precision)
            grad[..., y0:y1, x0:x1] = g * share
            score += s * share
    return grad.to(images.device), score.to(images.device)


def ascent_step(
    model: DreamModel,
    image: torch.Tensor,
    objective: Objective,
    lr: float = 0.01,
    jitter: int = 32,
    rng: random.Random | None = None,
    precision: str = "fp32",
    tile: int | None = None,
    precondition: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One jittered, normalised, clamped gradient-ascent step; returns (new image, score before the step).

    ``precondition`` (e.g. :func:`dreamlib.param.precondition`, notebook 09)
    maps the pixel gradient to the pixel change of a step in another basis,
    before the normalisation.

    With ``tile``, images larger than a tile get their gradient tile by tile
    (:func:`tiled_gradient`) and an extra random roll of up to a tile, so the
    tile borders fall somewhere else every step and leave no seams.
    The step runs on the model's device (``image`` is moved there, and cast to
    float32 if it is not floating); the new image and the score come back on
    ``image``'s device — inside :func:`dream` both already live on the model's
    device, so nothing is copied. Taught in notebook 03.
    """
    dm = as_dream_model(model)
    rng = rng or random.Random()
    out_device = image.device
    image = _on_model(image, dm)
    dy, dx = random_shift(jitter, rng)
    tiled = tile is not None and max(image.shape[-2:]) > tile
    if tiled:
        dy, dx = dy + rng.randrange(tile), dx + rng.randrange(tile)
    rolled = torch.roll(image, shifts=(dy, dx), dims=(2, 3))
    if tiled:
        grad, score = tiled_gradient(dm, rolled, objective, tile, precision)
    else:
        grad, score = image_gradient(dm, rolled, objective, precision)
    grad = torch.roll(grad, shifts=(-dy, -dx), dims=(2, 3))
    if precondition is not None:
        grad = precondition(grad)
    image = (image + lr * normalize_gradient(grad)).clamp_(0.0, 1.0)
    return image.to(out_device), score.to(out_device)
