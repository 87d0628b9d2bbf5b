"""MACO: feature visualisation that optimises only the *phase* of the image's spectrum.

Fel, Boissin, Boutin et al. ("Unlocking Feature Visualization for Deeper Networks with MAgnitude Constrained
Optimization", NeurIPS 2023) keep the magnitude of every Fourier coefficient fixed to a template, the average
magnitude spectrum of natural images, and let the optimiser change only the phases. Whatever the objective asks for,
the image keeps the energy distribution of a photo over frequencies: no high-frequency noise, no flat blobs, and it
still works on deep networks where Lucid-style renders (notebook 12) turn into noise.

- :func:`magnitude_spectrum`: the template, estimated from any images (a tensor, a folder, the bundled photos, the
  shapes generator); nothing is downloaded. The package ships the bundled photos' (``scripts/make_spectra.py``).
- :func:`spectrum_for`: the template a model uses by default; :func:`resize_spectrum` fits a template to an
  image size.
- :func:`phase_image`: the image a phase makes (irfft2 of magnitude x e^(i phase), standardised), before colours are
  mixed; :class:`dreamlib.vis.param.ImageParam` with ``param="maco"`` builds on it, and
  :func:`dreamlib.vis.transforms.maco_crops` is MACO's transform.

Builds on notebook 12 (feature visualisation). Taught in notebook 14 (modern feature visualisation).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import torch
import torch.nn.functional as F

from ..checks import check_whole
from ..errors import DreamError
from .colour import colour_matrix

SPECTRUM_SIZE = 256  # the side of the shipped templates: (3, 256, 129) rfft2 magnitudes
SPECTRA = Path(__file__).with_name("spectra")


def _standardise(x: torch.Tensor) -> torch.Tensor:
    """Each image of the batch to mean 0, standard deviation 1 (over its channels and pixels)."""
    dims = tuple(range(1, x.dim()))
    return (x - x.mean(dims, keepdim=True)) / (x.std(dims, keepdim=True) + 1e-4)


def _square_crops(image: torch.Tensor, size: int, crops: int, generator: torch.Generator) -> torch.Tensor:
    """``crops`` random square crops of a (3, H, W) image (sides from half the shorter side to all of it), resized."""
    _, h, w = image.shape
    out = []
    for _ in range(crops):
        side = int(torch.randint(min(h, w) // 2, min(h, w) + 1, (1,), generator=generator))
        y = int(torch.randint(h - side + 1, (1,), generator=generator))
        x = int(torch.randint(w - side + 1, (1,), generator=generator))
        patch = image[None, :, y : y + side, x : x + side]
        out.append(F.interpolate(patch, size=(size, size), mode="bilinear", antialias=True, align_corners=False))
    return torch.cat(out)


def _as_batches(images, size: int, crops: int, generator: torch.Generator):  # noqa: C901 (each kind of input is one branch)
    """(n, 3, size, size) float batches in [0, 1] from a tensor, a folder, ``"samples"`` or a list of those."""
    from ..images import list_samples, load_image, sample_image

    if isinstance(images, torch.Tensor):
        if images.dim() == 3:
            images = images[None]
        if images.dim() != 4 or images.shape[1] != 3:
            raise DreamError(f"magnitude_spectrum needs (N, 3, H, W) images, got shape {tuple(images.shape)}")
        images = images.detach().cpu()  # the template is made on the CPU, from images on any device
        if not images.is_floating_point():
            images = images.float() / 255
        if images.shape[-2:] == (size, size):
            yield images.float()
        else:
            for image in images:
                yield _square_crops(image.float(), size, crops, generator)
        return
    if isinstance(images, str) and images == "samples":
        for name in list_samples():
            yield _square_crops(sample_image(name, max_size=None)[0], size, crops, generator)
        return
    if isinstance(images, (str, os.PathLike)):
        folder = Path(images).expanduser()
        if not folder.is_dir():
            raise DreamError(f"no such folder of images: {images}")
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp", ".bmp"))
        if not files:
            raise DreamError(f"{folder} holds no images (.png, .jpg, .jpeg, .webp, .bmp)")
        for path in files:
            yield _square_crops(load_image(path, max_size=None)[0], size, crops, generator)
        return
    try:
        items = list(images)
    except TypeError:
        raise DreamError(
            f"magnitude_spectrum takes a tensor, a folder, 'samples' or a list of them, got {type(images).__name__}"
        ) from None
    for item in items:
        yield from _as_batches(item, size, crops, generator)


def magnitude_spectrum(
    images, *, size: int = SPECTRUM_SIZE, matrix: torch.Tensor | None = None, crops: int = 8, seed: int = 0
) -> torch.Tensor:
    """The average magnitude spectrum of ``images``: a (3, size, size // 2 + 1) tensor of ``rfft2`` magnitudes.

    ``images``: a (N, 3, H, W) tensor in [0, 1] (uint8 is scaled by 1/255), a folder of pictures, ``"samples"`` (the
    bundled photos) or a list of those; images that are not ``size`` x ``size`` contribute ``crops`` random square
    crops each (seeded by ``seed``). Colours are first decorrelated with ``matrix`` (the colour square root of
    :func:`dreamlib.vis.colour.colour_matrix`; default ImageNet's), because MACO mixes colours after the inverse
    transform; each image is standardised, so only the shape of its spectrum counts. Taught in notebook 14.
    """
    check_whole("size", size, 8)
    matrix = colour_matrix(None) if matrix is None else matrix.float()
    unmix = torch.linalg.inv(matrix.double()).float()
    generator = torch.Generator().manual_seed(seed)
    total, count = torch.zeros(3, size, size // 2 + 1), 0
    for batch in _as_batches(images, size, crops, generator):
        if not torch.isfinite(batch).all():
            raise DreamError("magnitude_spectrum: the images hold NaN or infinite values")
        decorrelated = torch.einsum("ij,bjhw->bihw", unmix, batch - batch.mean((2, 3), keepdim=True))
        total += torch.fft.rfft2(_standardise(decorrelated), norm="ortho").abs().sum(0)
        count += len(batch)
    if not count:
        raise DreamError("magnitude_spectrum got no images")
    return total / count


def resize_spectrum(spectrum: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """A (3, h, w // 2 + 1) template for a (height, width) image: (3, height, width // 2 + 1).

    Each coefficient of the new size takes the template's magnitude at the same frequency in cycles per pixel (read
    bilinearly; the rows of an ``rfft2`` wrap around, so they are centred first), so a pattern keeps its size in
    pixels. The constant term is set to 0: the image is standardised anyway, and a colour cast is not a
    frequency. Taught in notebook 14.
    """
    if spectrum.dim() != 3 or spectrum.shape[0] != 3:
        raise DreamError(f"a magnitude spectrum is (3, H, W // 2 + 1), got shape {tuple(spectrum.shape)}")
    h, wc = spectrum.shape[-2:]
    w = 2 * (wc - 1)
    centred = torch.fft.fftshift(spectrum.float(), dim=-2)[None]  # row r: frequency (r - h // 2) / h
    fy = torch.fft.fftfreq(height).view(-1, 1).expand(height, width // 2 + 1)
    fx = torch.fft.rfftfreq(width).view(1, -1).expand(height, width // 2 + 1)
    rows = (fy * h + h // 2).clamp(0, h - 1)  # where each new frequency sits in the centred template
    cols = (fx * w).clamp(0, wc - 1)
    grid = torch.stack([cols / max(wc - 1, 1) * 2 - 1, rows / max(h - 1, 1) * 2 - 1], dim=-1)[None]
    out = F.grid_sample(centred, grid, mode="bilinear", align_corners=True)[0].clamp(min=0)
    out[:, 0, 0] = 0.0
    return out


def make_template(name: str = "photos") -> torch.Tensor:
    """How the shipped template is made (``scripts/make_spectra.py`` saves it; a test checks it still matches): from
    the bundled photos, 16 random square crops each at 256 px, ImageNet's colour matrix."""
    if name != "photos":
        raise DreamError(f"no shipped template called {name!r}; there is 'photos'")
    return magnitude_spectrum("samples", crops=16)


@cache
def _shipped(name: str) -> torch.Tensor:
    path = SPECTRA / f"{name}.pt"
    return torch.load(path, map_location="cpu", weights_only=True).float()


def spectrum_for(model=None) -> torch.Tensor:
    """The template ``model`` uses by default: the bundled photos' (3, 256, 129), shipped with the package, for every
    model, the shapes model included. (Its own generator's spectrum, measured on the shapes model: 0.2% of the power
    above 0.25 cycles per pixel against the photos' 2.4%, its drawings being blurred; class renders with it were
    recognised by the model itself 8 times in 10, with the photos' 10 in 10, 128 px, 64 steps.) Taught in notebook
    14."""
    return _shipped("photos").clone()


def phase_image(phase: torch.Tensor, magnitude: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """The image of ``phase`` (B, 3, H, W // 2 + 1) with the fixed ``magnitude`` (3, H, W // 2 + 1), before colour
    mixing: ``irfft2(magnitude * exp(i * phase))``, each image standardised. The phase is standardised first, as in
    the authors' code, so a learning rate means the same at any size. Taught in notebook 14."""
    spectrum = torch.polar(magnitude.to(phase).expand_as(phase), _standardise(phase))
    return _standardise(torch.fft.irfft2(spectrum, s=size, norm="ortho"))
