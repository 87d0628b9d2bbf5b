"""Checkers for notebooks 07 (optical flow) and 08 (dreaming in time): moving a picture along a flow, and flicker."""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from ..video.warp import warp as _reference_warp
from ._shared import _call, _close, _predicted, _report


def _grid_sample(image, flow, by_width=False, swap=False, sign=1.0):
    """The warp written the ways learners get it wrong (for the hints)."""
    n, _, h, w = image.shape
    ys, xs = torch.meshgrid(torch.arange(h, dtype=image.dtype), torch.arange(w, dtype=image.dtype), indexing="ij")
    x, y = xs + sign * flow[:, 0], ys + sign * flow[:, 1]
    x, y = (2 * x / w - 1, 2 * y / h - 1) if by_width else (2 * x / (w - 1) - 1, 2 * y / (h - 1) - 1)
    grid = torch.stack([y, x] if swap else [x, y], dim=-1)
    return F.grid_sample(image, grid, mode="bilinear", padding_mode="border", align_corners=True)


def check_warp(fn: Callable) -> bool:
    """Notebook 07: ``fn(image, flow)`` -> ``image`` (N, C, H, W) looked up at each pixel's position plus ``flow``
    (N, 2, H, W; channel 0 is dx, channel 1 is dy), bilinearly, borders repeated.

    Checked against :func:`dreamlib.video.warp` on a random image with a random smooth flow, and with no flow (the
    image itself).
    """
    name = "warp"
    g = torch.Generator().manual_seed(0)
    image = torch.rand(2, 3, 12, 16, generator=g)
    flow = F.interpolate(torch.randn(2, 2, 3, 4, generator=g) * 2, size=(12, 16), mode="bilinear", align_corners=False)
    got, problem = _call(name, fn, image, flow)
    if problem:
        return _report(name, problem)
    if not isinstance(got, torch.Tensor):
        return _report(name, f"returned a {type(got).__name__}, expected the warped image (a tensor)")
    if got.shape != image.shape:
        return _report(name, f"returned shape {tuple(got.shape)}, expected {tuple(image.shape)}: the image's own")
    expected = _reference_warp(image, flow)
    if not _close(got, expected, atol=1e-4):
        hints = [
            (_grid_sample(image, flow, sign=-1.0), "the picture moved the wrong way: look up at position + flow"),
            (_grid_sample(image, flow, swap=True), "grid_sample wants (x, y) in its last dimension, not (y, x)"),
            (
                _grid_sample(image, flow, by_width=True),
                "with align_corners=True, pixel 0 is -1 and pixel W-1 is +1: divide by (W - 1), not W",
            ),
        ]
        hint = next(
            (text for wrong, text in hints if _close(got, wrong, atol=1e-4)),
            "positions: x + dx and y + dy, scaled to [-1, 1] with 2 * x / (W - 1) - 1, then F.grid_sample",
        )
        return _report(
            name, f"values differ from the reference (largest gap {(got - expected).abs().max():.3g}); {hint}"
        )
    still, problem = _call(name, fn, image, torch.zeros_like(flow))
    if problem or not _close(still, image, atol=1e-4):
        return _report(name, problem or "with no flow, the image must come back as it is")
    return _report(name, None)


SAME_SEED_ANSWERS = {"frame by frame": "frame by frame", "frame-by-frame": "frame by frame", "alone": "frame by frame"}
SAME_SEED_ANSWERS |= {"carried": "carried", "carried along the flow": "carried", "steady": "carried"}


def check_same_seed(prediction, measured: str) -> bool:
    """Notebook 08: does dreaming every frame on its own but with the same seed flicker about as much as ``"frame by
    frame"`` (a new seed per frame), or stay about as steady as ``"carried"``? Your prediction against your run
    (``measured``: the one whose flicker the same-seed video's is closer to).
    """
    if measured == "frame by frame":
        why = (
            "The same seed gives every frame the same jitter rolls, so the dream's patterns grow at about the same "
            "places on the screen; but the picture moves beneath them, and the flicker is measured along the flow, "
            "which follows the picture. Each frame still grows its own patterns on what it shows: only carrying the "
            "dream along the flow moves it with the picture."
        )
    else:
        why = (
            "In this run the same seed made the frames almost as steady as carrying the dream: look at the "
            "space-time slices to see whether its patterns slide with the picture."
        )
    return _predicted(
        "same seed: closer to frame by frame or to carried",
        prediction,
        measured,
        why,
        same=lambda p, m: SAME_SEED_ANSWERS.get(p.strip().lower()) == m,
    )
