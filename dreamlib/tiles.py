"""Big images: the octave loop of lesson 04 for print sizes, with the gradient taken tile by tile.

A network's memory grows with the image it sees. :func:`dreamlib.dream` comes here when a tile or
uint8 pixels (a print-size photo) are asked for, and :func:`dream_large` runs the same octaves and the
same steps, counting every byte: :func:`tiled_gradient` computes the gradient one tile at a time
(memory depends on the tile, not the image); :func:`dream_step` rolls the tile borders somewhere else
every step so they leave no seams, and writes the step into the image itself; the undreamed photo stays
uint8 and each octave's plain image is made from it a channel at a time; memory the allocator keeps is
handed back after each print-size octave. Without tiles each step *is* lesson 03's
:func:`dreamlib.ascent_step`. Taught in notebook 06 (beyond: ``dream(tile=...)``).
"""

from __future__ import annotations

import ctypes
import random
import sys
from typing import Callable

import torch
from tqdm.auto import tqdm

from .ascent import ascent_step, image_gradient, random_shift
from .errors import DreamError
from .images import LARGE, as_batch, check_finite, resize, tensor_values
from .models import DreamModel, as_dream_model
from .objectives import Objective
from .prepare import prepare
from .recipe import Recipe, StepInfo, octave_sizes
from .vis.param import preconditioner


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
    """The step :func:`dream_large` takes: :func:`dreamlib.ascent_step`, with the gradient taken tile by tile.

    On an image no larger than a tile it *is* ``ascent_step``. ``tile``:
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
    if not tiled:
        return ascent_step(dm, image, objective, lr=lr, jitter=jitter, rng=rng, precondition=precondition)
    out_device = image.device
    image = _on_model(image, dm)
    dy, dx = random_shift(jitter, rng)
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


def dream_large(  # noqa: C901 (the octave loop with its memory-saving branches)
    model: torch.nn.Module,
    image,
    objective: Objective | str | None,
    recipe: Recipe,
    *,
    progress: bool = True,
    callback: Callable[[StepInfo], None] | None = None,
) -> torch.Tensor:
    """:func:`dreamlib.dream` for print sizes: the same octaves and steps, with the least memory.

    ``image``: a uint8 tensor or a file (kept uint8), or a float tensor (never written to).
    Each octave's plain image is made from the uint8 photo a channel at a time, the detail
    carried up a channel at a time, and a copy of the photo this function made is dropped once
    the last octave starts, so the only full-size float image alive is the one being dreamed.
    Without ``recipe.tile`` it gives the pixels :func:`dreamlib.dream` gives. Taught in notebook 06.
    """
    tile = recipe.tile
    dm = as_dream_model(model)
    if tile is not None and tile < max(dm.min_size, 8):
        raise DreamError(f"tile must be a whole number of pixels >= {max(dm.min_size, 8)} for {dm.name}, got {tile!r}")
    base = as_batch(image, keep_uint8=True)
    out_device = base.device
    base = base.to(dm.device)
    # Our own copy (from a file, another device) is dropped once the last octave has started. A tensor of yours is kept.
    owned = (
        not isinstance(image, torch.Tensor) or base.untyped_storage().data_ptr() != image.untyped_storage().data_ptr()
    )
    image = None
    sizes = octave_sizes(base.shape[2], base.shape[3], recipe.octaves, recipe.octave_scale, dm.min_size)
    h, w = sizes[0] if tile is None else (min(sizes[0][0], tile), min(sizes[0][1], tile))  # what one pass sees
    dm, net, objective = prepare(dm, objective, base.new_zeros(base.shape[0], 3, h, w, dtype=torch.float32))
    pre = preconditioner(dm, recipe.param, recipe.decorrelate)
    rng = random.Random(recipe.seed)
    bar = tqdm(total=len(sizes) * recipe.steps, desc="dreaming", disable=not progress, leave=False)
    img = detail = None
    try:
        for o, size in enumerate(sizes):
            last = o + 1 == len(sizes)
            if detail is None:  # the first octave: the plain image at this size
                img = plain_image(base, size)  # a new tensor, or a float ``base`` itself at full size
                img = img.clone() if img is base and not (last and owned) else img  # steps may write into img
            elif last and owned and base.is_floating_point():  # the detail goes into our own base: no new image
                img, detail = _add_resized(base, detail, size), None
            else:
                img, detail = resize(detail, size), None
                img = _add_resized(img, base, size)
            img.clamp_(0, 1)
            if last and owned:
                base = None
            bar.set_postfix_str(f"octave {o + 1}/{len(sizes)} {size[1]}x{size[0]}")
            for s in range(recipe.steps):
                img, score = dream_step(
                    net,
                    img,
                    objective,
                    lr=recipe.lr,
                    jitter=recipe.jitter,
                    rng=rng,
                    tile=tile,
                    precondition=pre,
                    inplace=tile is not None and callback is None,  # img is ours: least memory
                    progress=progress,
                )
                bar.update(1)
                if callback is not None:
                    callback(StepInfo(o, len(sizes), s, recipe.steps, float(score.sum()), img.detach()))
            check_finite(img, f"in octave {o + 1} of {len(sizes)}")
            _trim_memory(img)
            if not last:  # the detail this octave added; the plain image is made again rather than kept meanwhile
                detail = _add_resized(
                    img if callback is None else img.clone(), base, size, alpha=-1.0
                )  # callbacks may keep img
                img = None
    finally:
        bar.close()
    return img.detach().to(out_device)


def plain_image(base: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """The undreamed image at ``size``, as floats in [0, 1]: ``base`` (float in [0, 1], or uint8) resized.

    A float ``base`` at its own size comes back as it is; a uint8 one is made float (divided
    by 255, exactly as :func:`dreamlib.images.tensor_values` does) a channel at a time when it
    is print-size, so no full-size float copy of it is ever made.
    """
    if base.is_floating_point():
        return resize(base, size)
    if base.numel() < LARGE or base.shape[1] == 1:
        return resize(tensor_values(base), size)
    out = torch.empty(*base.shape[:2], *size, device=base.device)
    for c in range(base.shape[1]):
        out[:, c : c + 1] = resize(tensor_values(base[:, c : c + 1]), size)
    return out


def _add_resized(target: torch.Tensor, source: torch.Tensor, size: tuple[int, int], alpha: float = 1.0) -> torch.Tensor:
    """``target += alpha * plain_image(source, size)`` (``source`` float, or uint8 made float), a channel at a time
    for print-size images (the same numbers; no full-size temporary). Returns ``target``."""
    if source.numel() < LARGE:
        return target.add_(plain_image(source, size), alpha=alpha)
    for c in range(source.shape[1]):
        target[:, c : c + 1].add_(plain_image(source[:, c : c + 1], size), alpha=alpha)
    return target


def _trim_memory(image: torch.Tensor | None) -> None:
    """After a print-size octave, hand memory the allocator keeps but no longer uses back to the system.

    glibc keeps freed blocks (the tiles' activations) for reuse, which shows as resident memory; on a
    print-size image the next full-size buffers come on top. ``malloc_trim`` (glibc only; elsewhere a
    no-op) returns them; it costs milliseconds, so it runs only for images of ``LARGE`` values or more.
    """
    if image is None or image.numel() < LARGE or image.device.type != "cpu" or not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to do
        pass
