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
from tqdm.auto import tqdm

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
    model: DreamModel,
    images: torch.Tensor,
    objective: Objective,
    tile: int,
    precision: str = "fp32",
    shift: tuple[int, int] = (0, 0),
    progress: bool = False,
    dtype: torch.dtype | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`image_gradient`, computed tile by tile so memory depends on ``tile``, not the image size.

    Each tile's gradient is weighted by its share of the image's area, so for a
    mean-over-positions objective the tiles add up to the whole image's gradient
    (up to the tile borders, where each tile sees zero padding instead of its
    neighbour — the random roll of :func:`ascent_step` moves those borders every step).
    ``shift=(dy, dx)`` gives the gradient of the image rolled by ``shift`` (as
    ``torch.roll``), rolled back — without making either rolled copy: each tile is
    gathered from the image with wrap-around indices and its gradient written back
    to the same pixels, so a huge image costs one extra full-size buffer (the
    gradient; ``dtype=torch.bfloat16`` halves it). ``progress`` shows a bar over the tiles.
    The image is moved to the model's device once; the gradient and the score
    come back on ``images``' device. Taught in notebook 08.
    """
    dm = as_dream_model(model)
    work = _on_model(images, dm)
    h, w = work.shape[-2:]
    grad = torch.empty_like(work, dtype=dtype)
    score = work.new_zeros(work.shape[0], dtype=torch.float32)
    rows = (torch.arange(h, device=work.device) - shift[0]) % h  # rolled[..., y, :] = work[..., rows[y], :]
    cols = (torch.arange(w, device=work.device) - shift[1]) % w
    tiles = [(ys, xs) for ys in tile_spans(h, tile, dm.min_size) for xs in tile_spans(w, tile, dm.min_size)]
    for (y0, y1), (x0, x1) in tqdm(tiles, desc="tiles", disable=not progress or len(tiles) < 2, leave=False):
        share = (y1 - y0) * (x1 - x0) / (h * w)
        r, c = rows[y0:y1], cols[x0:x1]
        g, s = image_gradient(dm, work.index_select(2, r).index_select(3, c), objective, precision)
        grad[:, :, r[:, None], c[None, :]] = g.to(grad.dtype) * share
        score += s * share
    return grad.to(images.device), score.to(images.device)


def _row_slices(grad: torch.Tensor) -> list[slice]:
    """Slices of rows holding ~4M values each: full-size work done slice by slice never needs a full-size temporary."""
    rows = max(1, 2**22 // max(1, grad.shape[1] * grad.shape[-1]))
    return [slice(y, y + rows) for y in range(0, grad.shape[-2], rows)]


def _step_into(grad: torch.Tensor, image: torch.Tensor, lr: float, inplace: bool) -> torch.Tensor:
    """``(image + lr * normalize_gradient(grad)).clamp(0, 1)`` without full-size temporaries.

    Written into ``image`` itself (``inplace``) or into ``grad``'s memory; the mean
    absolute gradient is summed in float64; an image whose gradient is all zero does not move.
    """
    out = image if inplace else grad
    for i in range(grad.shape[0]):
        scale = float(sum(grad[i, :, rows].abs().sum(dtype=torch.float64) for rows in _row_slices(grad)))
        scale /= grad[i].numel()
        for rows in _row_slices(grad):
            if inplace:
                if scale > 0:
                    out[i, :, rows].add_(grad[i, :, rows].to(out.dtype), alpha=lr / scale)
            elif scale > 0:
                out[i, :, rows].mul_(lr / scale).add_(image[i, :, rows])
            else:
                out[i, :, rows].copy_(image[i, :, rows])
            out[i, :, rows].clamp_(0.0, 1.0)
    return out


def ascent_step(
    model: DreamModel,
    image: torch.Tensor,
    objective: Objective,
    lr: float = 0.01,
    jitter: int = 32,
    rng: random.Random | None = None,
    precision: str = "fp32",
    tile: int | None = None,
    progress: bool = False,
    inplace: bool = False,
    precondition: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One jittered, normalised, clamped gradient-ascent step; returns (new image, score before the step).

    ``precondition`` (e.g. :func:`dreamlib.param.precondition`, notebook 09)
    maps the pixel gradient to the pixel change of a step in another basis,
    before the normalisation.

    With ``tile``, images larger than a tile get their gradient tile by tile
    (:func:`tiled_gradient`) and an extra random roll of up to a tile, so the
    tile borders fall somewhere else every step and leave no seams; that path
    keeps only one extra full-size buffer (see :func:`tiled_gradient`) and
    ``progress`` shows a bar over its tiles. With ``inplace=True`` as well, the
    step is written into ``image`` itself (once on the model's device) and the
    gradient buffer is bfloat16: half a float32 image, for the least memory
    (:func:`dream` does this for tiled dreams; the stored gradient is rounded to
    1 part in 256, so a step of ``lr`` = 0.01 moves a pixel by at most ~4e-5 more
    or less than with a float32 buffer — far under one grey level, 1/255).
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
    if tiled:  # no rolled copies, and the new image is written into the gradient's buffer
        dtype = torch.bfloat16 if inplace and image.dtype == torch.float32 else None
        grad, score = tiled_gradient(dm, image, objective, tile, precision, (dy, dx), progress, dtype)
        if precondition is not None:  # a full-size transform: the buffer-saving path ends here
            grad = precondition(grad.float()).to(grad.dtype)
        return _step_into(grad, image, lr, inplace).to(out_device), score.to(out_device)
    rolled = torch.roll(image, shifts=(dy, dx), dims=(2, 3))
    grad, score = image_gradient(dm, rolled, objective, precision)
    grad = torch.roll(grad, shifts=(-dy, -dx), dims=(2, 3))
    if precondition is not None:
        grad = precondition(grad)
    image = (image + lr * normalize_gradient(grad)).clamp_(0.0, 1.0)
    return image.to(out_device), score.to(out_device)
