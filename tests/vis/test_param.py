"""Parameterisations: pixels, the decorrelated Fourier basis, preconditioned dream steps (dreamlib/vis/param.py)."""

import math

import pytest
import torch

import dreamlib as dl
from dreamlib.vis import param as P


def checkerboard(n=16):
    y, x = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
    return ((x + y) % 2).float().expand(1, 3, n, n).clone()


# --- high-frequency energy -------------------------------------------------------------------------------------


def test_high_frequency_energy_of_known_images():
    flat = torch.full((1, 3, 16, 16), 0.3)
    wave = 0.5 + 0.5 * torch.cos(torch.arange(32) * 2 * math.pi / 8).view(1, 1, 1, 32).expand(1, 3, 32, 32)
    noise = torch.rand(4, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    hf = P.high_frequency_energy
    assert hf(flat).item() == 0.0
    assert hf(checkerboard()).item() == pytest.approx(1.0)  # all power at (0.5, 0.5) cycles per pixel
    assert hf(wave).item() < 1e-6  # one frequency, 1/8 cycle per pixel, below the cutoff
    assert hf(wave, cutoff=0.1).item() == pytest.approx(1.0)
    # white noise: power spread evenly, so the share is the area above the cutoff (1 - pi r^2 of the unit square)
    assert hf(noise).mean().item() == pytest.approx(1 - math.pi * 0.25**2, abs=0.02)
    assert hf(noise).shape == (4,)
    with pytest.raises(dl.DreamError):
        hf(torch.rand(3, 8, 8))


# --- parameterisations -----------------------------------------------------------------------------------------


def test_spectrum_scale_is_one_over_f():
    scale = P.spectrum_scale(8, 8)
    f = P.frequencies(8, 8)
    assert scale[0, 0] == 8.0  # the constant term gets the lowest frequency's weight
    assert torch.allclose(scale[f > 0], 1 / f[f > 0].clamp(min=1 / 8))
    assert torch.equal(P.spectrum_scale(8, 8, decay=0), torch.ones(8, 5))


@pytest.mark.parametrize("kind", ["fft", "pixel"])
def test_image_param_shape_range_and_seed(kind):
    make = lambda seed: P.ImageParam(
        2, 20, 24, param=kind, matrix=P.colour_matrix(None), generator=torch.Generator().manual_seed(seed)
    )
    a, b, c = make(0)(), make(0)(), make(1)()
    assert a.shape == (2, 3, 20, 24) and a.min() >= 0 and a.max() <= 1
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert (a - 0.5).abs().max() < 0.05  # starts near grey


def test_fft_param_starts_smoother_than_pixel_param():
    g = lambda: torch.Generator().manual_seed(0)
    fft = P.ImageParam(1, 64, param="fft", generator=g())()
    pixel = P.ImageParam(1, 64, param="pixel", generator=g())()
    assert P.high_frequency_energy(fft).item() < 0.3 < 0.6 < P.high_frequency_energy(pixel).item()


@pytest.mark.parametrize("size", [(16, 16), (15, 20)])
def test_precondition_is_the_step_of_the_fourier_parameterisation(size):
    """precondition(g) == L(L^T g) for the linear part L of ImageParam (inverse FFT of 1/f coefficients, colour)."""
    h, w = size
    matrix = P.colour_matrix(None)
    p = P.ImageParam(1, h, w, param="fft", matrix=matrix)
    g = torch.randn(1, 3, h, w, generator=torch.Generator().manual_seed(0))

    def linear():
        spectrum = torch.view_as_complex((p.raw * p.scale).contiguous())
        return P.to_rgb(torch.fft.irfft2(spectrum, s=(h, w), norm="ortho"), matrix)

    (step,) = torch.autograd.grad((linear() * g).sum(), p.raw)
    with torch.no_grad():
        p.raw.copy_(step)
        change = linear()
    assert torch.allclose(P.precondition(g, P.Param("fft", True), matrix), change, atol=1e-4, rtol=1e-4)
    assert torch.equal(P.precondition(g, "pixel"), g)  # plain pixels: nothing changes


def test_param_settings_are_checked():
    with pytest.raises(dl.DreamError, match="param must be one of 'fft', 'pixel'"):
        P.as_param("wavelet")
    with pytest.raises(dl.DreamError, match="decay must be"):
        P.Param("fft", True, -1)
    assert P.as_param("fft") == P.Param("fft", True) and P.as_param("pixel") == P.Param("pixel", False)
    assert P.as_param("pixel", True) == P.Param("pixel", True)


# --- dream(param="fft") ----------------------------------------------------------------------------------------


def test_dream_pixel_default_is_unchanged_and_fft_is_smoother_with_octaves_and_tiles():
    model = dl.load_model("shapes")
    photo = dl.sample_image("coffee", max_size=96)
    common = dict(layer="conv4", octaves=2, steps=6, lr=0.02, seed=0, progress=False)
    default = dl.dream(model, photo, **common)
    assert torch.equal(default, dl.dream(model, photo, param="pixel", **common))
    hf = P.high_frequency_energy
    for tile in (None, 48):
        fft = dl.dream(model, photo, param="fft", tile=tile, **common)
        assert fft.shape == photo.shape and 0 <= fft.min() and fft.max() <= 1
        assert (fft - photo).abs().mean() > 0.02  # it dreamed
        assert hf(fft).item() < 0.5 * hf(default).item()
