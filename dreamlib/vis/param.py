"""How an image is described to the optimiser: pixels, or a decorrelated Fourier spectrum.

Gradient ascent on raw pixels (``"pixel"``) lets every pixel move on its own, and
the network's gradient is largest at high frequencies, so images drift into
rainbow pixel noise. Olah, Mordvintsev and Schubert ("Feature Visualization",
Distill 2017, section "Preconditioning and Parameterization") describe the image
instead by its Fourier coefficients, scaled by ``1/f`` so every frequency band
starts with about the same energy as in natural images (``"fft"``), and by
*decorrelated colour*: three channels whose covariance is the identity, mapped
to RGB by the square root of the colour covariance of the training data. A
sigmoid then squashes the result into [0, 1]. The optimiser takes the same kind
of steps, but what a step means in pixels changes: high frequencies and odd
colour combinations become expensive. Lucid and lucent do this; this module is
our own, smaller version of it.

- :class:`ImageParam`: the learnable image of :func:`dreamlib.render`.
- :func:`precondition`: the same change of basis applied to a pixel gradient,
  which is how ``dream(..., param="fft")`` uses it with octaves and tiles.
- :func:`colour_matrix`: ImageNet's (Lucid's published numbers) or one
  estimated from the shapes model's own training data (:mod:`dreamlib.vis.colour`, re-exported here).
- :func:`high_frequency_energy`: the measure lessons and tests use to compare.

Taught in notebook 12 (feature visualisation).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from ..checks import check_non_negative
from ..errors import DreamError
from .colour import IMAGENET_COLOUR_SQRT, colour_matrix, estimate_colour_matrix, to_rgb  # noqa: F401 (dl.param.*)

KINDS = ("fft", "pixel", "maco")


@dataclass(frozen=True)
class Param:
    """Settings shared by :func:`dreamlib.render` and :func:`dreamlib.dream`: which basis the steps are taken in.

    ``kind``: ``"fft"`` (1/f-scaled Fourier coefficients), ``"pixel"``, or
    ``"maco"`` (only the phases of the Fourier coefficients, their magnitudes
    fixed to ``spectrum``: :mod:`dreamlib.vis.maco`; render only);
    ``decorrelate``: use decorrelated colour; ``decay``: the exponent of the
    1/f scaling (1 as in Lucid); ``spectrum``: MACO's magnitude template
    (:func:`dreamlib.magnitude_spectrum`; None: the shipped one for the model).
    Taught in notebook 12.
    """

    kind: str = "fft"
    decorrelate: bool = True
    decay: float = 1.0
    spectrum: torch.Tensor | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise DreamError(f"param must be one of {', '.join(repr(k) for k in KINDS)}, got {self.kind!r}")
        check_non_negative("decay", self.decay)
        if self.spectrum is not None:
            if self.kind != "maco":
                raise DreamError(f"spectrum= is MACO's magnitude template: use it with kind='maco', not {self.kind!r}")
            if not isinstance(self.spectrum, torch.Tensor) or self.spectrum.dim() != 3 or self.spectrum.shape[0] != 3:
                raise DreamError("spectrum must be a (3, H, W // 2 + 1) tensor from dl.magnitude_spectrum")
            if not torch.isfinite(self.spectrum).all() or (self.spectrum < 0).any():
                raise DreamError("spectrum must hold finite magnitudes >= 0")


def as_param(param: str | Param, decorrelate: bool | None = None) -> Param:
    """A :class:`Param` from a name (``"fft"``/``"pixel"``) or a Param; ``decorrelate`` overrides its colour setting.

    With ``decorrelate=None`` a name means: ``"fft"`` and ``"maco"`` decorrelated, ``"pixel"`` plain RGB.
    """
    if isinstance(param, Param):
        return param if decorrelate is None else Param(param.kind, bool(decorrelate), param.decay, param.spectrum)
    if not isinstance(param, str):
        raise DreamError(f"param must be one of {', '.join(repr(k) for k in KINDS)} or a dl.Param, got {param!r}")
    return Param(param, param in ("fft", "maco") if decorrelate is None else bool(decorrelate))


def frequencies(height: int, width: int) -> torch.Tensor:
    """Radial frequency (cycles per pixel, 0 to about 0.71) of each coefficient of ``torch.fft.rfft2``: (H, W//2+1)."""
    fy = torch.fft.fftfreq(height).view(-1, 1)
    fx = torch.fft.rfftfreq(width).view(1, -1)
    return (fy**2 + fx**2).sqrt()


def spectrum_scale(height: int, width: int, decay: float = 1.0) -> torch.Tensor:
    """``1 / f**decay`` per rfft2 coefficient; the constant term gets the lowest frequency's weight,
    ``max(H, W)**decay``."""
    return 1.0 / frequencies(height, width).clamp(min=1.0 / max(height, width)) ** decay


def rfft_weight(width: int) -> torch.Tensor:
    """How many coefficients of the full spectrum each rfft2 column stands for: 1 (constant, Nyquist) or 2."""
    weight = torch.ones(width // 2 + 1)
    weight[1 : (width + 1) // 2] = 2.0
    return weight


class ImageParam(nn.Module):
    """A batch of learnable images: ``ImageParam(...)()`` is (batch, 3, size, size) in [0, 1].

    ``kind="pixel"``: the parameters are (pre-sigmoid) pixels. ``kind="fft"``:
    they are the real and imaginary parts of each channel's ``rfft2``
    coefficients, multiplied by :func:`spectrum_scale` before the inverse
    transform, so all frequency bands start with 1/f energy and a step of the
    same size moves low frequencies more. With ``matrix`` (from
    :func:`colour_matrix`) the three channels are decorrelated colour.
    ``kind="maco"``: they are the phases of the coefficients, whose magnitudes
    stay ``magnitude`` (a template, resized to the image: :mod:`dreamlib.vis.maco`);
    the start is a random phase (standard deviation 1), whatever ``sd`` says.
    ``valid="sigmoid"`` squashes into [0, 1] (gradients never vanish at the
    border); ``"clamp"`` clips (and starts from 0.5 plus the noise).
    Start: Gaussian noise of standard deviation ``sd`` from ``generator``.
    Taught in notebook 12.
    """

    def __init__(  # noqa: PLR0913 (keyword settings, each with a default)
        self,
        batch: int,
        height: int,
        width: int | None = None,
        *,
        param: str | Param = "fft",
        matrix: torch.Tensor | None = None,
        valid: str = "sigmoid",
        sd: float = 0.01,
        generator: torch.Generator | None = None,
        magnitude: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        width = height if width is None else width
        self.settings = as_param(param)
        if valid not in ("sigmoid", "clamp"):
            raise DreamError(f"valid must be 'sigmoid' or 'clamp', got {valid!r}")
        self.valid, self.size = valid, (height, width)
        if self.settings.kind == "fft":
            shape = (batch, 3, height, width // 2 + 1, 2)
            self.register_buffer("scale", spectrum_scale(height, width, self.settings.decay)[..., None])
        elif self.settings.kind == "maco":
            from .maco import resize_spectrum

            if magnitude is None:
                raise DreamError("param='maco' needs a magnitude template (dl.magnitude_spectrum)")
            shape, sd = (batch, 3, height, width // 2 + 1), 1.0
            self.register_buffer("magnitude", resize_spectrum(magnitude, height, width))
        else:
            shape = (batch, 3, height, width)
        self.register_buffer("matrix", None if matrix is None else matrix.float())
        self.raw = nn.Parameter(torch.randn(shape, generator=generator) * sd)

    def forward(self) -> torch.Tensor:
        h, w = self.size
        if self.settings.kind == "fft":
            spectrum = torch.view_as_complex((self.raw * self.scale).contiguous())
            raw = torch.fft.irfft2(spectrum, s=(h, w), norm="ortho") / 4.0  # Lucid's "magic" 4: start near grey
        elif self.settings.kind == "maco":
            from .maco import phase_image

            raw = phase_image(self.raw, self.magnitude, (h, w))
        else:
            raw = self.raw
        rgb = to_rgb(raw, self.matrix)
        if self.valid == "sigmoid":
            return torch.sigmoid(rgb)
        return (0.5 + rgb).clamp(0, 1)


def precondition(grad: torch.Tensor, param: str | Param, matrix: torch.Tensor | None = None) -> torch.Tensor:
    """A pixel gradient turned into the pixel change one step in ``param``'s basis makes.

    If ``image = L(p)`` is linear (inverse FFT of 1/f-scaled coefficients, then
    the colour matrix), a gradient step on ``p`` changes the image by
    ``L(L^T(grad))``: the gradient's spectrum times ``1/f**(2*decay)``, its
    colours times ``matrix @ matrix.T`` (the tests check this equality with autograd). This lets
    ``dream(param="fft")`` keep
    its pixel image, octaves and tiles and still take Fourier-basis steps.
    ``"pixel"`` without colour returns ``grad`` unchanged. Taught in notebook 12.
    """
    settings = as_param(param)
    if settings.kind == "maco":
        raise DreamError("param='maco' optimises the phases of a rendered image: use it with dl.render, not dream")
    work = grad.float()
    if settings.decorrelate and matrix is not None:
        m = matrix.to(work)
        work = to_rgb(work, m @ m.T)
    if settings.kind == "fft":
        h, w = work.shape[-2:]
        scale = (spectrum_scale(h, w, settings.decay) ** 2 * rfft_weight(w)).to(work.device)
        work = torch.fft.irfft2(torch.fft.rfft2(work, norm="ortho") * scale, s=(h, w), norm="ortho")
    return work.to(grad.dtype)


def preconditioner(model, param: str | Param, decorrelate: bool | None = None):
    """The ``precondition`` argument of :func:`dreamlib.ascent_step` for ``param``: None for plain pixels, else
    ``grad -> precondition(grad, param, the model's colour matrix)``. Used by :func:`dreamlib.dream`; notebook 12."""
    settings = as_param(param, decorrelate)
    if settings == Param("pixel", False):
        return None
    matrix = colour_matrix(model) if settings.decorrelate else None
    return lambda grad: precondition(grad, settings, matrix)


def high_frequency_energy(images: torch.Tensor, cutoff: float = 0.25) -> torch.Tensor:
    """Share of each image's spectral power above ``cutoff`` cycles per pixel: (batch,) in [0, 1].

    Each channel's mean is removed first (a flat image has no power at all and
    scores 0). The highest frequency an image can hold is 0.5 cycles per pixel
    along an axis (a one-pixel checkerboard); 0.25 means "detail finer than
    4 pixels per cycle". White noise scores about 0.8 at the default cutoff;
    natural photos only a few percent. Lessons and tests use it to compare
    parameterisations. Taught in notebook 12.
    """
    if not isinstance(images, torch.Tensor) or images.dim() != 4:
        raise DreamError("high_frequency_energy needs a (N, C, H, W) batch of images")
    x = images.detach().float().cpu()
    x = x - x.mean(dim=(2, 3), keepdim=True)
    power = torch.fft.rfft2(x, norm="ortho").abs() ** 2
    h, w = x.shape[-2:]
    power = power * rfft_weight(w)  # rfft2 stores most columns once for two coefficients
    high = frequencies(h, w) > cutoff
    total = power.sum(dim=(1, 2, 3))
    return torch.where(total > 0, (power * high).sum(dim=(1, 2, 3)) / total.clamp(min=1e-30), torch.zeros_like(total))
