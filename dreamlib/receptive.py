"""How much of the image one unit of a layer sees: its receptive field.

Deeper layers see larger patches, which is why they dream larger things (notebook
05). :func:`receptive_field_size` computes the *theoretical* receptive field of a
stack of convolutions and poolings from their kernels, strides and dilations;
:func:`receptive_field` *measures* it on any network by asking which pixels the
gradient of one unit reaches. Taught in notebook 05 (layer comparison).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch
from torch import nn

from .checks import check_whole
from .errors import DreamError, DreamWarning
from .hooks import forward_until
from .models import as_dream_model


def _positive_int(value, what: str, index: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DreamError(f"layer {index}: {what} must be a whole number >= 1, got {value!r}")
    return value


def receptive_field_size(layers: Sequence[Sequence[int]]) -> int:
    """Side in pixels of the input patch one output unit sees, after ``layers`` applied in order.

    ``layers``: ``(kernel, stride)`` or ``(kernel, stride, dilation)`` per
    convolution or pooling layer, first layer first (layers that do not look at
    neighbours, like ReLU or a 1x1 convolution with stride 1, add nothing). With
    ``j`` the distance in input pixels between neighbouring units (the product
    of the strides so far), each layer grows the field by ``(kernel - 1) *
    dilation * j``: starting from ``r = 1, j = 1``, ``r += (k - 1) * d * j`` then
    ``j *= s``. This is the *theoretical* field: every pixel in it can influence
    the unit. Taught in notebook 05.

    >>> receptive_field_size([(3, 1), (3, 2), (2, 2), (5, 1)])  # 3, 5, 7, then 7 + 4 * 4
    23
    """
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence):
        raise DreamError(f"layers must be a list of (kernel, stride) or (kernel, stride, dilation), got {layers!r}")
    r, j = 1, 1
    for i, layer in enumerate(layers):
        if isinstance(layer, (str, bytes)) or not isinstance(layer, Sequence) or len(layer) not in (2, 3):
            raise DreamError(f"layer {i}: expected (kernel, stride) or (kernel, stride, dilation), got {layer!r}")
        k = _positive_int(layer[0], "kernel", i)
        s = _positive_int(layer[1], "stride", i)
        d = _positive_int(layer[2], "dilation", i) if len(layer) == 3 else 1
        r += (k - 1) * d * j
        j *= s
    return r


def _reached(dm, layer: str, size: int, trial: int, seed: int) -> torch.Tensor:
    """(size, size) bool mask of the input pixels the centre unit of ``layer`` depends on, for one random input."""
    g = torch.Generator().manual_seed(seed * 1000 + trial)
    # The probe is made on the CPU (the same on every device) and moved to the model's device.
    x = torch.rand(1, 3, size, size, generator=g).to(dm.device).requires_grad_(True)
    with torch.enable_grad():
        out = forward_until(dm, x, layer)[layer]
        if not isinstance(out, torch.Tensor) or out.dim() != 4:
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise DreamError(
                f"layer {layer!r} has no spatial (N, C, H, W) output (got {shape}); pick a convolutional layer"
            )
        h, w = out.shape[2:]
        (grad,) = torch.autograd.grad(out[0, :, h // 2, w // 2].float().sum(), x)
    return (grad[0].abs().amax(0) > 0).cpu()


def _box(reached: torch.Tensor) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the True pixels, inclusive; None if there are none."""
    rows, cols = reached.any(1).nonzero().flatten().tolist(), reached.any(0).nonzero().flatten().tolist()
    return (rows[0], rows[-1], cols[0], cols[-1]) if rows else None


def _clipped(box: tuple[int, int, int, int] | None, side: int) -> bool:
    return box is not None and (box[0] == 0 or box[2] == 0 or box[1] == side - 1 or box[3] == side - 1)


def receptive_field(
    model: nn.Module, layer: str, size: int | None = None, *, trials: int = 3, max_size: int = 1024, seed: int = 0
) -> int | tuple[int, int]:
    """Measure the receptive field of ``layer``: the patch of pixels its centre unit depends on.

    A random ``(1, 3, S, S)`` image goes through the network as far as
    ``layer`` (:func:`forward_until`); the centre unit's activations (summed over
    channels) are backpropagated to the pixels, and every pixel whose gradient is
    not exactly zero is part of the field. A few random images (``trials``) are
    combined, since a ReLU that is off or a max-pooling that picks another input
    can hide a pixel on one image. Returns the side of the bounding box of those
    pixels: one int when it is square, else ``(height, width)``.

    ``size`` fixes ``S``; by default ``S`` starts at 64 (or the model's
    ``min_size``) and doubles, up to ``max_size``, until the field fits inside
    the image without touching its border. A field that still touches the border
    is clipped by the image: a :class:`DreamWarning` says so (with ``size``
    given, the clipped size is returned). Works for a :class:`DreamModel` and any
    plain ``nn.Module``, on any device (the probe is moved to the model's).

    This measures the *theoretical* receptive field, the one
    :func:`receptive_field_size` computes from kernels and strides. The
    *effective* receptive field (Luo et al., 2016) is much smaller: the gradient
    is large in the middle of the patch and fades towards its edges roughly like
    a Gaussian, so most of a unit's response comes from a central area; that is
    why dreams on a deep layer show objects smaller than the field itself.
    Taught in notebook 05.
    """
    dm = as_dream_model(model)
    dm.module(layer)  # unknown layer: a clear error listing the valid ones
    check_whole("trials", trials)
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < max(dm.min_size, 1)):
        raise DreamError(f"size must be a whole number of pixels >= {max(dm.min_size, 1)} for {dm.name}, got {size!r}")
    side = size if size is not None else max(64, dm.min_size)
    while True:
        reached = _reached(dm, layer, side, 0, seed)
        for trial in range(1, trials):
            if size is None and side < max_size and _clipped(_box(reached), side):
                break  # too small already: grow before spending more trials
            reached |= _reached(dm, layer, side, trial, seed)
        box = _box(reached)
        if box is None:
            raise DreamError(f"no pixel reaches the centre unit of {layer!r} (its gradient is zero everywhere)")
        clipped = _clipped(box, side)
        if not clipped or size is not None or side >= max_size:
            break
        side = min(2 * side, max_size)
    top, bottom, left, right = box
    height, width = bottom - top + 1, right - left + 1
    if clipped:
        warnings.warn(
            f"the receptive field of {layer!r} reaches the border of the {side}x{side} px probe image: "
            f"it is at least {max(height, width)} px, maybe more (pass a larger size= or max_size= to see all)",
            DreamWarning,
            stacklevel=2,
        )
    return height if height == width else (height, width)
