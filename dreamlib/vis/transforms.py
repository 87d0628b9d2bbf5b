"""Transformation robustness: shake the image a little before every step.

A visualisation that only works at one exact pixel alignment is made of
adversarial noise, not of features. Randomly padding, shifting, scaling and
rotating the image before each forward pass (Olah et al., "Feature
Visualization", Distill 2017, section "Transformation Robustness") keeps only
patterns the network still sees after the shake. Each transform here is a
callable ``t(images, generator) -> images`` on a (B, 3, H, W) batch; the random
numbers come from a CPU ``torch.Generator``, so a seed gives the same shakes on
any device. :func:`compose` chains them; :func:`standard` is the default set
(the one Lucid and lucent use, for 128-224 px images). Taught in notebook 12.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Callable

import torch
import torch.nn.functional as F

from ..checks import check_whole
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
    """Lucid's standard set: pad 12, jitter 8, scale 0.9-1.1, rotate -10..10 degrees, jitter 4.
    Taught in notebook 13."""
    return compose(
        [
            pad(12),
            jitter(8),
            random_scale([1 + (i - 5) / 50 for i in range(11)]),
            random_rotate(list(range(-10, 11))),
            jitter(4),
        ]
    )


class MacoCrops:
    """MACO's transform (Fel et al., NeurIPS 2023): ``crops`` random square crops of every image per call, each
    resized to ``output`` pixels, plus a little Gaussian and uniform noise (``noise``).

    A crop's side is a share of the image's shorter side drawn uniformly from ``[box[0], upper]``, where ``upper``
    shrinks linearly from ``box[1]`` at the first call to ``box[0]`` at call ``steps``: early steps see most of the
    image, late ones its details. Every side stays in the range asked for (``sides`` records them, in pixels, for
    the last call). Centres scatter around the image's centre (standard deviation 0.15 of its side), always with the
    whole crop inside. ``output`` None: the mean of ``box`` times the image's side (about the image's own scale).
    One call per optimisation step: :func:`dreamlib.render` makes a fresh one per render. Taught in notebook 14.
    """

    def __init__(
        self,
        steps: int,
        box: tuple[float, float] = (0.3, 0.7),
        crops: int = 4,
        noise: float = 0.05,
        output: int | None = None,
    ) -> None:
        lo, hi = (float(v) for v in box)
        if not 0 < lo <= hi <= 1:
            raise DreamError(f"box must be two shares 0 < low <= high <= 1 of the image's side, got {box!r}")
        check_whole("crops", crops)
        check_whole("steps", steps)
        if not 0 <= noise < 1:
            raise DreamError(f"noise must be in [0, 1), got {noise!r}")
        self.steps, self.box, self.crops, self.noise, self.output = steps, (lo, hi), crops, noise, output
        self.calls = 0
        self.sides = torch.empty(0)

    def bounds(self, call: int) -> tuple[float, float]:
        """The range crop sides are drawn from at ``call`` (0-based), as shares of the image's shorter side."""
        lo, hi = self.box
        done = min(call, self.steps - 1) / max(self.steps - 1, 1)
        return lo, hi - (hi - lo) * done

    def __call__(self, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        lo, hi = self.bounds(self.calls)
        self.calls += 1
        b, c, h, w = images.shape
        n, short = b * self.crops, min(h, w)
        share = lo + (hi - lo) * torch.rand(n, generator=generator)
        sx, sy = share * short / w, share * short / h  # the crop's half-extent in grid_sample's [-1, 1] units
        cx = (0.15 * 2 * torch.randn(n, generator=generator)).clamp(-1, 1) * (1 - sx)
        cy = (0.15 * 2 * torch.randn(n, generator=generator)).clamp(-1, 1) * (1 - sy)
        zero = torch.zeros(n)
        theta = torch.stack([torch.stack([sx, zero, cx], 1), torch.stack([zero, sy, cy], 1)], 1)
        side = self.output or max(1, round(short * (self.box[0] + self.box[1]) / 2))
        grid = F.affine_grid(theta.to(images), [n, c, side, side], align_corners=False)
        out = F.grid_sample(images.repeat_interleave(self.crops, 0), grid, mode="bilinear", align_corners=False)
        self.sides = share * short
        if self.noise:
            gauss = torch.randn(out.shape, generator=generator) * self.noise
            uniform = (torch.rand(out.shape, generator=generator) - 0.5) * self.noise
            out = out + (gauss + uniform).to(out)
        return out


def maco_crops(steps: int, **settings) -> MacoCrops:
    """:class:`MacoCrops` for a run of ``steps`` steps (``box``, ``crops``, ``noise``, ``output``). Taught in
    notebook 14."""
    return MacoCrops(steps, **settings)


def as_transform(transforms: str | Transform | Sequence[Transform] | None, steps: int | None = None) -> Transform:
    """``"standard"`` (or ``"auto"``: :func:`dreamlib.render` makes it ``"maco"`` for MACO renders), ``"maco"``
    (:class:`MacoCrops` over ``steps``), ``None``/``"none"`` (no transforms), one transform, or a list of them, as
    one transform."""
    if transforms is None or transforms == "none":
        return compose([])
    if transforms in ("standard", "auto"):
        return standard()
    if transforms == "maco":
        return MacoCrops(steps or 1)
    if isinstance(transforms, str):
        raise DreamError(
            f"transforms must be 'auto', 'standard', 'maco', 'none', a transform or a list of them, got {transforms!r}"
        )
    if callable(transforms):
        return transforms
    items = list(transforms)
    if not all(callable(item) for item in items):
        raise DreamError("every transform must be a callable t(images, generator) -> images")
    return compose(items)
