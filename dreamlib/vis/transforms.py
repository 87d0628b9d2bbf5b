"""Transformation robustness: shake the image a little before every step.

A visualisation that only works at one exact pixel alignment is made of
adversarial noise, not of features. Randomly padding, shifting, scaling and
rotating the image before each forward pass (Olah et al., "Feature
Visualization", Distill 2017, section "Transformation Robustness") keeps only
patterns the network still sees after the shake. Each transform here is a
callable ``t(images, generator) -> images`` on a (B, 3, H, W) batch; the random
numbers come from a CPU ``torch.Generator``, so a seed gives the same shakes on
any device. :func:`compose` chains them; :func:`standard` is the default set
(the one Lucid and lucent use, for 128-224 px images). Taught in notebook 09.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Callable

import torch
import torch.nn.functional as F

from ..errors import DreamError

Transform = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def _choice(options: Sequence, generator: torch.Generator):
    return options[int(torch.randint(len(options), (1,), generator=generator))]


def pad(width: int, value: float = 0.5) -> Transform:
    """Pad every side with ``width`` pixels of grey (``value``): the borders get no special treatment."""

    def t(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return F.pad(images, (width,) * 4, mode="constant", value=value)

    return t


def jitter(d: int) -> Transform:
    """Crop ``d`` pixels in all, split at random between the two sides of each axis (a random shift)."""

    def t(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        h, w = images.shape[-2:]
        dy, dx = (int(v) for v in torch.randint(d + 1, (2,), generator=generator))
        return images[..., dy : h - d + dy, dx : w - d + dx]

    return t


def random_scale(scales: Sequence[float]) -> Transform:
    """Resize by a factor drawn from ``scales`` (bilinear)."""

    def t(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        s = float(_choice(scales, generator))
        h, w = images.shape[-2:]
        size = (max(1, round(h * s)), max(1, round(w * s)))
        return F.interpolate(images, size=size, mode="bilinear", align_corners=False)

    return t


def random_rotate(degrees: Sequence[float], value: float = 0.5) -> Transform:
    """Rotate about the centre by an angle drawn from ``degrees``; corners that come in are grey (``value``)."""

    def t(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        a = math.radians(float(_choice(degrees, generator)))
        theta = torch.tensor(
            [[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0]],
            dtype=images.dtype,
            device=images.device,
        ).expand(images.shape[0], 2, 3)
        grid = F.affine_grid(theta, list(images.shape), align_corners=False)
        rotated = F.grid_sample(images - value, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        return rotated + value

    return t


def compose(transforms: Sequence[Transform]) -> Transform:
    """Apply ``transforms`` in order."""
    transforms = list(transforms)

    def t(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        for step in transforms:
            images = step(images, generator)
        return images

    return t


def standard() -> Transform:
    """Lucid's standard set: pad 12, jitter 8, scale 0.9-1.1, rotate -10..10 degrees, jitter 4."""
    return compose(
        [
            pad(12),
            jitter(8),
            random_scale([1 + (i - 5) / 50 for i in range(11)]),
            random_rotate(list(range(-10, 11))),
            jitter(4),
        ]
    )


def as_transform(transforms: str | Transform | Sequence[Transform] | None) -> Transform:
    """``"standard"``, ``None``/``"none"`` (no transforms), one transform, or a list of them, as one transform."""
    if transforms is None or transforms == "none":
        return compose([])
    if transforms == "standard":
        return standard()
    if isinstance(transforms, str):
        raise DreamError(f"transforms must be 'standard', 'none', a transform or a list of them, got {transforms!r}")
    if callable(transforms):
        return transforms
    items = list(transforms)
    if not all(callable(item) for item in items):
        raise DreamError("every transform must be a callable t(images, generator) -> images")
    return compose(items)
