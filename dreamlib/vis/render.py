"""Feature visualisation from noise: :func:`render`, the way it has been done since 2017.

DeepDream (notebooks 03-04) starts from a photo and amplifies whatever is
there. ``render`` starts from faint noise and asks: which image makes this
objective as large as possible? Three ideas from Olah, Mordvintsev and
Schubert ("Feature Visualization", Distill 2017) keep the answer from being
high-frequency noise: a decorrelated Fourier parameterisation
(:mod:`dreamlib.vis.param`), random transformations before every step
(:mod:`dreamlib.vis.transforms`), and optional penalties on the image
(:mod:`dreamlib.vis.regularisers`). The optimiser is Adam, as in Lucid and lucent.
Taught in notebook 12.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Callable, NamedTuple

import torch
from tqdm.auto import tqdm

from ..checks import check_positive, check_whole
from ..errors import DreamError
from ..hooks import forward_until
from ..models import as_dream_model
from ..objectives import Objective
from ..prepare import prepare
from ..recipe import MACO_LR, REDIRECT_RELU_STEPS, RENDER, StepInfo
from .param import ImageParam, Param, as_param, colour_matrix
from .regularisers import Regulariser
from .relu import redirected_relus
from .transforms import MacoCrops, Transform, as_transform


def per_image(objective: Objective, acts: dict, batch: int) -> torch.Tensor:
    """The objective of each of ``batch`` images when a transform handed the network several views of each.

    MACO's crops (:class:`dreamlib.vis.transforms.MacoCrops`) turn ``batch`` images into ``views`` crops of each,
    image by image; objectives that tell images apart by their place in the batch (``diversity``, one class or
    channel per image) must see one view of every image at a time. Image ``i``'s score is the mean over its views.
    """
    views = next(iter(acts.values())).shape[0] // batch
    if views <= 1:
        return objective(acts)
    scores = [objective({name: a[view::views] for name, a in acts.items()}) for view in range(views)]
    return torch.stack(scores).mean(0)


class Attributed(NamedTuple):
    """What :func:`render_attribution` returns: the renders and where the objective's gradient fell on each.

    ``images, maps = dl.render_attribution(...)`` unpacks it. Taught in notebook 15.
    """

    images: torch.Tensor  # (batch, 3, size, size) in [0, 1], on the CPU
    maps: torch.Tensor  # (batch, 1, size, size) in [0, 1], each divided by its maximum


def render_attribution(model: torch.nn.Module, objective: Objective | str | None = None, **settings) -> Attributed:
    """:func:`render` with the same ``settings``, and where the objective's gradient fell over the whole run.

    Returns :class:`Attributed` ``(images, maps)``: ``maps`` (batch, 1, size, size) in [0, 1] is MACO's
    "transparency" map (Fel et al. 2023): the accumulated absolute input gradient, summed over colours, each map
    divided by its maximum. Any parameterisation works. Taught in notebook 15.
    """
    _no_attribution_flag(settings)
    return Attributed(*_render(model, objective, attribution=True, **settings))


def render(model: torch.nn.Module, objective: Objective | str | None = None, **settings) -> torch.Tensor:
    """Optimise ``batch`` images from noise to maximise ``objective``; returns (batch, 3, size, size) in [0, 1].

    ``objective``: a layer name (its mean), any :class:`Objective` (channel,
    class_logit, diversity, direction, sums, ``-obj``...) or ``None`` for the
    model's default layer. The settings, all keywords:

    ``size`` (pixels), ``steps``, ``batch`` (images at once), ``seed`` (fixes the starting noise and every random
    transform, so a run repeats exactly on one machine), ``progress``, ``callback`` (called with a
    :class:`dreamlib.StepInfo` after each step). ``param``: ``"fft"`` (decorrelated Fourier basis,
    the default), ``"pixel"`` (the plain basis, for comparison), ``"maco"``
    (only the phases, magnitudes fixed to a natural-image template:
    :mod:`dreamlib.vis.maco`; ``dl.Param("maco", spectrum=...)`` brings your own
    template), or a :class:`dreamlib.Param`; ``decorrelate=False`` keeps RGB channels.
    ``transforms``: ``"auto"`` (``"maco"`` for ``param="maco"``, else
    ``"standard"``), ``"standard"`` (pad, jitter, scale, rotate), ``"maco"``
    (MACO's shrinking random crops plus noise: :class:`dreamlib.vis.transforms.MacoCrops`),
    ``None``, or your own list from :mod:`dreamlib.vis.transforms`. ``lr``: Adam's learning rate (None: 0.05, or
    1.0 for ``"maco"``, as in its authors' code). ``regularisers``: penalties
    from :mod:`dreamlib.vis.regularisers`, subtracted from the objective. ``valid``: how the raw values become
    [0, 1] pixels (``"sigmoid"``). Works on any ``nn.Module`` taking [0, 1]
    RGB, on the model's device. The result is on the CPU, as float32. A
    :func:`dreamlib.faster` model steps on its faster twin, in float32. ``redirect_relu``: for that many first
    steps every ReLU passes Lucid's redirected gradient to an image that nothing reaches through it
    (:mod:`dreamlib.vis.relu`), so a unit silent on the starting noise still gets a visualisation; 0 gives the
    plain gradient throughout.
    :func:`render_attribution` also returns where the gradient fell. Taught in notebooks 12 (``redirect_relu`` in 18).
    """
    _no_attribution_flag(settings)
    return _render(model, objective, attribution=False, **settings)[0]


def _no_attribution_flag(settings: dict) -> None:
    if "attribution" in settings:
        raise DreamError("render returns the images only: dl.render_attribution(...) returns (images, maps)")


def _render(  # noqa: PLR0913, C901 (keyword settings; the loop with its optional MACO, maps and redirect)
    model: torch.nn.Module,
    objective: Objective | str | None = None,
    *,
    size: int = RENDER.size,
    param: str | Param = "fft",
    decorrelate: bool = True,
    transforms: str | Transform | Sequence[Transform] | None = "auto",
    steps: int = RENDER.steps,
    lr: float | None = None,
    seed: int | None = None,
    progress: bool = True,
    batch: int = 1,
    callback: Callable[[StepInfo], None] | None = None,
    regularisers: Sequence[Regulariser] = (),
    valid: str = "sigmoid",
    attribution: bool = False,
    redirect_relu: int = REDIRECT_RELU_STEPS,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The loop of :func:`render`: ``(images, maps)``, ``maps`` None unless ``attribution`` (its docstring has the
    settings)."""
    check_whole("steps", steps)
    check_whole("redirect_relu", redirect_relu, low=0)
    settings = as_param(param, decorrelate)
    if lr is None:
        lr = MACO_LR if settings.kind == "maco" else RENDER.lr
    check_positive("lr", lr)
    check_whole("size", size)
    check_whole("batch", batch)
    dm = as_dream_model(model)
    if size < dm.min_size:
        raise DreamError(f"size must be at least {dm.min_size} px for {dm.name}, got {size}")
    trial = torch.zeros(1, 3, size, size, device=dm.device)
    dm, net, objective = prepare(dm, objective, trial, check=False, precision="fp32")  # renders stay in fp32
    if transforms == "auto":
        transforms = "maco" if settings.kind == "maco" else "standard"
    shake = as_transform(transforms, steps)
    if isinstance(shake, MacoCrops) and shake.output is None and size * sum(shake.box) / 2 < dm.min_size:
        shake.output = dm.min_size  # crops resized up to the smallest input the network takes (InceptionV3: 75 px)
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    matrix = colour_matrix(dm) if settings.decorrelate else None
    magnitude = None
    if settings.kind == "maco":
        from .maco import spectrum_for

        magnitude = settings.spectrum if settings.spectrum is not None else spectrum_for(dm)
    image = ImageParam(
        batch, size, param=settings, matrix=matrix, valid=valid, generator=generator, magnitude=magnitude
    )
    image = image.to(dm.device)
    opt = torch.optim.Adam(image.parameters(), lr=lr)
    bar = tqdm(range(steps), desc="rendering", disable=not progress, leave=False)
    where = torch.zeros(batch, 1, size, size, device=dm.device) if attribution else None
    try:
        for step in bar:
            pictures = image()
            with redirected_relus() if step < redirect_relu else nullcontext():
                acts = forward_until(net, shake(pictures, generator), objective.layers)
            score = per_image(objective, acts, batch)
            loss = -score.sum()
            for penalty in regularisers:
                loss = loss + penalty(pictures).sum()
            opt.zero_grad(set_to_none=True)
            if where is None:
                (grad,) = torch.autograd.grad(loss, [image.raw])  # the model's weights get no gradient
            else:
                grad, seen = torch.autograd.grad(loss, [image.raw, pictures])
                where += seen.detach().abs().sum(1, keepdim=True)
            image.raw.grad = grad
            opt.step()
            if callback is not None:
                callback(StepInfo(0, 1, step, steps, float(score.detach().sum()), pictures.detach()))
    finally:
        bar.close()
    with torch.no_grad():
        final = image().detach().cpu().float()
    if where is None:
        return final, None
    peak = where.amax(dim=(1, 2, 3), keepdim=True).clamp(min=1e-30)
    return final, (where / peak).cpu().float()


# help(dl.render) and editors show every setting, as if written out: they are _render's, less the internal flag.
_SETTINGS = [p for p in inspect.signature(_render).parameters.values() if p.name != "attribution"]
render.__signature__ = inspect.signature(_render).replace(parameters=_SETTINGS, return_annotation=torch.Tensor)
render_attribution.__signature__ = inspect.signature(_render).replace(
    parameters=_SETTINGS, return_annotation=Attributed
)
