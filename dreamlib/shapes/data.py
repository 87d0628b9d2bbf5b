"""The synthetic images the shapes model learns: ten classes of patterns drawn with random colours.

Six two-colour textures and outlines (stripes, checkers, dots, grid, squares,
triangles), then the things DeepDream is famous for seeing everywhere: eyes
(a white almond with a coloured iris and a dark pupil, one to three per image)
and faces (a round head with two eyes and a mouth), plus waves and spirals.
Sizes, angles, positions and colours are random, with a little pixel noise.
:func:`make_batch` draws a labelled batch; its ``weights`` choose how often each
class appears (lesson 06's dataset bias, lesson 07's "remove a class").
Taught in notebook 07.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from ..errors import DreamError

CLASSES = ("stripes", "checkers", "dots", "grid", "squares", "triangles", "eyes", "faces", "waves", "spirals")
IMAGE_SIZE = 48
# Palette entries a drawing may use: background, foreground, eye white, iris, pupil (dark).
BG, FG, WHITE, IRIS, DARK = range(5)


def _eye(ys, xs, cy, cx, half_width, half_height, angle, gaze, iris_scale, pupil_scale) -> torch.Tensor:
    """Palette indices of one almond eye (0 outside it): white, a coloured iris clipped to the almond, a dark pupil."""
    dy, dx = ys - cy, xs - cx
    u = dx * torch.cos(angle) + dy * torch.sin(angle)
    v = -dx * torch.sin(angle) + dy * torch.cos(angle)
    almond = (u.abs() < half_width) & (v.abs() < half_height * (1 - (u / half_width) ** 2))
    r = ((u - gaze * half_width) ** 2 + v**2).sqrt()
    iris_r = half_height * iris_scale
    out = torch.zeros_like(u)
    out = torch.where(almond, float(WHITE), out)
    out = torch.where(almond & (r < iris_r), float(IRIS), out)
    return torch.where(almond & (r < iris_r * pupil_scale), float(DARK), out)


def _draw(name: str, n: int, size: int, g: torch.Generator) -> torch.Tensor:
    """(n, size, size) palette indices (BG, FG, ...) of ``n`` random drawings of one class."""
    r = lambda *shape: torch.rand(*shape, generator=g)  # noqa: E731
    ys, xs = torch.meshgrid(
        torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32), indexing="ij"
    )
    ys, xs = ys[None], xs[None]
    angle = r(n, 1, 1) * math.pi
    u = xs * torch.cos(angle) + ys * torch.sin(angle)
    v = -xs * torch.sin(angle) + ys * torch.cos(angle)
    period = 6 + r(n, 1, 1) * 10
    phase = r(n, 1, 1) * period
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
            corners = [
                centre + radius * torch.stack([torch.sin(turn + k * 2.0944), torch.cos(turn + k * 2.0944)], 1)
                for k in range(3)
            ]
            sides = []
            for a, b in zip(corners, corners[1:] + corners[:1]):  # which side of each edge a pixel is on
                sides.append((b[:, 1] - a[:, 1]) * (ys - a[:, 0]) - (b[:, 0] - a[:, 0]) * (xs - a[:, 1]) >= 0)
            inside = (sides[0] & sides[1] & sides[2]) | (~sides[0] & ~sides[1] & ~sides[2])
            out = torch.maximum(out, inside.float())
        return out
    if name == "eyes":
        out = torch.zeros(n, size, size)
        count = 1 + (r(n, 1, 1) * 3).floor()  # one to three eyes, later ones drawn over earlier ones
        for k in range(3):
            half_width = 7 + r(n, 1, 1) * 8
            cy, cx = [half_width * 0.6 + r(n, 1, 1) * (size - 1.2 * half_width) for _ in range(2)]
            half_height = half_width * (0.45 + 0.25 * r(n, 1, 1))
            eye = _eye(
                ys,
                xs,
                cy,
                cx,
                half_width,
                half_height,
                (r(n, 1, 1) - 0.5) * math.pi,
                (r(n, 1, 1) - 0.5) * 0.5,
                0.8 + 0.3 * r(n, 1, 1),
                0.35 + 0.2 * r(n, 1, 1),
            )
            out = torch.where((eye > 0) & (k < count), eye, out)
        return out
    if name == "faces":
        radius = 12 + r(n, 1, 1) * 9
        cy, cx = [radius * 0.8 + r(n, 1, 1) * (size - 1.6 * radius) for _ in range(2)]
        tilt = (r(n, 1, 1) - 0.5) * 1.2
        dy, dx = ys - cy, xs - cx
        fu = dx * torch.cos(tilt) + dy * torch.sin(tilt)  # face coordinates: fu across, fv down the face
        fv = -dx * torch.sin(tilt) + dy * torch.cos(tilt)
        out = ((fu / (radius * (0.85 + 0.15 * r(n, 1, 1)))) ** 2 + (fv / radius) ** 2 < 1).float()  # head
        spacing, height = (0.3 + 0.12 * r(n, 1, 1)) * radius, -(0.2 + 0.1 * r(n, 1, 1)) * radius
        for side in (-1, 1):  # the eyes sit at (side * spacing, height) in face coordinates
            ex = cx + side * spacing * torch.cos(tilt) - height * torch.sin(tilt)
            ey = cy + side * spacing * torch.sin(tilt) + height * torch.cos(tilt)
            eye = _eye(ys, xs, ey, ex, radius * (0.2 + 0.06 * r(n, 1, 1)), radius * 0.13, tilt, 0.0, 1.0, 0.5)
            out = torch.where(eye > 0, eye, out)
        mouth_r = radius * (0.4 + 0.15 * r(n, 1, 1))
        ring = (((fv - radius * 0.05) ** 2 + fu**2).sqrt() - mouth_r).abs() < 0.6 + radius * 0.05
        smile = ring & (fv > radius * 0.05 + mouth_r * 0.5)  # the lower arc of the ring
        return torch.where(smile, float(DARK), out)
    if name == "waves":
        amplitude = 3 + r(n, 1, 1) * 3
        wavelength = 12 + r(n, 1, 1) * 16
        return ((u + amplitude * torch.sin(2 * math.pi * v / wavelength) + phase) % period < period / 2).float()
    if name == "spirals":
        cy, cx = [size * (0.25 + 0.5 * r(n, 1, 1)) for _ in range(2)]
        arms = 1 + (r(n, 1, 1) * 3).floor()
        sense = torch.where(r(n, 1, 1) < 0.5, -1.0, 1.0)
        theta = torch.atan2(ys - cy, xs - cx) * sense
        radial = ((ys - cy) ** 2 + (xs - cx) ** 2).sqrt()
        return ((radial - period * arms * theta / (2 * math.pi) + phase) % period < period / 2).float()
    raise ValueError(name)


def class_shares(weights: Sequence[float] | None) -> torch.Tensor:
    """The probability of each class in a batch: ``weights`` normalised to sum to 1 (uniform when ``None``).

    A weight of 0 removes that class. Bad input raises a one-line :class:`DreamError`.
    Taught in notebooks 06 (dataset bias) and 07 (removing a class).
    """
    if weights is None:
        return torch.full((len(CLASSES),), 1 / len(CLASSES), dtype=torch.float64)
    if isinstance(weights, (str, bytes, dict)):
        raise DreamError(
            f"class weights must be a sequence of {len(CLASSES)} numbers, one per class, got {type(weights).__name__}"
        )
    try:
        shares = torch.tensor([float(w) for w in weights], dtype=torch.float64)
    except (TypeError, ValueError):
        raise DreamError(
            f"class weights must be a sequence of {len(CLASSES)} numbers, one per class ({', '.join(CLASSES)})"
        ) from None
    if len(shares) != len(CLASSES):
        raise DreamError(
            f"class weights need one number per class, {len(CLASSES)} in all ({', '.join(CLASSES)}); got {len(shares)}"
        )
    if not torch.isfinite(shares).all() or (shares < 0).any():
        raise DreamError(f"class weights must be finite and non-negative, got {[float(w) for w in shares]}")
    if shares.sum() == 0:
        raise DreamError("class weights are all zero: give at least one class a positive share")
    return shares / shares.sum()


def make_batch(
    n: int, generator: torch.Generator | None = None, size: int = IMAGE_SIZE, weights: Sequence[float] | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` random images (n, 3, size, size) in [0, 1] with their labels (n,).

    Each label is drawn independently: uniformly over :data:`CLASSES`, or with
    probabilities proportional to ``weights`` (one non-negative number per class;
    0 leaves a class out). The same ``generator`` seed gives the same batch.
    Taught in notebook 07.
    """
    shares = class_shares(weights)
    g = generator or torch.Generator().manual_seed(0)
    if n <= 0:
        return torch.zeros(0, 3, size, size), torch.zeros(0, dtype=torch.long)
    labels = torch.multinomial(shares.float(), n, replacement=True, generator=g)
    index = torch.zeros(n, size, size)
    for k, name in enumerate(CLASSES):
        idx = (labels == k).nonzero().flatten()
        if len(idx):
            index[idx] = _draw(name, len(idx), size, g)
    fg, bg = torch.rand(n, 3, 1, 1, generator=g), torch.rand(n, 3, 1, 1, generator=g)
    too_close = (fg - bg).abs().sum(1, keepdim=True) < 0.6  # keep the pattern visible
    fg = torch.where(too_close, 1 - bg, fg)
    white = 0.85 + 0.15 * torch.rand(n, 3, 1, 1, generator=g)
    iris = 0.75 * torch.rand(n, 3, 1, 1, generator=g)
    dark = 0.12 * torch.rand(n, 3, 1, 1, generator=g)
    lone_eyes = (labels == CLASSES.index("eyes")).view(n, 1, 1, 1)
    bg = torch.where(lone_eyes & ((white - bg).abs().sum(1, keepdim=True) < 0.6), bg * 0.4, bg)  # whites stand out
    palette = torch.stack([bg, fg, white, iris, dark], 1)  # (n, 5, 3, 1, 1)
    onehot = torch.stack([index == k for k in range(5)], 1).float()[:, :, None]  # (n, 5, 1, H, W)
    images = (palette * onehot).sum(1)
    images = images + 0.03 * torch.randn(images.shape, generator=g)
    return images.clamp(0, 1), labels
