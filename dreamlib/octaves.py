"""Dreaming at several scales (octaves) with detail re-injection: :func:`dream`.

Small patterns come out at full size, large ones only when the image is small
compared to the network's receptive field. So we dream on a pyramid: start at
the smallest octave, and after each one carry the *detail* it added (the
dreamed image minus the plain resized image) up to the next, larger octave.
Taught in notebook 04 (octaves).
"""

from __future__ import annotations

import ctypes
import random
import sys
import warnings
from dataclasses import dataclass
from typing import Callable

import torch
from tqdm.auto import tqdm

from .device import resolve_device
from .errors import DreamError, DreamWarning, NonFiniteError
from .fast import fast_model, plain_precision
from .hooks import OUTPUT, forward_until
from .images import LARGE, load_image, resize, tensor_values
from .models import DreamModel, as_dream_model
from .objectives import Objective, as_objective
from .recipe import DEFAULT, Recipe
from .tiles import dream_step
from .vis.param import Param, as_param, colour_matrix, precondition


@dataclass
class StepInfo:
    """What a ``callback`` receives after each step (notebooks use it to plot and show frames)."""

    octave: int  # 0 = smallest
    octaves: int
    step: int  # within the octave, from 0
    steps: int
    score: float  # objective value before this step
    image: torch.Tensor  # the current octave's image, (1, 3, h, w) in [0, 1], on the model's device


def octave_sizes(
    height: int, width: int, octaves: int = 4, octave_scale: float = 1.4, min_size: int = 1
) -> list[tuple[int, int]]:
    """Image sizes (h, w) of each octave, smallest first; the last is the full size.

    Octaves whose shorter side would fall under ``min_size`` (the network's
    minimum input) are dropped with a warning; if even the full image is too
    small, a :class:`DreamError` names the minimum.
    Taught in notebook 04.
    """
    Recipe(octaves=octaves, octave_scale=octave_scale)  # checked like any dream setting
    if min(height, width) < min_size:
        raise DreamError(f"the image is {width}x{height} px but the model needs at least {min_size} px per side")
    sizes = []
    for i in range(octaves):
        f = octave_scale**i
        size = (max(1, round(height / f)), max(1, round(width / f)))
        if min(size) < min_size:
            warnings.warn(
                f"using {len(sizes)} of {octaves} octaves: smaller ones would fall under the model's "
                f"minimum input size of {min_size} px",
                DreamWarning,
                stacklevel=2,
            )
            break
        sizes.append(size)
    return sizes[::-1]


def as_batch(image, keep_uint8: bool = False) -> torch.Tensor:
    """A (N, 3, H, W) float tensor in [0, 1] from a tensor ((3, H, W) gains a batch axis) or anything load_image reads.

    uint8 tensors are scaled by 1/255; float values outside [0, 1], NaN and inf are refused
    (see :func:`dreamlib.images.tensor_values`). ``keep_uint8``: uint8 pixels (and files,
    decoded as uint8) stay uint8, a quarter of the memory; :func:`plain_image` makes them float.
    """
    if not isinstance(image, torch.Tensor):
        return load_image(image, max_size=None, dtype=torch.uint8 if keep_uint8 else torch.float32)
    if image.dim() == 3:
        image = image.unsqueeze(0)
    if image.dim() != 4 or image.shape[1] != 3:
        raise DreamError(f"expected an image tensor of shape (1, 3, H, W), got {tuple(image.shape)}")
    if keep_uint8 and image.dtype == torch.uint8:
        return image.detach()
    return tensor_values(image.detach())


