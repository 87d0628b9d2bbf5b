"""Network dissection: which drawn part does each unit of a layer pick out?

Bau et al. ("Network Dissection: Quantifying Interpretability of Deep Visual Representations", CVPR 2017) score a
unit against labelled concept masks. For each unit ``k`` they take the activation level ``T_k`` that only the
top 0.5% of its activations (every position of every image) exceed, upsample each activation map to the
mask's size, keep the pixels at or above ``T_k`` (our addition: and above 0, so a unit is never "on" where it is
silent), and measure over the whole image set how well that region matches
each concept ``c``:

    IoU(k, c) = sum over images |unit region ∩ mask of c| / sum over images |unit region ∪ mask of c|

A unit is called a detector of its best concept when that IoU is above 0.04 (their threshold). Here the
concepts are the parts the world of objects draws (:data:`dreamlib.shapes.PARTS`, from
``make_batch(..., parts=True)``); the units are a layer's channels, or the features of a sparse autoencoder
(:mod:`dreamlib.sae`) trained on that layer. Taught in notebook 19.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..checks import check_index, check_positive
from ..errors import DreamError
from ..hooks import forward_until
from ..models import as_dream_model, short_list

QUANTILE = 0.005  # the share of a unit's activations that count as "on" (Bau et al. 2017)
DETECTOR_IOU = 0.04  # the IoU from which a unit is a detector of its best part (Bau et al. 2017)


def units_layer(dm, units) -> str:
    """The layer ``units`` live on: the name itself, or a sparse autoencoder's layer; checked against ``dm``'s."""
    layer = units if isinstance(units, str) else getattr(units, "layer", None)
    if not isinstance(layer, str):
        raise DreamError(f"units must be a layer name or a sparse autoencoder, got {type(units).__name__}")
    if layer not in dm.layers:
        raise DreamError(f"unknown layer {layer!r}; valid layers: {short_list(dm.layers)}")
    return layer


def unit_maps(model, units, images: torch.Tensor, chunk: int = 64) -> torch.Tensor:
    """The activation maps of ``units`` for ``images``: (N, units, h, w) float32 on the CPU.

    ``units`` is a layer name (its channels) or a sparse autoencoder (:class:`dreamlib.sae.SparseAutoencoder`:
    its features, computed from its layer). Taught in notebook 19.
    """
    dm = as_dream_model(model)
    layer = units_layer(dm, units)
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] != 3:
        raise DreamError("images must be one tensor (N, 3, H, W) in [0, 1]")
    if len(images) == 0:
        raise DreamError("no images: dissection needs at least one picture")
    out = []
    with torch.no_grad():
        for start in range(0, len(images), chunk):
            acts = forward_until(dm, images[start : start + chunk], layer)[layer].float()
            out.append((acts if isinstance(units, str) else units.encode(acts)).cpu())
    return torch.cat(out)


def _on(up: torch.Tensor, thresholds: torch.Tensor) -> torch.Tensor:
    """Where each unit is "on": at or above its threshold, and above 0 (never where the unit is silent)."""
    return (up >= thresholds.view(1, -1, 1, 1)) & (up > 0)


def _check_masks(masks, images: torch.Tensor, parts: Sequence[str]) -> None:
    """Part numbers (N, H, W) in range, or one boolean mask per part (N, parts, H, W); one per image, same size."""
    if not isinstance(masks, torch.Tensor):
        raise DreamError(f"masks must be a tensor of part numbers (N, H, W), got {type(masks).__name__}")
    numbers = masks.dim() == 3 and not masks.is_floating_point() and masks.dtype != torch.bool
    if not numbers and not (masks.dim() == 4 and masks.shape[1] == len(parts)):
        raise DreamError(
            f"masks must be part numbers (N, H, W) or one mask per part (N, {len(parts)}, H, W), "
            f"got {tuple(masks.shape)}"
        )
    if isinstance(images, torch.Tensor) and (len(masks) != len(images) or masks.shape[-2:] != images.shape[-2:]):
        raise DreamError(
            f"masks {tuple(masks.shape)} do not match images {tuple(images.shape)}: one mask per image, same size"
        )
    if numbers and masks.numel() and (masks.min() < 0 or masks.max() >= len(parts)):
        raise DreamError(f"mask values must be part numbers in 0..{len(parts) - 1}, got {int(masks.max())}")


def _one_hot(masks: torch.Tensor, count: int) -> torch.Tensor:
    """A chunk of masks as (n, parts, H, W) booleans (one chunk at a time: the whole set would not fit)."""
    if masks.dim() == 4:
        return masks.bool()
    return masks.unsqueeze(1) == torch.arange(count, device=masks.device).view(1, -1, 1, 1)


@dataclass(frozen=True)
class UnitLabel:
    """One unit's dissection: its best part and IoU, and the runner-up's. Taught in notebook 19."""

    unit: int
    part: str
    iou: float
    runner_up: str
    runner_up_iou: float

    def __str__(self) -> str:
        return f"unit {self.unit}: {self.part} (IoU {self.iou:.3f}; then {self.runner_up}, {self.runner_up_iou:.3f})"


@dataclass(frozen=True)
class Dissection:
    """What :func:`dissect` found: ``ious`` (units, parts) and, per unit, a :class:`UnitLabel` (``result[k]``).

    ``detectors()`` lists the units whose best IoU is above ``min_iou``; ``counts()`` says how many units
    match no part, one part, or several at that level; ``table()`` is the result as text, a row per unit;
    ``plot()`` draws it. Taught in notebook 19.
    """

    layer: str
    parts: tuple[str, ...]
    ious: torch.Tensor  # (units, parts); "background" (part 0 of the shapes world) is never a label
    thresholds: torch.Tensor  # (units,): the activation level each unit's region starts at
    quantile: float
    features: bool = False  # True: the units were a sparse autoencoder's features, not the layer's channels

    def __len__(self) -> int:
        return len(self.ious)

    def __getitem__(self, unit: int) -> UnitLabel:
        check_index("unit", unit, len(self))
        scores = self.ious[unit].clone()
        scores[[i for i, p in enumerate(self.parts) if p == "background"]] = -1.0
        (iou, second), (best, runner) = scores.topk(2)
        return UnitLabel(unit, self.parts[best], float(iou), self.parts[runner], float(second))

    def __iter__(self):
        return (self[k] for k in range(len(self)))

    def detectors(self, min_iou: float = DETECTOR_IOU) -> list[UnitLabel]:
        """The units whose best part's IoU is above ``min_iou``, best first."""
        return sorted((row for row in self if row.iou > min_iou), key=lambda row: -row.iou)

    def counts(self, min_iou: float = DETECTOR_IOU) -> dict[str, int]:
        """How many units match no part, exactly one part, or several parts with an IoU above ``min_iou``."""
        labelled = [p for p in self.parts if p != "background"]
        above = (self.ious[:, [self.parts.index(p) for p in labelled]] > min_iou).sum(1)
        return {"none": int((above == 0).sum()), "one": int((above == 1).sum()), "several": int((above > 1).sum())}

    def table(self, rows: int | None = None) -> str:
        """A text table, one unit per row, best IoU first (``rows``: only the first ones)."""
        ordered = sorted(self, key=lambda row: -row.iou)[:rows]
        lines = [f"{'unit':>4}  {'part':<13} {'IoU':>5}  {'runner-up':<13} {'IoU':>5}"]
        lines += [f"{r.unit:>4}  {r.part:<13} {r.iou:5.3f}  {r.runner_up:<13} {r.runner_up_iou:5.3f}" for r in ordered]
        return "\n".join(lines)

    def __repr__(self) -> str:
        counts = self.counts()
        return (
            f"Dissection of {self.layer}: {len(self)} units, {counts['one'] + counts['several']} detectors "
            f"(IoU > {DETECTOR_IOU})\n{self.table(rows=10)}"
        )

    def regions(self, model, images: torch.Tensor, unit: int, units=None) -> torch.Tensor:
        """Where ``unit`` is on in each of ``images``: (N, H, W) booleans at the images' size.

        ``units``: what was dissected (default: the layer; pass the autoencoder for its features).
        """
        row = self[unit]
        if self.features != (units is not None and not isinstance(units, str)):
            what = (
                "an autoencoder's features: pass units=the autoencoder" if self.features else f"{self.layer}'s channels"
            )
            raise DreamError(f"this dissection is of {what}")
        maps = unit_maps(model, self.layer if units is None else units, images)
        if maps.shape[1] != len(self):
            raise DreamError(f"these units are {maps.shape[1]}, the dissection's {len(self)}: dissect them first")
        maps = maps[:, row.unit : row.unit + 1]
        up = F.interpolate(maps, size=images.shape[-2:], mode="bilinear", align_corners=False)
        return _on(up, self.thresholds[row.unit : row.unit + 1])[:, 0]

    def plot(self, min_iou: float = DETECTOR_IOU, top: int = 16):
        """A matplotlib figure: how many units detect each part (left) and the ``top`` units' IoUs (right)."""
        import matplotlib.pyplot as plt

        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
        found = [row.part for row in self.detectors(min_iou)]
        names = sorted(set(found), key=lambda p: -found.count(p))
        left.barh(names[::-1], [found.count(p) for p in names[::-1]], color="tab:blue")
        left.set_title(f"{self.layer}: units per part (IoU > {min_iou})", fontsize=10)
        best = sorted(self, key=lambda row: -row.iou)[:top]
        right.barh([f"{r.unit}: {r.part}" for r in best[::-1]], [r.iou for r in best[::-1]], color="tab:orange")
        right.axvline(min_iou, color="grey", ls="--", lw=1)
        right.set_title(f"the {len(best)} best units", fontsize=10)
        right.set_xlabel("IoU with its best part")
        fig.tight_layout()
        return fig


