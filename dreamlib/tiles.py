"""Big images: the gradient tile by tile, and steps that make no full-size temporaries.

A network's memory grows with the image it sees. For a print-size dream, :func:`tiled_gradient`
computes the gradient one tile at a time (memory depends on the tile, not the image), and
:func:`dream_step` — the step :func:`dreamlib.dream` takes — rolls the tile borders somewhere else
every step so they leave no seams, and writes the step into the image itself. It is lesson 03's
:func:`dreamlib.ascent_step`, plus tiles and, for ``param="fft"``, a change of basis (notebook 12).
Taught in notebook 06 (beyond: ``dream(tile=...)``).
"""

from __future__ import annotations

import random
from typing import Callable

import torch
from tqdm.auto import tqdm

from .ascent import ascent_step, image_gradient, normalize_gradient, random_shift
from .models import DreamModel, as_dream_model
from .objectives import Objective


def tile_spans(length: int, tile: int, min_size: int = 1) -> list[tuple[int, int]]:
    """Cut ``[0, length)`` into spans of ``tile`` pixels; a last span under ``min_size`` joins its neighbour.

    Taught in notebook 06.
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
    *,
    shift: tuple[int, int] = (0, 0),
    progress: bool = False,
    dtype: torch.dtype | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`dreamlib.ascent.image_gradient`, computed tile by tile so memory depends on ``tile``, not the image.

    Each tile's gradient is weighted by its share of the image's area, so for a
    mean-over-positions objective the tiles add up to the whole image's gradient
    (up to the tile borders, where each tile sees zero padding instead of its
    neighbour — :func:`dream_step`'s random roll moves those borders every step).
    ``shift=(dy, dx)`` gives the gradient of the image rolled by ``shift`` (as
    ``torch.roll``), rolled back — without making either rolled copy: each tile is
    gathered from the image with wrap-around indices and its gradient written back
    to the same pixels, so a huge image costs one extra full-size buffer (the
    gradient; ``dtype=torch.bfloat16`` halves it). ``progress`` shows a bar over the tiles.
    The image is moved to the model's device once; the gradient and the score
    come back on ``images``' device. Taught in notebook 06.
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
        g, s = image_gradient(dm, work.index_select(2, r).index_select(3, c), objective)
        grad[:, :, r[:, None], c[None, :]] = g.to(grad.dtype) * share
        score += s.float() * share
    return grad.to(images.device), score.to(images.device)


def dream_step(  # noqa: PLR0913 (keyword settings, each with a default)
    model: DreamModel,
    image: torch.Tensor,
    objective: Objective,
    *,
    lr: float,
    jitter: int,
    rng: random.Random,
    tile: int | None = None,
    precondition: Callable[[torch.Tensor], torch.Tensor] | None = None,
    inplace: bool = False,
    progress: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The step :func:`dreamlib.dream` takes: :func:`dreamlib.ascent_step`, plus tiles and a change of basis.

    With neither ``tile`` nor ``precondition`` it *is* ``ascent_step``. ``tile``:
    images larger than a tile get their gradient tile by tile (:func:`tiled_gradient`)
    and an extra random roll of up to a tile, so the tile borders fall somewhere else
    every step; ``progress`` shows a bar over the tiles. ``inplace=True`` (a tiled
    dream without a callback) writes the step into ``image`` itself and keeps the
    gradient in bfloat16: half a float32 image, for the least memory (rounded to
    1 part in 256: a step of ``lr`` = 0.01 moves a pixel by at most ~4e-5 more or less,
    far under one grey level). ``precondition`` (:func:`dreamlib.vis.param.precondition`,
    notebook 12) maps the pixel gradient to the change one step in another basis
    makes, before the normalisation. Runs on the model's device; the new image and
    the score come back on ``image``'s device. Taught in notebook 06.
    """
    dm = as_dream_model(model)
    tiled = tile is not None and max(image.shape[-2:]) > tile
    if not tiled and precondition is None:
        return ascent_step(dm, image, objective, lr=lr, jitter=jitter, rng=rng)
    out_device = image.device
    image = _on_model(image, dm)
    dy, dx = random_shift(jitter, rng)
    if not tiled:
        rolled = torch.roll(image, shifts=(dy, dx), dims=(2, 3))
        grad, score = image_gradient(dm, rolled, objective)
        grad = precondition(torch.roll(grad, shifts=(-dy, -dx), dims=(2, 3)))
        image = (image + lr * normalize_gradient(grad)).clamp_(0.0, 1.0)
        return image.to(out_device), score.to(out_device)
    dy, dx = dy + rng.randrange(tile), dx + rng.randrange(tile)
    dtype = torch.bfloat16 if inplace and image.dtype == torch.float32 else None
    grad, score = tiled_gradient(dm, image, objective, tile, shift=(dy, dx), progress=progress, dtype=dtype)
    if precondition is not None:  # a full-size transform: the buffer-saving path ends here
        grad = precondition(grad.float()).to(grad.dtype)
    return _step_into(grad, image, lr, inplace).to(out_device), score.to(out_device)


def _on_model(images: torch.Tensor, dm: DreamModel) -> torch.Tensor:
    """``images`` detached, as floats, on the model's device (no copy when they are already there)."""
    images = images.detach()
    return (images if images.is_floating_point() else images.float()).to(dm.device)


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
