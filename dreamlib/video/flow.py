"""Optical flow: where each pixel of one frame went in the next.

:func:`optical_flow` estimates it with Gunnar Farnebäck's method ("Two-frame motion estimation based on polynomial
expansion", 2003), from OpenCV (``opencv-python-headless``, a dependency): it fits a quadratic polynomial to each
pixel's neighbourhood in both frames and solves for the shift that turns one into the other, coarse to fine, on the
CPU, with no weights to download. ``method="raft"`` uses torchvision's RAFT-small network (Teed and Deng, "RAFT:
Recurrent All-Pairs Field Transforms for Optical Flow", 2020) instead: its weights come through the same cache as
the ImageNet weights, and never silently from anywhere else. Taught in notebook 07 (optical flow).
"""

from __future__ import annotations

import functools

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import DreamError

METHODS = ("farneback", "raft")


def _grey(frame: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)


def farneback(first: np.ndarray, second: np.ndarray) -> torch.Tensor:
    """The flow from ``first`` to ``second`` (uint8 (H, W, 3) RGB frames) as a (1, 2, H, W) tensor of (dx, dy):
    the pixel at (x, y) in ``first`` is at (x + dx, y + dy) in ``second``. Taught in notebook 07."""
    import cv2

    flow = cv2.calcOpticalFlowFarneback(
        _grey(first),
        _grey(second),
        None,
        pyr_scale=0.5,
        levels=4,
        winsize=15,
        iterations=3,
        poly_n=5,
        poly_sigma=1.1,
        flags=0,
    )
    return torch.from_numpy(flow).permute(2, 0, 1).unsqueeze(0).float()


@functools.lru_cache(maxsize=2)
def _raft(device: str):
    from torchvision.models.optical_flow import Raft_Small_Weights, raft_small

    from ..io.weights import fetch_imagenet_weights

    url = Raft_Small_Weights.DEFAULT.url
    state = fetch_imagenet_weights("raft_small", url, what="RAFT weights", other_options="or use flow='farneback'")
    net = raft_small(weights=None)
    net.load_state_dict(state)
    for p in net.parameters():
        p.requires_grad_(False)
    return net.eval().to(device)


def raft(first: np.ndarray, second: np.ndarray, device: str = "cpu") -> torch.Tensor:
    """:func:`farneback`'s flow, estimated by torchvision's RAFT-small (weights from the torch-hub cache)."""
    net = _raft(str(device))
    pair = [
        torch.from_numpy(np.ascontiguousarray(f)).permute(2, 0, 1).unsqueeze(0).float() / 127.5 - 1
        for f in (first, second)
    ]
    h, w = pair[0].shape[-2:]
    pad = (0, max(128, w + -w % 8) - w, 0, max(128, h + -h % 8) - h)  # RAFT wants sides of 8k, at least 128
    pair = [F.pad(x, pad, mode="replicate").to(device) for x in pair]
    with torch.no_grad():
        flow = net(*pair)[-1]
    return flow[..., :h, :w].float().cpu()


def optical_flow(first: np.ndarray, second: np.ndarray, method: str = "farneback", device="cpu") -> torch.Tensor:
    """The flow from ``first`` to ``second``, (1, 2, H, W) pixel offsets (dx, dy) on the CPU, by ``method``
    (``"farneback"``, on the CPU, or ``"raft"``, on ``device``). Taught in notebook 07."""
    if method == "farneback":
        return farneback(first, second)
    if method == "raft":
        return raft(first, second, device)
    raise DreamError(f"unknown flow method {method!r}; use one of {', '.join(METHODS)}")
