"""How the shapes world draws its things: eyes, faces, dog faces, birds, flowers, houses, stars, cars, cups.

Every object is built from a few soft shapes given by their *signed distance* (negative inside, positive
outside, in the object's own units): ellipses, boxes, convex polygons, thick line segments. An object lives in
its own frame: ``u`` runs across it and ``v`` down it, one unit is ``scale`` pixels, and the frame is placed,
tilted, flipped and stretched at random, so the same drawing code makes a dog's face at any size and pose.
Parts are painted in order, each in a colour from the image's palette (``body``, ``acc1``, ``acc2``, ``light``,
``dark``), with a one-pixel soft edge so small shapes stay smooth. Used by :mod:`dreamlib.shapes.data`.
Taught in notebook 09.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import torch


@dataclass
class Frame:
    """Object coordinates of every pixel: ``u`` across, ``v`` down, both (n, H, W) in object units."""

    u: torch.Tensor
    v: torch.Tensor
    scale: torch.Tensor  # (n, 1, 1) pixels per object unit


def frame(n: int, size: int, rand, scale: tuple[float, float], margin: float = 0.9) -> Frame:
    """A random placement: size ``scale`` (fractions of the image), centre, tilt (±0.35 rad), mirror, stretch."""
    s = size * (scale[0] + (scale[1] - scale[0]) * rand(n))
    room = (size - 2 * margin * s).clamp(min=0)
    cy, cx = size / 2 + (rand(n) - 0.5) * room, size / 2 + (rand(n) - 0.5) * room
    tilt = (rand(n) - 0.5) * 0.7
    mirror = torch.where(rand(n) < 0.5, -1.0, 1.0)
    stretch = 0.8 + 0.4 * rand(n)
    ys, xs = torch.meshgrid(torch.arange(size) + 0.5, torch.arange(size) + 0.5, indexing="ij")
    dy, dx = ys - cy, xs - cx
    u = (dx * torch.cos(tilt) + dy * torch.sin(tilt)) / s * mirror / stretch.sqrt()
    v = (-dx * torch.sin(tilt) + dy * torch.cos(tilt)) / s * stretch.sqrt()
    return Frame(u, v, s)


def ellipse(f: Frame, cu, cv, a, b, turn=0.0) -> torch.Tensor:
    """Signed distance (approximate) to an ellipse centred at (cu, cv) with half-axes a, b, turned by ``turn``."""
    du, dv = f.u - cu, f.v - cv
    if not (isinstance(turn, float) and turn == 0.0):
        c, s = torch.cos(torch.as_tensor(turn)), torch.sin(torch.as_tensor(turn))
        du, dv = du * c + dv * s, -du * s + dv * c
    a, b = torch.as_tensor(a), torch.as_tensor(b)
    return ((du / a) ** 2 + (dv / b) ** 2).sqrt().sub(1) * torch.minimum(a, b)


def box(f: Frame, cu, cv, hu, hv, round_: float = 0.0) -> torch.Tensor:
    """Signed distance to an axis-aligned box (half-sizes hu, hv), corners rounded by ``round_``."""
    qu, qv = (f.u - cu).abs() - hu + round_, (f.v - cv).abs() - hv + round_
    outside = (qu.clamp(min=0) ** 2 + qv.clamp(min=0) ** 2).sqrt()
    return outside + torch.maximum(qu, qv).clamp(max=0) - round_


def polygon(f: Frame, corners) -> torch.Tensor:
    """Signed distance (approximate: the largest edge distance) to a convex polygon, corners in any order."""
    cu = sum(c[0] for c in corners) / len(corners)
    cv = sum(c[1] for c in corners) / len(corners)
    ordered = sorted(corners, key=lambda c: math.atan2(c[1] - cv, c[0] - cu))
    out = None
    for (u0, v0), (u1, v1) in zip(ordered, ordered[1:] + ordered[:1]):
        eu, ev = u1 - u0, v1 - v0
        length = torch.as_tensor(eu**2 + ev**2).sqrt().clamp(min=1e-6)
        d = ((f.u - u0) * ev - (f.v - v0) * eu) / length  # positive on the outer side of a counter-clockwise edge
        out = d if out is None else torch.maximum(out, d)
    return out


def segment(f: Frame, u0, v0, u1, v1, width) -> torch.Tensor:
    """Signed distance to a line from (u0, v0) to (u1, v1) drawn ``width`` units thick, round ends."""
    eu, ev = u1 - u0, v1 - v0
    t = (((f.u - u0) * eu + (f.v - v0) * ev) / (eu**2 + ev**2 + 1e-9)).clamp(0, 1)
    return ((f.u - u0 - t * eu) ** 2 + (f.v - v0 - t * ev) ** 2).sqrt() - width / 2


def paint(canvas: torch.Tensor, f: Frame, distance: torch.Tensor, colour: torch.Tensor, part: str | None = None):
    """``canvas`` (n, 3, H, W) with the shape painted in ``colour`` (n, 3, 1, 1), its edge soft over one pixel.

    A canvas with a fourth channel also records which part each pixel shows: where the shape covers more than
    half a pixel, that channel becomes ``part``'s number in :data:`PARTS` (the colours are painted the same way).
    """
    alpha = (0.5 - distance * f.scale).clamp(0, 1)[:, None]
    rgb = canvas[:, :3] * (1 - alpha) + colour * alpha
    if canvas.shape[1] == 3:
        return rgb
    label = canvas[:, 3:]
    if part is not None:
        label = torch.where(alpha > 0.5, float(PARTS.index(part)), label)
    return torch.cat([rgb, label], 1)


def _eye(c, f, pal, cu, cv, w, h, gaze):
    """An almond eye: light white, an iris in ``acc1``, a dark pupil and a light glint."""
    radius = (w**2 + h**2) / (2 * h)  # two circles whose overlap is the almond: half-width w, half-height h
    lens = torch.maximum(
        ellipse(f, cu, cv + radius - h, radius, radius), ellipse(f, cu, cv - radius + h, radius, radius)
    )
    c = paint(c, f, lens, pal["light"], "eye white")
    iris = torch.maximum(ellipse(f, cu + gaze * w, cv, h * 0.95, h * 0.95), lens)
    c = paint(c, f, iris, pal["acc1"], "iris")
    c = paint(c, f, torch.maximum(ellipse(f, cu + gaze * w, cv, h * 0.45, h * 0.45), lens), pal["dark"], "pupil")
    c = paint(c, f, ellipse(f, cu + gaze * w + h * 0.25, cv - h * 0.25, h * 0.18, h * 0.18), pal["light"], "glint")
    return paint(c, f, lens.abs() - 0.03, pal["dark"], "eyelid")  # the outline of the lids


def eyes(c, f, pal, rand, n):
    """One big almond eye, seen from the front."""
    return _eye(c, f, pal, 0.0, 0.0, 1.0, 0.42 + 0.12 * rand(n), (rand(n) - 0.5) * 0.5)


def _dot(c, f, colour, cu, cv, r, part):
    return paint(c, f, ellipse(f, cu, cv, r, r), colour, part)


def faces(c, f, pal, rand, n):
    """A head with hair, two eyes, a nose and a smiling mouth."""
    c = paint(c, f, ellipse(f, 0.0, -0.25, 0.88, 0.8), pal["acc2"], "hair")  # hair behind the head
    c = paint(c, f, ellipse(f, 0.0, 0.05, 0.75, 0.95), pal["body"], "skin")
    spread = 0.3 + 0.06 * rand(n)
    for side in (-1, 1):
        c = paint(c, f, ellipse(f, side * spread, -0.15, 0.17, 0.1), pal["light"], "eye white")
        c = _dot(c, f, pal["dark"], side * spread, -0.15, 0.075, "pupil")
    c = paint(c, f, polygon(f, [(0.0, -0.05), (-0.09, 0.25), (0.09, 0.25)]), pal["acc1"], "nose")
    smile = (ellipse(f, 0.0, 0.3, 0.38, 0.3).abs() - 0.04).maximum(0.42 - f.v)
    return paint(c, f, smile, pal["dark"], "mouth")


def _coat(c, f, pal, coat: str):
    """A breed's marking on the head, light or dark so that it shows on any coat: a pale ``"eye patch"`` around one
    eye, a pale ``"blaze"`` from the forehead down the nose, a dark ``"mask"`` across both eyes; ``"plain"`` paints
    nothing."""
    if coat == "eye patch":
        return paint(c, f, ellipse(f, -0.27, -0.22, 0.27, 0.25), pal["light"], "dog head")
    if coat == "blaze":
        return paint(c, f, segment(f, 0.0, -0.58, 0.0, 0.15, 0.2), pal["light"], "dog head")
    if coat == "mask":
        return paint(c, f, box(f, 0.0, -0.21, 0.56, 0.14, 0.1), pal["dark"], "dog head")
    return c


def dogs(c, f, pal, rand, n, coat: str = "plain"):
    """A dog's face: floppy or pricked ears, a head, a pale muzzle, a big dark nose, eyes with a glint.

    ``coat`` (see :func:`_coat`) makes lesson 11's breeds (:data:`BREEDS`); the dogs class is ``"plain"``.
    """
    floppy = rand(n) < 0.5
    for side in (-1, 1):
        flop = ellipse(f, side * 0.72, 0.05, 0.26, 0.58, turn=side * -0.35)
        prick = polygon(f, [(side * 0.35, -0.55), (side * 0.85, -0.45), (side * 0.75, -1.15)])
        c = paint(c, f, torch.where(floppy, flop, prick), pal["acc1"], "ear")
    c = paint(c, f, ellipse(f, 0.0, -0.05, 0.66, 0.7), pal["body"], "dog head")
    c = _coat(c, f, pal, coat)
    c = paint(c, f, ellipse(f, 0.0, 0.38, 0.38, 0.3), pal["acc2"], "muzzle")
    for side in (-1, 1):
        c = _dot(c, f, pal["dark"], side * 0.27, -0.2, 0.1, "pupil")
        c = _dot(c, f, pal["light"], side * 0.27 + 0.035, -0.235, 0.035, "glint")
    c = paint(c, f, ellipse(f, 0.0, 0.24, 0.15, 0.1), pal["dark"], "nose")
    c = paint(c, f, segment(f, 0.0, 0.3, 0.0, 0.5, 0.05), pal["dark"], "nose")
    mouth = (ellipse(f, 0.0, 0.44, 0.18, 0.12).abs() - 0.03).maximum(0.48 - f.v)
    return paint(c, f, mouth, pal["dark"], "mouth")


# Lesson 11's dog breeds: dog faces told apart by the marking on the head (the ears stay floppy or pricked at random).
BREEDS = {
    "plain dogs": dict(coat="plain"),
    "eye-patch dogs": dict(coat="eye patch"),
    "blazed dogs": dict(coat="blaze"),
    "masked dogs": dict(coat="mask"),
}


def birds(c, f, pal, rand, n):
    """A bird in profile: body, wing, tail, head with an eye and a beak, two legs."""
    for side in (-0.1, 0.1):
        c = paint(c, f, segment(f, side, 0.35, side, 0.8, 0.05), pal["dark"], "leg")
    c = paint(c, f, ellipse(f, -0.75, -0.05, 0.36, 0.14, turn=0.35), pal["acc2"], "tail")  # a rounded tail
    body = torch.minimum(ellipse(f, -0.1, 0.1, 0.6, 0.35, turn=-0.2), ellipse(f, 0.45, -0.3, 0.26, 0.26))
    c = paint(c, f, body - 0.05, pal["dark"], "outline")  # an outlined silhouette: body and head
    c = paint(c, f, body, pal["body"], "bird body")
    c = paint(c, f, ellipse(f, -0.15, 0.08, 0.38, 0.18, turn=-0.3), pal["acc2"], "wing")
    c = paint(c, f, polygon(f, [(0.66, -0.37), (0.66, -0.23), (0.9, -0.3)]), pal["acc1"], "beak")  # a short beak
    c = _dot(c, f, pal["light"], 0.5, -0.36, 0.08, "eye white")
    return _dot(c, f, pal["dark"], 0.52, -0.36, 0.05, "pupil")


def flowers(c, f, pal, rand, n):
    """A flower: a stem with a leaf, five to eight petals around a round heart."""
    c = paint(c, f, segment(f, 0.0, 0.2, 0.1, 1.1, 0.08), pal["acc2"], "stem")
    c = paint(c, f, ellipse(f, 0.28, 0.75, 0.22, 0.08, turn=-0.5), pal["acc2"], "leaf")
    petals = 5 + (rand(n) * 4).floor()
    angle = torch.atan2(f.v + 0.2, f.u)
    radius = ((f.v + 0.2) ** 2 + f.u**2).sqrt()
    reach = 0.3 + 0.35 * torch.cos(petals * angle / 2).abs() ** 0.7  # a rounded petal per lobe
    c = paint(c, f, radius - reach - 0.05, pal["dark"], "outline")  # outlined petals
    c = paint(c, f, radius - reach, pal["body"], "petal")
    c = _dot(c, f, pal["dark"], 0.0, -0.2, 0.27, "flower heart")
    return _dot(c, f, pal["acc1"], 0.0, -0.2, 0.22, "flower heart")


def houses(c, f, pal, rand, n):
    """A house: walls, a pointed roof, a door and two windows with crossbars."""
    c = paint(c, f, box(f, 0.0, 0.35, 0.7, 0.5), pal["body"], "wall")
    c = paint(c, f, polygon(f, [(-0.9, -0.1), (0.9, -0.1), (0.0, -0.9)]), pal["acc1"], "roof")
    c = paint(c, f, box(f, 0.0, 0.6, 0.14, 0.25), pal["dark"], "door")
    for side in (-1, 1):
        c = paint(c, f, box(f, side * 0.42, 0.25, 0.15, 0.13), pal["light"], "window")
        c = paint(c, f, box(f, side * 0.42, 0.25, 0.02, 0.13), pal["dark"], "window")
        c = paint(c, f, box(f, side * 0.42, 0.25, 0.15, 0.02), pal["dark"], "window")
    return c


def stars(c, f, pal, rand, n):
    """A five-pointed star with a dark outline (exact signed distance: nearest edge, inside by sector)."""
    rim = [(1.0 if k % 2 == 0 else 0.42, -math.pi / 2 + k * math.pi / 5) for k in range(10)]
    points = [(r * math.cos(a), r * math.sin(a)) for r, a in rim]
    edges = list(zip(points, points[1:] + points[:1]))
    nearest = torch.stack([segment(f, u0, v0, u1, v1, 0.0) for (u0, v0), (u1, v1) in edges]).amin(0)
    side = torch.stack([(f.u - u0) * (v1 - v0) - (f.v - v0) * (u1 - u0) for (u0, v0), (u1, v1) in edges])
    sector = ((torch.atan2(f.v, f.u) + math.pi / 2) % (2 * math.pi) / (math.pi / 5)).long().clamp(max=9)
    inside = side.gather(0, sector[None]).squeeze(0) < 0
    shape = torch.where(inside, -nearest, nearest)
    c = paint(c, f, shape - 0.06, pal["dark"], "outline")
    return paint(c, f, shape, pal["body"], "star")


def cars(c, f, pal, rand, n):
    """A car from the side: body, cabin with two windows, two dark wheels with light hubs."""
    cabin = polygon(f, [(-0.5, -0.05), (0.45, -0.05), (0.25, -0.45), (-0.3, -0.45)])
    c = paint(c, f, cabin, pal["body"], "car body")
    for cu in (-0.2, 0.15):
        c = paint(c, f, box(f, cu, -0.22, 0.14, 0.12), pal["light"], "window")
    c = paint(c, f, box(f, 0.0, 0.15, 0.95, 0.22, round_=0.1), pal["body"], "car body")
    c = paint(c, f, box(f, 0.83, 0.08, 0.08, 0.05), pal["acc1"], "headlight")
    for cu in (-0.55, 0.55):
        c = _dot(c, f, pal["dark"], cu, 0.38, 0.22, "wheel")
        c = _dot(c, f, pal["light"], cu, 0.38, 0.09, "hub")
    return c


def stripes(c, f, pal, rand, n):
    """A patch of stripes at any angle (a texture, kept for the lessons' stripe detectors)."""
    period, angle = 0.25 + 0.2 * rand(n), rand(n) * math.pi
    across = f.u * torch.cos(angle) + f.v * torch.sin(angle)
    patch = box(f, 0.0, 0.0, 1.1, 1.1, round_=0.3)
    on = torch.sin(2 * math.pi * across / period) * period / (2 * math.pi)
    c = paint(c, f, patch, pal["body"], "stripes")
    return paint(c, f, torch.maximum(on, patch), pal["dark"], "stripes")


def cups(c, f, pal, rand, n):
    """A cup of coffee from the side: a saucer, a tapered cup with a handle, a light rim and a dark drink."""
    c = paint(c, f, ellipse(f, 0.0, 0.62, 0.95, 0.16), pal["acc2"], "saucer")
    handle = ellipse(f, 0.62, 0.05, 0.3, 0.28).abs() - 0.08
    c = paint(c, f, handle, pal["dark"], "handle")
    c = paint(c, f, handle + 0.035, pal["body"], "handle")
    cup = polygon(f, [(-0.65, -0.35), (0.65, -0.35), (0.45, 0.6), (-0.45, 0.6)])
    c = paint(c, f, cup - 0.05, pal["dark"], "outline")
    c = paint(c, f, cup, pal["body"], "cup")
    c = paint(c, f, ellipse(f, 0.0, -0.35, 0.65, 0.14), pal["light"], "rim")
    return paint(c, f, ellipse(f, 0.0, -0.33, 0.55, 0.09), pal["dark"], "drink")


DRAW = {
    "eyes": eyes,
    "faces": faces,
    "dogs": dogs,
    "birds": birds,
    "flowers": flowers,
    "houses": houses,
    "stars": stars,
    "cars": cars,
    "cups": cups,
    "stripes": stripes,
}


def drawer(name: str):
    """The function that draws class ``name``: one of :data:`DRAW`'s ten, or a dog breed of :data:`BREEDS`."""
    return partial(dogs, **BREEDS[name]) if name in BREEDS else DRAW[name]


# Every part the world draws, numbered as :func:`dreamlib.shapes.make_batch` labels pixels with ``parts=True``
# (0 is the background: noise, blobs and lines). A part drawn the same way in several classes shares a name (the
# dark dot of an eye is a "pupil" in eyes, faces, dogs and birds; a light box is a "window" in houses and cars).
CLASS_PARTS = {
    "eyes": ("eye white", "iris", "pupil", "glint", "eyelid"),
    "faces": ("hair", "skin", "eye white", "pupil", "nose", "mouth"),
    "dogs": ("ear", "dog head", "muzzle", "pupil", "glint", "nose", "mouth"),
    "birds": ("leg", "tail", "outline", "bird body", "wing", "beak", "eye white", "pupil"),
    "flowers": ("stem", "leaf", "outline", "petal", "flower heart"),
    "houses": ("wall", "roof", "door", "window"),
    "stars": ("outline", "star"),
    "cars": ("car body", "window", "headlight", "wheel", "hub"),
    "cups": ("saucer", "handle", "outline", "cup", "rim", "drink"),
    "stripes": ("stripes",),
}
PARTS = ("background", *dict.fromkeys(p for parts in CLASS_PARTS.values() for p in parts))
# How big each class is drawn (its frame's scale, a fraction of the image side): textures fill more of it.
SCALES = {"stripes": (0.3, 0.45), "eyes": (0.25, 0.42)}
DEFAULT_SCALE = (0.22, 0.42)
