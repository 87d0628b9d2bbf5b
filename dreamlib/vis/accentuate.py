"""Feature accentuation: what in *this* photo does the unit respond to? Bring it out, and stay near the photo.

Hamblin, Fel, Saha, Konkle and Alvarez ("Feature Accentuation: Revealing 'What' Features Respond to in Natural
Images", 2024) start feature visualisation from a photo instead of noise: the image is described in the decorrelated
Fourier basis of :mod:`dreamlib.vis.param`, seeded so that it *is* the photo, and optimised with random
transformations to raise the objective while a penalty keeps the network's activations at a regularisation layer
close to the photo's. DeepDream (notebooks 03-04) also starts from a photo, but nothing holds it near it: it drifts
into whatever the layer likes; accentuation shows what the unit sees in this picture.

The penalty is the mean squared difference of the activations at ``reg_layer`` between the image and the photo,
both seen through the same transformation. Its weight is ``alpha`` times a balance set, as in the authors' code,
from the sizes of the two gradients: the photo's own penalty gradient is zero, so the balance is measured after the
first step (``balance = |objective gradient| / |penalty gradient|``, sums of absolute values over the parameters).
``ball``: also project the image, after every step, onto the L2 ball of that radius around the photo (in pixels).
Builds on notebooks 04 and 12. Taught in notebook 15 (feature accentuation).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from ..checks import check_non_negative, check_positive, check_whole
from ..errors import DreamError
from ..hooks import OUTPUT, forward_until
from ..models import as_dream_model
from ..objectives import Objective, as_objective
from ..prepare import prepare
from ..recipe import RENDER
from .param import ImageParam, colour_matrix, spectrum_scale, to_rgb
from .transforms import as_transform

EDGE = 1e-3  # photo values are kept in [EDGE, 1 - EDGE] so the sigmoid can be inverted


@dataclass
class Accentuation:
    """What :func:`accentuate` returns: the image (1, 3, H, W) in [0, 1] on the CPU, the objective and the
    activation distance at ``reg_layer`` for the photo and for the image (seen without transformations), the
    balance it used and where the objective's gradient fell (1, 1, H, W) in [0, 1]. Taught in notebook 15."""

    image: torch.Tensor
    objective_before: float
    objective_after: float
    distance: float
    balance: float
    attribution: torch.Tensor


def seed_fourier(param: ImageParam, photo: torch.Tensor) -> None:
    """Set an ``"fft"`` :class:`ImageParam`'s coefficients so that ``param()`` is ``photo`` (1, 3, H, W), up to
    ``EDGE``: the inverse of its sigmoid, colour matrix, 1/f scale and inverse FFT. Taught in notebook 15."""
    if param.settings.kind != "fft":
        raise DreamError("only a Fourier parameterisation (param='fft') can be seeded with a photo")
    h, w = param.size
    logits = torch.logit(photo.float().clamp(EDGE, 1 - EDGE))
    raw = logits if param.matrix is None else to_rgb(logits, torch.linalg.inv(param.matrix.double()).float())
    coeffs = torch.fft.rfft2(raw * 4.0, norm="ortho") / spectrum_scale(h, w, param.settings.decay).to(raw.device)
    with torch.no_grad():
        param.raw.copy_(torch.view_as_real(coeffs).expand_as(param.raw))


