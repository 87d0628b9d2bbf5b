"""Moving pictures along a flow: warping with ``grid_sample``, occlusion masks, and a flicker number.

A flow is a (N, 2, H, W) tensor of pixel offsets (dx, dy). :func:`warp` looks each output pixel up at its position
plus the flow, bilinearly: with the *backward* flow of a frame (where each of its pixels was in the frame before),
it carries anything drawn on the frame before into this one. Where the two directions of flow disagree, a pixel was
hidden or uncovered between the frames (:func:`occlusion_mask`): nothing there can be carried over.
:func:`flicker` measures how far each dreamed frame is from the one before carried along the flow.
Taught in notebooks 07 (optical flow: warp, occlusion masks) and 08 (flicker).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _grid(flow: torch.Tensor) -> torch.Tensor:
    """Where each pixel looks: its own position plus the flow, as ``grid_sample``'s [-1, 1] coordinates."""
    n, _, h, w = flow.shape
    ys, xs = torch.meshgrid(
        torch.arange(h, device=flow.device, dtype=flow.dtype),
        torch.arange(w, device=flow.device, dtype=flow.dtype),
        indexing="ij",
    )
    x = (xs + flow[:, 0]) * (2 / max(w - 1, 1)) - 1
    y = (ys + flow[:, 1]) * (2 / max(h - 1, 1)) - 1
    return torch.stack([x, y], dim=-1)


def warp(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """``image`` (N, C, H, W) looked up at each pixel's position plus ``flow`` (N, 2, H, W): out[y, x] =
    image[y + dy, x + dx], bilinearly; positions outside the image take the nearest border pixel.

    With a frame's backward flow, this moves the frame before onto this one. Taught in notebook 07.
    """
    return F.grid_sample(image, _grid(flow.to(image.dtype)), mode="bilinear", padding_mode="border", align_corners=True)


def occlusion_mask(backward: torch.Tensor, forward: torch.Tensor) -> torch.Tensor:
    """Which pixels of a frame can be followed to the frame before: (N, 1, H, W), 1 where they can, 0 where not.

    ``backward``: this frame's flow to the one before; ``forward``: the one before's flow to this one. Following a
    pixel back and then forward again should bring it home; where it does not (the test of Sundaram, Brox and Keutzer,
    "Dense point trajectories by GPU-accelerated large displacement optical flow", 2010: a squared miss larger than 1%
    of the two flows' squared lengths plus 0.5 px²), or where its flow leads out of the frame (by more than half a
    pixel), it was hidden or uncovered. Taught in notebook 07.
    """
    there = warp(forward, backward)  # the forward flow, read where each pixel came from
    miss = (backward + there).pow(2).sum(1, keepdim=True)
    allowed = 0.01 * (backward.pow(2).sum(1, keepdim=True) + there.pow(2).sum(1, keepdim=True)) + 0.5
    _, _, h, w = backward.shape
    ys, xs = torch.meshgrid(
        torch.arange(h, device=backward.device, dtype=backward.dtype),
        torch.arange(w, device=backward.device, dtype=backward.dtype),
        indexing="ij",
    )
    x, y = xs + backward[:, 0:1], ys + backward[:, 1:2]  # where each pixel was; half a pixel past the edge still counts
    inside = (x >= -0.5) & (x <= w - 0.5) & (y >= -0.5) & (y <= h - 0.5)
    return ((miss <= allowed) & inside).to(backward.dtype)


def flicker_sums(now: torch.Tensor, before: torch.Tensor, backward: torch.Tensor, mask: torch.Tensor):
    """One frame's share of :func:`flicker`: (summed mean-over-colours |now - before carried along the flow| over
    the followed pixels, how many pixels were followed). :func:`dreamlib.dream_video` adds these up as it goes."""
    carried = warp(before, backward)
    return float(((now - carried).abs().mean(1, keepdim=True) * mask).sum()), float(mask.sum())


def flicker(dreams: list[torch.Tensor], backward_flows: list[torch.Tensor], masks: list[torch.Tensor]) -> float:
    """Mean absolute difference between each frame and the frame before carried along the flow, over the pixels
    that can be followed (0: no flicker at all; lower is steadier).

    ``dreams``: frames (1, 3, H, W) in [0, 1]; ``backward_flows[t - 1]`` and ``masks[t - 1]``: frame t's backward flow
    and occlusion mask, from the undreamed frames. Taught in notebook 08.
    """
    total = weight = 0.0
    for t in range(1, len(dreams)):
        frame_total, frame_weight = flicker_sums(dreams[t], dreams[t - 1], backward_flows[t - 1], masks[t - 1])
        total, weight = total + frame_total, weight + frame_weight
    return total / weight if weight else 0.0
