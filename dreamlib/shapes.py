"""A dreamer you train yourself: synthetic pattern images and a small CNN that learns them.

Six classes of 48x48 two-colour patterns — stripes, checkers, dots, grid,
squares, triangles — drawn with random colours, sizes, angles and positions. A small
CNN learns them to high accuracy in about a minute on two CPU cores. Its weights
ship with dreamlib, so ``load_model("shapes")`` gives real learned dreams with no
download: it dreams only of the patterns it was trained on. Taught in notebook 07.
"""

from __future__ import annotations

import math
import time
from importlib import resources
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

CLASSES = ("stripes", "checkers", "dots", "grid", "squares", "triangles")
IMAGE_SIZE = 48


def _mask(kind: int, n: int, size: int, g: torch.Generator) -> torch.Tensor:
    """(n, size, size) patterns in [0, 1] of one class."""
    r = lambda *shape: torch.rand(*shape, generator=g)  # noqa: E731
    ys, xs = torch.meshgrid(torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32), indexing="ij")
    ys, xs = ys[None], xs[None]
    angle = (r(n, 1, 1) * math.pi)
    u = xs * torch.cos(angle) + ys * torch.sin(angle)
    v = -xs * torch.sin(angle) + ys * torch.cos(angle)
    period = 6 + r(n, 1, 1) * 10
    phase = r(n, 1, 1) * period
    name = CLASSES[kind]
    if name == "stripes":
        return ((u + phase) % period < period / 2).float()
    if name == "checkers":
        return (((u + phase) // (period / 2) + (v + phase) // (period / 2)) % 2).float()
    if name == "dots":
        du = (u + phase) % period - period / 2
        dv = (v + phase) % period - period / 2
        return ((du**2 + dv**2).sqrt() < period * (0.18 + 0.12 * r(n, 1, 1))).float()
    if name == "grid":
        width = 1.5 + r(n, 1, 1) * 1.5
        return ((((u + phase) % period) < width) | (((v + phase) % period) < width)).float()
    if name == "squares":
        out = torch.zeros(n, size, size)
        for _ in range(3):
            side = 8 + r(n, 1, 1) * 12
            y0, x0 = r(n, 1, 1) * (size - side), r(n, 1, 1) * (size - side)
            inside = (ys >= y0) & (ys < y0 + side) & (xs >= x0) & (xs < x0 + side)
            out = torch.maximum(out, inside.float())
        return out
    if name == "triangles":
        out = torch.zeros(n, size, size)
        for _ in range(3):
            centre = r(n, 2, 1, 1) * size
            radius = 7 + r(n, 1, 1, 1) * 10
            turn = r(n, 1, 1) * 2 * math.pi
            corners = [centre + radius * torch.stack([torch.sin(turn + k * 2.0944), torch.cos(turn + k * 2.0944)], 1)
                       for k in range(3)]
            sides = []
            for a, b in zip(corners, corners[1:] + corners[:1]):  # which side of each edge a pixel is on
                sides.append((b[:, 1] - a[:, 1]) * (ys - a[:, 0]) - (b[:, 0] - a[:, 0]) * (xs - a[:, 1]) >= 0)
            inside = (sides[0] & sides[1] & sides[2]) | (~sides[0] & ~sides[1] & ~sides[2])
            out = torch.maximum(out, inside.float())
        return out
    raise ValueError(kind)


def make_batch(n: int, generator: torch.Generator | None = None, size: int = IMAGE_SIZE) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` random images (n, 3, size, size) in [0, 1] with their labels (n,), classes balanced at random.

    Taught in notebook 07.
    """
    g = generator or torch.Generator().manual_seed(0)
    labels = torch.randint(len(CLASSES), (n,), generator=g)
    masks = torch.zeros(n, size, size)
    for k in range(len(CLASSES)):
        idx = (labels == k).nonzero().flatten()
        if len(idx):
            masks[idx] = _mask(k, len(idx), size, g)
    fg, bg = torch.rand(n, 3, 1, 1, generator=g), torch.rand(n, 3, 1, 1, generator=g)
    too_close = (fg - bg).abs().sum(1, keepdim=True) < 0.6  # keep the pattern visible
    fg = torch.where(too_close, 1 - bg, fg)
    images = bg + (fg - bg) * masks[:, None]
    images = images + 0.03 * torch.randn(images.shape, generator=g)
    return images.clamp(0, 1), labels


class ShapesNet(nn.Sequential):
    """Four conv-BatchNorm-ReLU blocks and a linear classifier; blocks conv1..conv4 are the ones to dream on.

    Taught in notebook 07.
    """

    def __init__(self, classes: int = len(CLASSES)) -> None:
        super().__init__()
        widths = [3, 16, 32, 64, 96]
        for i in range(4):
            self.add_module(f"conv{i + 1}", nn.Sequential(
                nn.Conv2d(widths[i], widths[i + 1], 3, stride=1 if i == 0 else 2, padding=1, bias=False),
                nn.BatchNorm2d(widths[i + 1]),
                nn.ReLU(),
            ))
        self.add_module("pool", nn.AdaptiveAvgPool2d(1))
        self.add_module("flatten", nn.Flatten())
        self.add_module("fc", nn.Linear(widths[-1], classes))


MEAN, STD = (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)


def train(
    steps: int = 600,
    batch_size: int = 64,
    lr: float = 3e-3,
    seed: int = 0,
    progress: bool = True,
    callback: Callable[[int, float, float], None] | None = None,
) -> nn.Module:
    """Train a fresh :class:`ShapesNet` on freshly generated batches; returns it in eval mode.

    ``callback(step, loss, batch_accuracy)`` is called after every step (the
    notebook plots it). Deterministic for a given seed on one machine.
    Taught in notebook 07.
    """
    from tqdm.auto import tqdm

    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    net = ShapesNet()
    mean, std = torch.tensor(MEAN).view(1, 3, 1, 1), torch.tensor(STD).view(1, 3, 1, 1)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    bar = tqdm(range(steps), desc="training", disable=not progress)
    for step in bar:
        images, labels = make_batch(batch_size, g)
        logits = net((images - mean) / std)
        loss = F.cross_entropy(logits, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        acc = (logits.argmax(1) == labels).float().mean().item()
        bar.set_postfix(loss=f"{loss.item():.3f}", acc=f"{acc:.0%}")
        if callback is not None:
            callback(step, loss.item(), acc)
    return net.eval()


def accuracy(model: nn.Module, n: int = 600, seed: int = 12345) -> float:
    """Accuracy on ``n`` held-out images (a generator seed never used in training). Taught in notebook 07."""
    images, labels = make_batch(n, torch.Generator().manual_seed(seed))
    with torch.no_grad():
        return (model(images).argmax(1) == labels).float().mean().item()


def shipped_weights():
    """The packaged state dict file (made by ``scripts/train_shapes.py``). Taught in notebook 07."""
    return resources.files("dreamlib").joinpath("weights", "shapes.pth")