def plain_image(base: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """The undreamed image at ``size``, as floats in [0, 1]: ``base`` (float in [0, 1], or uint8) resized.

    A float ``base`` at its own size comes back as it is; a uint8 one is made float (divided
    by 255, exactly as :func:`dreamlib.images.tensor_values` does) a channel at a time when it
    is print-size, so no full-size float copy of it is ever made. Taught in notebook 04.
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


COMMON_SIZES = (28, 32, 64, 96, 112, 128, 224, 227, 256, 299, 384, 512)


def probe_model(dm: DreamModel, image: torch.Tensor, objective: Objective) -> None:
    """One cheap forward pass, so bad indices and sizes fail before any work.

    When the network itself fails at this image size (a fixed-size network: a
    ``Linear`` layer after ``flatten``), try the usual input sizes and name the
    one it accepts. Other errors from inside a user's network are theirs to explain
    and pass through unchanged.
    """
    with torch.no_grad():
        try:
            objective(forward_until(dm, image, objective.layers))
        except RuntimeError as exc:
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


def check_finite(image: torch.Tensor, where: str) -> torch.Tensor:
    """Refuse to go on with NaN or infinite pixels: say where they appeared and what usually helps."""
    # One reduction in the image's own dtype, no image-sized mask or float64 copy (a print-size tiled dream
    # counts every byte): NaN and inf survive a sum, and pixels in [0, 1] cannot overflow it.
    if image.device.type != "meta" and not bool(torch.isfinite(image.sum())):
        raise NonFiniteError(
            f"the dream became NaN or infinite {where}: the network produced non-finite values or gradients "
            f"(try precision='fp32', a smaller lr, or check the model on this input)"
        )
    return image


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


def dream(  # noqa: PLR0913, C901 (keyword settings; the octave loop with its huge-image paths)
    model: torch.nn.Module,
    image,
    layer: str | None = None,
    *,
    objective: Objective | None = None,
    octaves: int = DEFAULT.octaves,
    octave_scale: float = DEFAULT.octave_scale,
    steps: int = DEFAULT.steps,
    lr: float = DEFAULT.lr,
    jitter: int = DEFAULT.jitter,
    seed: int | None = DEFAULT.seed,
    tile: int | None = DEFAULT.tile,
    param: str | Param = DEFAULT.param,
    decorrelate: bool | None = DEFAULT.decorrelate,
    progress: bool = True,
    callback: Callable[[StepInfo], None] | None = None,
    device: str | None = None,
    precision: str = "auto",
    fast: bool = True,
) -> torch.Tensor:
    """DeepDream an image: amplify what ``layer`` of ``model`` responds to.

    ``model``: a :class:`DreamModel` from :func:`load_model` or any ``nn.Module``
    (input [0, 1] RGB). ``image``: a (1, 3, H, W) tensor in [0, 1] (or anything
    :func:`load_image` accepts). ``layer`` defaults to the model's own default
    (``Mixed_6c`` for InceptionV3); ``objective`` replaces it with any
    :class:`Objective`. Each octave runs ``steps`` steps of jittered, normalised
    gradient ascent (lesson 03's :func:`ascent_step`), the smallest octave first,
    carrying the detail each adds up to the next. The settings that decide the
    picture (``octaves`` ... ``decorrelate``) make a :class:`dreamlib.Recipe`, which
    checks them and explains each; ``seed`` makes the jitter repeatable. ``tile``
    (pixels) computes gradients tile by tile for big images (notebook 06); for
    print-size images pass a file path or a uint8 tensor (``load_image(path,
    max_size=None, dtype=torch.uint8)``): the undreamed image then stays uint8, a
    quarter of the memory. ``param="fft"`` takes every step in the decorrelated
    Fourier basis of :func:`render` (notebook 12).

    How it runs, not what it makes: ``device=None`` keeps the model where it is
    (otherwise it is moved there) and the image is moved to it once; ``fast=True``
    steps on a faster twin of the network (channels-last images, BatchNorm folded
    into the convolutions, bfloat16 where ``precision="auto"`` measures it faster:
    :mod:`dreamlib.fast`), the same function up to float rounding; ``fast=False`` runs
    your network exactly as you built it, hooks and all, in its own dtype, never bf16 (a
    tiled dream keeps its full-size gradient in bfloat16 either way, to halve its memory). ``callback``
    gets a :class:`StepInfo` after every step. Returns a float32 tensor in [0, 1] of
    the input's size, on the input's device. Taught in notebook 04 (octaves); the
    step itself in notebook 03.
    """
    recipe = Recipe(
        octaves=octaves,
        octave_scale=octave_scale,
        steps=steps,
        lr=lr,
        jitter=jitter,
        seed=seed,
        tile=tile,
        param=param,
        decorrelate=decorrelate,
    )
    dm = as_dream_model(model)
    if tile is not None and tile < max(dm.min_size, 8):
        raise DreamError(f"tile must be a whole number of pixels >= {max(dm.min_size, 8)} for {dm.name}, got {tile!r}")
    if not fast:
        plain_precision(precision)  # bf16 is a fast-path option: refused before any work
    if device is not None:
        dm.to(resolve_device(device))
    if objective is None:
        objective = as_objective(layer or dm.default_layer)
    elif layer is not None:
        raise DreamError("give either layer= or objective=, not both")
    for name in objective.layers:
        if name != OUTPUT:
            dm.module(name)  # unknown layer -> clear error before any work
    # uint8 pixels (and files) stay uint8 until each octave's plain image is made from them: a print-size dream
    # never holds a full-size float copy of the undreamed image, only the one being dreamed
    base = as_batch(image, keep_uint8=True)
    out_device = base.device
    base = base.to(dm.device)
    # Our own copy (from a file, another device) is dropped once the last octave has started. A tensor of yours is kept.
    owned = (
        not isinstance(image, torch.Tensor) or base.untyped_storage().data_ptr() != image.untyped_storage().data_ptr()
    )
    image = None
    sizes = octave_sizes(base.shape[2], base.shape[3], octaves, octave_scale, dm.min_size)
    # one cheap pass at the smallest size: bad channel/class indices and fixed-size networks fail before any work
    h, w = sizes[0] if tile is None else (min(sizes[0][0], tile), min(sizes[0][1], tile))  # tiled: what one pass sees
    probe = base.new_zeros(*base.shape[:2], h, w, dtype=torch.float32)
    probe_model(dm, probe, objective)
    net = fast_model(dm, objective.layers, probe[:1], precision) if fast else dm
    probe = None
    basis = as_param(recipe.param, recipe.decorrelate)
    matrix = colour_matrix(dm) if basis.decorrelate else None
    pre = None if basis == Param("pixel", False) else (lambda g: precondition(g, basis, matrix))
    rng = random.Random(recipe.seed)
    bar = tqdm(total=len(sizes) * steps, desc="dreaming", disable=not progress, leave=False)
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
            for s in range(steps):
                img, score = dream_step(
                    net,
                    img,
                    objective,
                    lr=lr,
                    jitter=jitter,
                    rng=rng,
                    tile=tile,
                    precondition=pre,
                    inplace=tile is not None and callback is None,  # img is ours: least memory
                    progress=progress,
                )
                bar.update(1)
                if callback is not None:
                    callback(StepInfo(o, len(sizes), s, steps, float(score.sum()), img.detach()))
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