def dissect(
    model,
    units,
    images: torch.Tensor,
    masks: torch.Tensor,
    *,
    parts: Sequence[str] | None = None,
    quantile: float = QUANTILE,
    chunk: int = 64,
) -> Dissection:
    """Score every unit of ``units`` against every part: Bau et al.'s network dissection (module docstring).

    ``units`` is a layer name (its channels) or a sparse autoencoder trained on a layer (its features);
    ``images`` (N, 3, H, W) in [0, 1]; ``masks`` the part of each pixel, (N, H, W) part numbers as
    ``dl.shapes.make_batch(..., parts=True)`` returns them, or (N, parts, H, W) booleans; ``parts`` their names
    (default: :data:`dreamlib.shapes.PARTS`). ``quantile``: the top share of each unit's activations that is "on"
    (0.005, Bau et al.'s). Taught in notebook 19.
    """
    check_positive("quantile", quantile)
    if quantile >= 1:
        raise DreamError(f"quantile must be below 1 (the share of activations that count as on), got {quantile}")
    if parts is None:
        from ..shapes.objects import PARTS as parts
    parts = tuple(parts)
    _check_masks(masks, images, parts)
    maps = unit_maps(model, units, images, chunk)
    # Each unit's threshold over all its activations (positions of every image), as NetDissect does it, before
    # upsampling: torch.quantile is limited in size, so the top k values give the same level.
    flat = maps.transpose(0, 1).flatten(1)
    top = max(1, int(round(quantile * flat.shape[1])))
    thresholds = flat.topk(top, dim=1).values[:, -1]
    inter = torch.zeros(maps.shape[1], len(parts), dtype=torch.float64)
    area = torch.zeros(maps.shape[1], dtype=torch.float64)
    part_area = torch.zeros(len(parts), dtype=torch.float64)
    for start in range(0, len(maps), chunk):
        up = F.interpolate(maps[start : start + chunk], size=masks.shape[-2:], mode="bilinear", align_corners=False)
        on = _on(up, thresholds).float()
        onehot = _one_hot(masks[start : start + chunk].cpu(), len(parts)).float()
        inter += torch.einsum("nkhw,nphw->kp", on, onehot).double()
        area += on.sum((0, 2, 3)).double()
        part_area += onehot.sum((0, 2, 3)).double()
    union = area.view(-1, 1) + part_area.view(1, -1) - inter
    ious = torch.where(union > 0, inter / union.clamp(min=1), torch.zeros_like(inter)).float()
    layer = units if isinstance(units, str) else units.layer
    return Dissection(layer, parts, ious, thresholds, quantile, features=not isinstance(units, str))
