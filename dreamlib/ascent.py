"""Gradient ascent on the input image — the heart of DeepDream.

Training changes the *weights* to lower a loss; dreaming freezes the weights and
changes the *pixels* to raise an objective. One step: roll the image by a random
offset (jitter), get the gradient of the objective with respect to the pixels,
roll it back, normalise it, take a small step, and clamp to the valid range.
Taught in notebook 03 (gradient ascent).
"""

from __future__ import annotations

import random

import torch

from .device import autocast
from .hooks import forward_until
from .models import DreamModel
from .objectives import Objective


def normalize_gradient(grad: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Divide each image's gradient by its mean absolute value (an L1 norm per pixel).

    Raw gradient sizes differ by orders of magnitude between layers, images and
    steps; after this division the average pixel moves by exactly ``lr`` per step,
    so one learning rate works everywhere. The mean absolute value is what the
    2015 DeepDream code used; it is robust to a few huge gradient entries in a way
    the maximum is not, and cheaper and less outlier-driven than the L2 norm.
    """
    return grad / (grad.abs().mean(dim=tuple(range(1, grad.dim())), keepdim=True) + eps)


def random_shift(jitter: int, rng: random.Random) -> tuple[int, int]:
    """A random (dy, dx) offset in [-jitter, jitter] for the roll."""
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
    """
    images = images.detach().contiguous(memory_format=torch.channels_last).requires_grad_(True)
    with autocast(precision, images.device):
        acts = forward_until(model, images, objective.layers)
    score = objective(acts)
    (grad,) = torch.autograd.grad(score.sum(), images)
    return grad, score.detach()


def ascent_step(
    model: DreamModel,
    image: torch.Tensor,
    objective: Objective,
    lr: float = 0.01,
    jitter: int = 32,
    rng: random.Random | None = None,
    precision: str = "fp32",
) -> tuple[torch.Tensor, torch.Tensor]:
    """One jittered, normalised, clamped gradient-ascent step; returns (new image, score before the step)."""
    dy, dx = random_shift(jitter, rng or random.Random())
    rolled = torch.roll(image, shifts=(dy, dx), dims=(2, 3))
    grad, score = image_gradient(model, rolled, objective, precision)
    grad = torch.roll(grad, shifts=(-dy, -dx), dims=(2, 3))
    image = (image + lr * normalize_gradient(grad)).clamp_(0.0, 1.0)
    return image, score
