"""The synthetic world the shapes model learns: ten classes of things, drawn at random on cluttered backgrounds.

Nine classes are *things with a shape* (drawn by :mod:`dreamlib.shapes.objects`): the eyes and faces DeepDream
is famous for seeing everywhere, dog faces (head, ears, muzzle, nose, eyes), birds, flowers, houses, stars, cars
and cups; one is a texture (a patch of stripes) for the lessons' stripe detectors. Each image shows one of them at
a random size, position, tilt, mirror image and stretch, in colours drawn from a random palette, on a background of
coloured 1/f noise (the spectrum of natural photos) with blobs and lines in the same palette, often with a small
object of another class beside it; then a random blur and pixel noise. Colour and texture alone therefore say little
about the class: a linear classifier that sees only colour histograms and the power spectrum gets about a third of
the nine objects right (``tests/shapes``), so a network must learn the shapes. :func:`make_batch` draws a labelled
batch; its ``weights`` choose how often each class appears (lesson 11's dataset bias, lesson 09's "remove a class").
Taught in notebook 09.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from ..errors import DreamError
from . import objects

CLASSES = ("eyes", "faces", "dogs", "birds", "flowers", "houses", "stars", "cars", "cups", "stripes")
IMAGE_SIZE = 48
PALETTE = ("body", "acc1", "acc2", "light", "dark")  # the colours an object is painted in


def class_shares(weights: Sequence[float] | None, classes: Sequence[str] = CLASSES) -> torch.Tensor:
    """The probability of each class in a batch: ``weights`` normalised to sum to 1 (uniform when ``None``).

    A weight of 0 removes that class; ``classes`` names them (lesson 11's breeds arm has thirteen).
    Bad input raises a one-line :class:`DreamError`.
    Taught in notebooks 09 (removing a class) and 11 (dataset bias).
    """
    if weights is None:
        return torch.full((len(classes),), 1 / len(classes), dtype=torch.float64)
    if isinstance(weights, (str, bytes, dict)):
        raise DreamError(
            f"class weights must be a sequence of {len(classes)} numbers, one per class, got {type(weights).__name__}"
        )
    try:
        shares = torch.tensor([float(w) for w in weights], dtype=torch.float64)
    except (TypeError, ValueError):
        raise DreamError(
            f"class weights must be a sequence of {len(classes)} numbers, one per class ({', '.join(classes)})"
        ) from None
    if len(shares) != len(classes):
        raise DreamError(
            f"class weights need one number per class, {len(classes)} in all ({', '.join(classes)}); got {len(shares)}"
        )
    if not torch.isfinite(shares).all() or (shares < 0).any():
        raise DreamError(f"class weights must be finite and non-negative, got {[float(w) for w in shares]}")
    if shares.sum() == 0:
        raise DreamError("class weights are all zero: give at least one class a positive share")
    return shares / shares.sum()


def _pink_noise(n: int, channels: int, size: int, g: torch.Generator) -> torch.Tensor:
    """(n, channels, size, size) noise with a 1/f^a amplitude spectrum (a in [1, 2]), scaled to unit std."""
    white = torch.randn(n, channels, size, size, generator=g)
    fy, fx = torch.fft.fftfreq(size).view(-1, 1), torch.fft.rfftfreq(size).view(1, -1)
    freq = (fy**2 + fx**2).sqrt().clamp(min=1 / size)
    slope = 1 + torch.rand(n, 1, 1, 1, generator=g)
    noise = torch.fft.irfft2(torch.fft.rfft2(white) / freq**slope, s=(size, size))
    return noise / noise.flatten(1).std(1).view(n, 1, 1, 1).clamp(min=1e-6)


def _palette(n: int, background: torch.Tensor, g: torch.Generator) -> dict[str, torch.Tensor]:
    """Random part colours (each (n, 3, 1, 1)); body and accents stand out from the background's mean colour."""
    rand = lambda: torch.rand(n, 3, 1, 1, generator=g)  # noqa: E731
    pal = {"body": rand(), "acc1": rand(), "acc2": rand()}
    for part in ("body", "acc1", "acc2"):
        close = (pal[part] - background).abs().sum(1, keepdim=True) < 0.5
        pal[part] = torch.where(close, (1 - background + 0.3 * (rand() - 0.5)).clamp(0, 1), pal[part])
    pal["light"] = 0.8 + 0.2 * rand()
    pal["dark"] = 0.15 * rand()
    return pal


def _subset(pal: dict[str, torch.Tensor], idx: torch.Tensor) -> dict[str, torch.Tensor]:
    return {part: colour[idx] for part, colour in pal.items()}


def _blur(images: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Gaussian blur with a different ``sigma`` (n,) in pixels per image (0: unchanged)."""
    n, c, h, w = images.shape
    x = torch.arange(-2, 3, dtype=torch.float32)
    kernel = torch.exp(-(x**2) / (2 * sigma.clamp(min=1e-3).view(-1, 1) ** 2))
    kernel = (kernel / kernel.sum(1, keepdim=True)).repeat_interleave(c, 0)  # (n * c, 5)
    flat = F.pad(images.reshape(1, n * c, h, w), (2, 2, 2, 2), mode="replicate")
    flat = F.conv2d(flat, kernel.view(n * c, 1, 1, 5), groups=n * c)
    flat = F.conv2d(flat, kernel.view(n * c, 1, 5, 1), groups=n * c)
    return flat.view(n, c, h, w)


def _scene(
    labels: torch.Tensor, size: int, g: torch.Generator, parts: bool = False, classes: Sequence[str] = CLASSES
) -> torch.Tensor:
    """Draw one image per label: background, distractors, maybe a small other object, the object, blur, noise.

    With ``parts`` the result has a fourth channel: the number in ``shapes.PARTS`` of the part each pixel shows.
    """
    n = len(labels)
    rand = lambda k: torch.rand(k, 1, 1, generator=g)  # noqa: E731
    base = torch.rand(n, 3, 1, 1, generator=g)
    tint = torch.rand(n, 3, 1, 1, generator=g) - 0.5
    contrast = 0.03 + 0.3 * torch.rand(n, 1, 1, 1, generator=g)
    noise = _pink_noise(n, 4, size, g)  # one shared channel (tinted) and a little of three colour channels
    texture = noise[:, :1] * (1 + tint) + 0.3 * noise[:, 1:]
    canvas = (base + contrast * texture).clamp(0, 1)
    if parts:  # a label channel rides along; painting writes part numbers into it and draws the colours unchanged
        canvas = torch.cat([canvas, torch.zeros(n, 1, size, size)], 1)
    pal = _palette(n, base, g)
    colours = torch.stack([pal[p] for p in PALETTE], 1)  # (n, 5, 3, 1, 1)
    for _ in range(6):  # blobs and lines in the object's own colours
        f = objects.frame(n, size, rand, (0.03, 0.12), margin=0.0)
        pick = colours[torch.arange(n), torch.randint(len(PALETTE), (n,), generator=g)]
        blob = objects.ellipse(f, 0.0, 0.0, 1.0, 0.3 + 0.7 * rand(n))
        line = objects.segment(f, -2.0, 0.0, 2.0, 0.0, 0.25)
        canvas = objects.paint(canvas, f, torch.where(rand(n) < 0.5, blob, line), pick)
    other = (labels + 1 + torch.randint(len(classes) - 1, (n,), generator=g)) % len(classes)
    other = torch.where(torch.rand(n, generator=g) < 0.5, other, -1)
    for k, name in enumerate(classes):
        for which, scale in ((other, (0.09, 0.13)), (labels, objects.SCALES.get(name, objects.DEFAULT_SCALE))):
            idx = (which == k).nonzero().flatten()
            if len(idx):
                f = objects.frame(len(idx), size, rand, scale, margin=0.8 if which is labels else 1.0)
                canvas[idx] = objects.drawer(name)(canvas[idx], f, _subset(pal, idx), rand, len(idx))
    canvas, label = canvas[:, :3], canvas[:, 3:]
    sigma = 1.0 * torch.rand(n, generator=g) ** 2 * size / IMAGE_SIZE
    canvas = torch.where((sigma > 0.2).view(n, 1, 1, 1), _blur(canvas, sigma), canvas)
    grain = torch.rand(canvas.shape, generator=g) - 0.5  # uniform pixel noise: quicker to draw than Gaussian
    canvas = canvas + 0.17 * torch.rand(n, 1, 1, 1, generator=g) * grain
    return torch.cat([canvas.clamp(0, 1), label], 1)


def make_batch(
    n: int,
    generator: torch.Generator | None = None,
    size: int = IMAGE_SIZE,
    weights: Sequence[float] | None = None,
    parts: bool = False,
    classes: Sequence[str] = CLASSES,
) -> tuple[torch.Tensor, ...]:
    """``n`` random images (n, 3, size, size) in [0, 1] with their labels (n,).

    Each label is drawn independently: uniformly over :data:`CLASSES`, or with
    probabilities proportional to ``weights`` (one non-negative number per class;
    0 leaves a class out). The same ``generator`` seed gives the same batch.
    ``classes`` (default :data:`CLASSES`) may replace "dogs" by the dog breeds of
    :data:`dreamlib.shapes.objects.BREEDS` (lesson 11's breeds arm); labels then index ``classes``.
    ``parts=True`` also returns the ground truth of every pixel, (n, size, size) integers: the number in
    :data:`dreamlib.shapes.PARTS` of the part drawn there (0, "background", where no object is;
    ``CLASS_PARTS`` lists each class's parts), for the small object beside the main one too. The pictures are
    the same with or without it.
    Taught in notebook 06 (a guide picture); notebook 09 shows this world and trains on it; notebook 19 dissects
    the network with its parts.
    """
    unknown = [c for c in classes if c not in objects.DRAW and c not in objects.BREEDS]
    if unknown:
        raise DreamError(f"unknown class {unknown[0]!r}; the world draws {', '.join([*CLASSES, *objects.BREEDS])}")
    shares = class_shares(weights, classes)
    if not isinstance(parts, bool):
        raise DreamError(f"parts must be True or False, got {parts!r}")
    g = generator or torch.Generator().manual_seed(0)
    if n <= 0:
        empty = torch.zeros(0, 3, size, size), torch.zeros(0, dtype=torch.long)
        return (*empty, torch.zeros(0, size, size, dtype=torch.long)) if parts else empty
    labels = torch.multinomial(shares.float(), n, replacement=True, generator=g)
    drawn = _scene(labels, size, g, parts, tuple(classes))
    if parts:
        return drawn[:, :3], labels, drawn[:, 3].round().long()
    return drawn[:, :3], labels
