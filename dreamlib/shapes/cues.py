"""Shape or texture? Pictures whose outline says one class and whose surface says another.

Geirhos et al. (2019, "ImageNet-trained CNNs are biased towards texture") made *cue-conflict* images by style
transfer: a cat's shape with an elephant's skin. ImageNet CNNs mostly answered with the texture, people with the
shape, and vision transformers in between, closer to people (Tuli et al. 2021, "Are convolutional neural networks or
transformers more like human vision?"). The shapes world makes its own: :func:`cue_conflict` draws a picture of
one class, keeps its object's outline, and fills the inside with a mosaic of small copies of another class's
object.
:func:`shape_bias` asks a network which cue it follows. Taught in notebook 20.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import DreamError
from .data import CLASSES, IMAGE_SIZE, make_batch
from .objects import CLASS_PARTS, PARTS


def silhouettes(parts: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """(n, H, W) booleans: the pixels showing a part of each picture's own class, its object's silhouette, from the
    part map and labels ``make_batch(..., parts=True)`` returns (the small object of another class left out).
    Taught in notebook 20."""
    own = torch.zeros(len(labels), len(PARTS), dtype=torch.bool)
    for i, k in enumerate(labels.tolist()):
        own[i, [PARTS.index(p) for p in CLASS_PARTS[CLASSES[k]]]] = True
    return own.gather(1, parts.flatten(1)).view_as(parts)


def _mosaic(images: torch.Tensor, masks: torch.Tensor, tiles: int) -> torch.Tensor:
    """Each picture's object (the square around its silhouette) shrunk and repeated ``tiles`` x ``tiles`` times."""
    small = IMAGE_SIZE // tiles
    out = torch.empty_like(images)
    for i, on in enumerate(masks):
        ys, xs = on.nonzero(as_tuple=True)
        if len(ys) == 0:  # nothing of the object is visible: use the whole picture
            ys, xs = torch.tensor([0, IMAGE_SIZE - 1]), torch.tensor([0, IMAGE_SIZE - 1])
        cy, cx = (ys.min() + ys.max() + 1) / 2, (xs.min() + xs.max() + 1) / 2
        half = max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1).item() / 2
        top = int((cy - half).clamp(0, IMAGE_SIZE - 2 * half))
        left = int((cx - half).clamp(0, IMAGE_SIZE - 2 * half))
        side = max(2, round(2 * half))
        crop = images[i : i + 1, :, top : top + side, left : left + side]
        tile = F.interpolate(crop, size=(small, small), mode="bilinear", antialias=True, align_corners=False)
        out[i] = F.pad(tile[0].repeat(1, tiles, tiles), (0, IMAGE_SIZE - small * tiles, 0, IMAGE_SIZE - small * tiles))
    return out


def cue_conflict(
    n: int, seed: int = 0, tiles: int = 2, outline: bool = False
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``n`` pictures (n, 3, 48, 48) with their shape class and texture class (always different), each (n,).

    The shape: a picture of the world whose object's pixels (its parts, ``make_batch(parts=True)``) are replaced,
    so only its silhouette is left; the rest of the picture stays. The texture: the object of a picture of another
    class, cut out, shrunk and repeated ``tiles`` x ``tiles`` times inside the silhouette. ``outline=True`` draws the
    silhouette's edge in near-black, one pixel wide (as the world draws some objects' outlines). Both settings move
    which cue a network follows: lesson 20 tries them. Taught in notebook 20.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise DreamError(f"n must be a whole number of pictures >= 1, got {n!r}")
    if isinstance(tiles, bool) or not isinstance(tiles, int) or not 1 <= tiles <= 8:
        raise DreamError(f"tiles must be a whole number from 1 to 8, got {tiles!r}")
    if not isinstance(outline, bool):
        raise DreamError(f"outline must be True or False, got {outline!r}")
    g = torch.Generator().manual_seed(seed)
    shapes, shape_labels, parts = make_batch(n, g, parts=True)
    texture = (shape_labels + 1 + torch.randint(len(CLASSES) - 1, (n,), generator=g)) % len(CLASSES)
    sources = torch.empty_like(shapes)
    source_parts = torch.empty_like(parts)
    for k in texture.unique().tolist():  # the texture pictures, each of its chosen class
        idx = (texture == k).nonzero().flatten()
        weights = [float(j == k) for j in range(len(CLASSES))]
        sources[idx], _, source_parts[idx] = make_batch(len(idx), g, weights=weights, parts=True)
    mosaics = _mosaic(sources, silhouettes(source_parts, texture), tiles)
    inside = silhouettes(parts, shape_labels).unsqueeze(1)
    pictures = torch.where(inside, mosaics, shapes)
    if outline:  # the pixels just outside the silhouette
        ring = F.max_pool2d(inside.float(), 3, stride=1, padding=1).bool() & ~inside
        pictures = torch.where(ring, torch.full_like(pictures, 0.05), pictures)
    return pictures, shape_labels, texture


@torch.no_grad()
def shape_bias(model: nn.Module, images: torch.Tensor, shape: torch.Tensor, texture: torch.Tensor) -> dict:
    """Which cue ``model`` follows on cue-conflict ``images``: the fractions of its top-1 answers that name the
    shape class, the texture class, or neither, and the shape bias, shape / (shape + texture), Geirhos et al.'s
    measure (1: all shape, 0: all texture). Taught in notebook 20."""
    from .net import _predictions

    answers = _predictions(model, images)
    by_shape = (answers == shape).float().mean().item()
    by_texture = (answers == texture).float().mean().item()
    decided = by_shape + by_texture
    return {
        "shape": by_shape,
        "texture": by_texture,
        "neither": 1 - decided,
        "shape bias": by_shape / decided if decided else float("nan"),
    }
