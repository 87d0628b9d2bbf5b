"""Decorrelated colour: the square root of a data set's colour covariance, and the change of basis it makes.

Olah, Mordvintsev and Schubert ("Feature Visualization", Distill 2017, section "Preconditioning and
Parameterization") optimise an image in three *decorrelated* channels whose covariance is the identity, mapped to
RGB by the square root of the colour covariance of the training data. :func:`colour_matrix` gives that square root
for a model: ImageNet's, as Lucid published it, or one estimated from the shapes world's pictures. Used by the
Fourier parameterisation (:mod:`dreamlib.vis.param`), MACO's spectrum (:mod:`dreamlib.vis.maco`) and
``dream(param="fft")``. Taught in notebook 12.
"""

from __future__ import annotations

from functools import cache

import torch
from torch import nn

from ..errors import DreamError

# The square root of ImageNet's RGB colour covariance (columns: decorrelated channels), as published in Lucid
# (lucid/optvis/param/color.py, "color_correlation_svd_sqrt") and reused by lucent.
IMAGENET_COLOUR_SQRT = ((0.26, 0.09, 0.02), (0.27, 0.00, -0.05), (0.27, -0.09, 0.03))


def estimate_colour_matrix(images: torch.Tensor) -> torch.Tensor:
    """The square root of the colour covariance of ``images`` (N, 3, H, W): ``U diag(sqrt(s))`` from its eigenvectors.

    Multiplying three uncorrelated unit-variance channels by it gives colours
    with the images' covariance. Taught in notebook 12.
    """
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] != 3:
        raise DreamError("estimate_colour_matrix needs a (N, 3, H, W) batch of images")
    pixels = images.detach().double().permute(0, 2, 3, 1).reshape(-1, 3)
    pixels = pixels - pixels.mean(0)
    values, vectors = torch.linalg.eigh(pixels.T @ pixels / len(pixels))
    order = values.argsort(descending=True)
    return (vectors[:, order] * values[order].clamp(min=0).sqrt()).float()


@cache
def _shapes_colour_matrix() -> torch.Tensor:
    from ..shapes.data import make_batch

    images, _ = make_batch(512, torch.Generator().manual_seed(0))
    return estimate_colour_matrix(images)


def colour_matrix(model: nn.Module | None = None) -> torch.Tensor:
    """The (3, 3) colour square root for ``model``, scaled so its largest column has length 1.

    A model of the shapes world (named ``shapes``, or classifying :data:`dreamlib.shapes.CLASSES`: the shipped model,
    its twin, the judge, one you train in notebook 09, a copy that :func:`dreamlib.fooling.fool` made) gets one
    estimated from that world's images (512 of :func:`dreamlib.shapes.make_batch`, seed 0); every other model gets
    ImageNet's. Taught in notebook 12.
    """
    from ..shapes.data import CLASSES

    if getattr(model, "name", None) == "shapes" or list(getattr(model, "categories", None) or ()) == list(CLASSES):
        matrix = _shapes_colour_matrix().clone()
    else:
        matrix = torch.tensor(IMAGENET_COLOUR_SQRT)
    return matrix / matrix.norm(dim=0).max()


def to_rgb(raw: torch.Tensor, matrix: torch.Tensor | None) -> torch.Tensor:
    """Decorrelated channels (B, 3, H, W) -> RGB: each pixel's 3-vector times ``matrix`` (or unchanged if None).
    Taught in notebook 12; notebook 14 uses it by hand."""
    if matrix is None:
        return raw
    return torch.einsum("ij,bjhw->bihw", matrix.to(raw), raw)
