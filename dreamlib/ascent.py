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


def random_shift(jitter: int, rng: random.Random) -> tuple[int, int]:
    """A random (dy, dx) offset in [-jitter, jitter] for the roll. Taught in notebook 03."""
    if jitter <= 0:
        return 0, 0
    return rng.randint(-jitter, jitter), rng.randint(-jitter, jitter)


def image_gradient(model: DreamModel, images: torch.Tensor, objective: Objective) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradient of ``objective`` with respect to the pixels of ``images``, and the objective's value.

    The forward pass stops at the last layer the objective needs (lesson 01's
    :func:`forward_until`); only the input's gradient is asked for, so no weight
    gradients are computed. ``images`` are moved to the model's device and dtype on
    the way in; the gradient (in ``images``' float dtype) and the score come back on
    ``images``' device. Taught in notebook 03.
    """
    leaf = images.detach()
    leaf = (leaf if leaf.is_floating_point() else leaf.float()).requires_grad_(True)
    score = objective(forward_until(model, leaf, objective.layers))
    (grad,) = torch.autograd.grad(score.sum(), leaf)
    return grad, score.detach().to(images.device)


def ascent_step(
    model: DreamModel,
    image: torch.Tensor,
    objective: Objective,
    *,
    lr: float = 0.01,
    jitter: int = 32,
    rng: random.Random | None = None,
    precondition: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One jittered, normalised, clamped gradient-ascent step; returns (new image, score before the step).

    Exactly the loop of notebook 03: roll ``image`` by a random offset of up to
    ``jitter`` pixels (from ``rng``, a :class:`random.Random`), take the gradient
    of ``objective``, roll it back, divide it by its mean absolute value
    (:func:`normalize_gradient`), step by ``lr`` and clamp to [0, 1]. The image may
    live anywhere: the step runs on the model's device and the new image comes back
    on ``image``'s device (on a GPU, keep it there between steps to avoid copies).
    ``precondition`` (lesson 12's :func:`dreamlib.vis.param.precondition`) maps the
    pixel gradient to the change one step in another basis makes, before the
    normalisation; without it the step is lesson 03's. Taught in notebook 03.
    """
    dm = as_dream_model(model)
    rng = rng or random.Random()
    out_device = image.device
    image = image.detach()
    image = (image if image.is_floating_point() else image.float()).to(dm.device)
    dy, dx = random_shift(jitter, rng)
    rolled = torch.roll(image, shifts=(dy, dx), dims=(2, 3))
    grad, score = image_gradient(dm, rolled, objective)
    grad = torch.roll(grad, shifts=(-dy, -dx), dims=(2, 3))
    if precondition is not None:
        grad = precondition(grad)
    image = (image + lr * normalize_gradient(grad)).clamp(0.0, 1.0)
    return image.to(out_device), score.to(out_device)
