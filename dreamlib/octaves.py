"""Dreaming at several scales (octaves) with detail re-injection: :func:`dream`.

Small patterns come out at full size, large ones only when the image is small
compared to the network's receptive field. So we dream on a pyramid: start at
the smallest octave, and after each one carry the *detail* it added (the
dreamed image minus the plain resized image) up to the next, larger octave.
Taught in notebook 04 (octaves).
"""

from __future__ import annotations

import random
from typing import Callable

import torch
from tqdm.auto import tqdm

from .ascent import ascent_step
from .errors import DreamError
from .images import as_batch, check_finite, resize
from .models import as_dream_model
from .objectives import Objective
from .prepare import prepare
from .recipe import DEFAULT, StepInfo, for_model, octave_sizes
from .vis.param import Param, preconditioner

__all__ = ["StepInfo", "dream", "octave_sizes"]


def dream(  # noqa: PLR0913 (keyword settings, each with a default)
    model: torch.nn.Module,
    image,
    layer: str | None = None,
    *,
    objective: Objective | None = None,
    octaves: int | None = None,
    octave_scale: float | None = None,
    steps: int | None = None,
    lr: float | None = None,
    jitter: int | None = None,
    seed: int | None = DEFAULT.seed,
    tile: int | None = DEFAULT.tile,
    param: str | Param | None = None,
    decorrelate: bool | None = DEFAULT.decorrelate,
    progress: bool = True,
    callback: Callable[[StepInfo], None] | None = None,
) -> torch.Tensor:
    """DeepDream an image: amplify what ``layer`` of ``model`` responds to.

    ``model``: a :class:`DreamModel` from :func:`load_model` or any ``nn.Module``
    (input [0, 1] RGB); the dream runs where the model is. ``image``: a (1, 3, H, W)
    tensor in [0, 1] (or anything :func:`load_image` accepts). ``layer`` defaults to
    the model's own default (``Mixed_6c`` for InceptionV3); ``objective`` replaces it
    with any :class:`Objective`. Each octave runs ``steps`` steps of lesson 03's
    :func:`ascent_step` (jittered, normalised gradient ascent), the smallest octave
    first, carrying the detail each adds up to the next: the loop below is lesson 04's,
    and gives its pixels. The settings that decide the picture (``octaves`` ...
    ``decorrelate``) make a :class:`dreamlib.Recipe`, which checks them and explains
    each; those left at None (``octaves``, ``octave_scale``, ``steps``, ``lr``, ``jitter``,
    ``param``) are the model's own (``model.recipe``: :data:`dreamlib.recipe.DEFAULT`'s
    4 octaves 1.4 apart, 20 steps of 0.01, jitter 32, pixel steps, unless the model
    chose others). ``seed`` makes the jitter repeatable. ``param="fft"`` takes every step in the
    decorrelated Fourier basis of :func:`render` (notebook 12). ``tile`` (pixels), a
    uint8 tensor or a file path go to :func:`dreamlib.tiles.dream_large`, the same
    dream for print sizes (notebook 06). A :func:`dreamlib.faster` model steps on its
    faster twin. ``callback`` gets a :class:`StepInfo` after every step. Returns a
    float32 tensor in [0, 1] of the input's size, on the input's device. Taught in
    notebook 04 (octaves); the step itself in notebook 03.
    """
    given = dict(octaves=octaves, octave_scale=octave_scale, steps=steps, lr=lr, jitter=jitter, param=param)
    recipe = for_model(model, seed=seed, tile=tile, decorrelate=decorrelate, **given)  # None: the model's own
    octaves, octave_scale, steps = recipe.octaves, recipe.octave_scale, recipe.steps
    lr, jitter, param = recipe.lr, recipe.jitter, recipe.param
    if layer is not None and objective is not None:
        raise DreamError("give either layer= or objective=, not both")
    objective = layer if objective is None else objective  # None: the model's default layer
    if tile is not None or not (isinstance(image, torch.Tensor) and image.is_floating_point()):
        from .tiles import dream_large  # print sizes: the same loop, counting every byte

        return dream_large(model, image, objective, recipe, progress=progress, callback=callback)
    image = as_batch(image)
    dm = as_dream_model(model)
    sizes = octave_sizes(image.shape[2], image.shape[3], octaves, octave_scale, dm.min_size)
    dm, net, objective = prepare(dm, objective, image.new_zeros(image.shape[0], 3, *sizes[0]))
    precondition = preconditioner(dm, param, decorrelate)  # None: lesson 03's pixel steps
    out_device, image = image.device, image.to(dm.device)
    rng = random.Random(seed)
    bar = tqdm(total=len(sizes) * steps, desc="dreaming", disable=not progress, leave=False)
    detail = torch.zeros_like(resize(image, sizes[0]))
    for o, size in enumerate(sizes):
        plain = resize(image, size)
        x = (plain + resize(detail, size)).clamp(0, 1)
        for s in range(steps):
            x, score = ascent_step(net, x, objective, lr=lr, jitter=jitter, rng=rng, precondition=precondition)
            bar.update(1)
            if callback is not None:
                callback(StepInfo(o, len(sizes), s, steps, float(score.sum()), x))
        check_finite(x, f"in octave {o + 1} of {len(sizes)}")
        detail = x - plain
    bar.close()
    return x.to(out_device)