def accentuate(  # noqa: PLR0913 (keyword settings, each with a default)
    model: torch.nn.Module,
    photo,
    objective: Objective | str | None = None,
    *,
    reg_layer: str | None = None,
    alpha: float = 1.0,
    steps: int = 64,
    lr: float = RENDER.lr,
    transforms="standard",
    ball: float | None = None,
    seed: int | None = 0,
    size: int | None = None,
    progress: bool = True,
) -> Accentuation:
    """Accentuate ``objective`` in ``photo`` (a path, URL, sample name or (1, 3, H, W) tensor in [0, 1]).

    ``reg_layer`` (default: the objective's first layer) is where the image must stay close to the photo, with weight
    ``alpha`` (0: no penalty; larger: closer) times the automatic balance. ``steps`` Adam steps of ``lr`` on the
    decorrelated Fourier coefficients; ``transforms`` as :func:`dreamlib.render`'s; ``ball``: the largest L2
    distance from the photo, in pixels (None: no limit); ``size``: the longest side to work at (default: the
    photo's, shrunk to at most 512 px). Works on any ``nn.Module`` on the model's device (a :func:`dreamlib.faster`
    model steps on its faster twin, in float32). Returns an
    :class:`Accentuation`. Taught in notebook 15.
    """
    from ..images import load_image

    check_whole("steps", steps)
    check_positive("lr", lr)
    check_non_negative("alpha", alpha)
    if alpha > 0 and steps < 2:
        raise DreamError("accentuate needs at least 2 steps when alpha > 0: the balance is measured after the first")
    if transforms == "maco":
        raise DreamError("accentuate takes 'standard', 'none' or your own transforms, not MACO's crops")
    if ball is not None:
        check_positive("ball", ball)
    dm = as_dream_model(model)
    objective = as_objective(objective if objective is not None else dm.default_layer)
    reg_layer = reg_layer or next((name for name in objective.layers if name != OUTPUT), OUTPUT)
    image0 = load_image(photo, max_size=size or 512).float().to(dm.device)
    h, w = image0.shape[-2:]
    dm, net, objective = prepare(dm, objective, image0, also=[reg_layer], check=False, precision="fp32")
    layers = sorted({*objective.layers, reg_layer})
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    shake = as_transform(transforms, steps)
    param = ImageParam(1, h, w, param="fft", matrix=colour_matrix(dm)).to(dm.device)
    seed_fourier(param, image0)
    target = param().detach()  # the photo as the parameterisation makes it (within EDGE of the photo)
    opt = torch.optim.Adam(param.parameters(), lr=lr)
    where = torch.zeros(1, 1, h, w, device=dm.device)
    balance = None

    def scores(transformed):
        both = forward_until(net, transformed, layers)
        mine = {k: v[:1] for k, v in both.items()}
        theirs = both[reg_layer][1:]
        return objective(mine).sum(), (mine[reg_layer] - theirs).pow(2).mean()

    bar = tqdm(range(steps), desc="accentuating", disable=not progress, leave=False)
    try:
        for step in bar:
            pictures = param()
            score, distance = scores(shake(torch.cat([pictures, target]), generator))
            if balance is None and step >= 1 and alpha > 0:
                (g_obj,) = torch.autograd.grad(score, [param.raw], retain_graph=True)
                (g_reg,) = torch.autograd.grad(distance, [param.raw], retain_graph=True)
                balance = float(g_obj.abs().sum() / g_reg.abs().sum().clamp(min=1e-30))
            loss = -score + alpha * (balance or 0.0) * distance
            (grad,) = torch.autograd.grad(loss, [param.raw], retain_graph=True)
            (seen,) = torch.autograd.grad(score, [pictures])  # where the objective's own gradient fell
            where += seen.detach().abs().sum(1, keepdim=True)
            param.raw.grad = grad
            opt.step()
            if ball is not None:
                with torch.no_grad():
                    now = param()
                    gap = (now - target).norm()
                    if gap > ball:
                        seed_fourier(param, target + (now - target) * (ball / gap))
    finally:
        bar.close()
    with torch.no_grad():
        final = param()
        before, _ = scores(torch.cat([target, target]))
        after, distance = scores(torch.cat([final, target]))
    peak = where.amax().clamp(min=1e-30)
    return Accentuation(
        image=final.cpu().float(),
        objective_before=float(before),
        objective_after=float(after),
        distance=float(distance),
        balance=balance or 0.0,
        attribution=(where / peak).cpu().float(),
    )
