"""Penalties on the image itself, subtracted from the objective while rendering.

A regulariser says what a "reasonable" picture looks like without asking the
network: neighbouring pixels should agree (:func:`total_variation`), the image
should not change much when blurred (:func:`blur`), colours should stay near
grey (:func:`l1`), or the picture should stay near a photo
(:func:`near_photo`, the "start from a photo" of Lucid issues #134/#159).
Olah et al. ("Feature Visualization", Distill 2017, section "Regularization")
call these frequency penalisation and priors; they fight high-frequency noise
by penalising it, where the Fourier parameterisation (:mod:`dreamlib.vis.param`)
makes it harder to reach. Each function returns ``r(images) -> (batch,)``
penalties, already multiplied by ``weight``; pass them as
``render(..., regularisers=[...])``. Taught in notebook 13.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from ..errors import DreamError

Regulariser = Callable[[torch.Tensor], torch.Tensor]


def _check_weight(weight: float) -> None:
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
        raise DreamError(f"a regulariser's weight must be a number >= 0, got {weight!r}")


def total_variation(weight: float = 1.0) -> Regulariser:
    """Mean absolute difference between neighbouring pixels (right and down), times ``weight``."""
    _check_weight(weight)

    def r(images: torch.Tensor) -> torch.Tensor:
        dy = (images[..., 1:, :] - images[..., :-1, :]).abs().flatten(1).mean(1)
        dx = (images[..., :, 1:] - images[..., :, :-1]).abs().flatten(1).mean(1)
        return weight * (dy + dx)

    return r


def blur(weight: float = 1.0) -> Regulariser:
    """Mean squared difference between the image and its 3x3 box blur, times ``weight``: fine detail costs."""
    _check_weight(weight)

    def r(images: torch.Tensor) -> torch.Tensor:
        blurred = F.avg_pool2d(F.pad(images, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
        return weight * (images - blurred).pow(2).flatten(1).mean(1)

    return r


def l1(weight: float = 1.0, centre: float = 0.5) -> Regulariser:
    """Mean absolute distance of the pixels from ``centre`` (grey), times ``weight``: only what pays stays coloured."""
    _check_weight(weight)

    def r(images: torch.Tensor) -> torch.Tensor:
        return weight * (images - centre).abs().flatten(1).mean(1)

    return r


def near_photo(photo: torch.Tensor, weight: float = 1.0) -> Regulariser:
    """Mean squared distance from ``photo`` ((1, 3, H, W) in [0, 1], resized to the image), times ``weight``."""
    _check_weight(weight)
    if not isinstance(photo, torch.Tensor) or photo.dim() != 4 or photo.shape[1] != 3:
        raise DreamError("near_photo needs a (1, 3, H, W) photo tensor in [0, 1]")
    photo = photo.detach().float()

    def r(images: torch.Tensor) -> torch.Tensor:
        target = photo.to(images.device)
        if target.shape[-2:] != images.shape[-2:]:
            target = F.interpolate(target, size=images.shape[-2:], mode="bilinear", align_corners=False)
        return weight * (images - target).pow(2).flatten(1).mean(1)

    return r
