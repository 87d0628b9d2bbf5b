"""render(), its parameterisations, transforms and regularisers, on networks whose features are known."""

import math

import pytest
import torch
import torch.nn.functional as F

import dreamlib as dl
from dreamlib import param as P
from dreamlib import regularisers as R
from dreamlib import transforms as T
from tests.conftest import edge_energy, two_edge_model


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


def test_colour_matrix_is_the_square_root_of_the_covariance():
    g = torch.Generator().manual_seed(0)
    mix = torch.tensor([[1.0, 0.0, 0.0], [0.8, 0.3, 0.0], [0.5, 0.2, 0.1]])
    images = torch.einsum("ij,bjhw->bihw", mix, torch.randn(8, 3, 16, 16, generator=g))
    m = P.estimate_colour_matrix(images)
    pixels = images.permute(0, 2, 3, 1).reshape(-1, 3)
    assert torch.allclose(m @ m.T, torch.cov(pixels.T, correction=0), atol=1e-4)
    shapes_m = P.colour_matrix(dl.load_model("shapes"))
    imagenet_m = P.colour_matrix(None)
    assert shapes_m.norm(dim=0).max().item() == pytest.approx(1.0)
    assert imagenet_m.norm(dim=0).max().item() == pytest.approx(1.0)
    # ImageNet colours are strongly correlated (first column ~ grey); the shapes data's random colours are not
    assert (imagenet_m[:, 0] / imagenet_m[:, 0].norm()).min() > 0.55
    assert not torch.allclose(shapes_m, imagenet_m, atol=0.1)


@pytest.mark.parametrize("kind", ["fft", "pixel"])
def test_image_param_shape_range_and_seed(kind):
    make = lambda seed: P.ImageParam(2, 20, 24, param=kind, matrix=P.colour_matrix(None),
                                     generator=torch.Generator().manual_seed(seed))
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


# --- transforms ------------------------------------------------------------------------------------------------

def test_transforms_change_sizes_as_documented():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 32, 32)
    assert T.pad(4)(x, g).shape == (2, 3, 40, 40) and T.pad(4)(x, g)[..., 0, 0].eq(0.5).all()
    shifted = T.jitter(6)(x, g)
    assert shifted.shape == (2, 3, 26, 26)
    offsets = [(dy, dx) for dy in range(7) for dx in range(7) if torch.equal(x[..., dy:dy + 26, dx:dx + 26], shifted)]
    assert len(offsets) == 1  # a crop of the input, somewhere
    assert T.random_scale([0.5])(x, g).shape == (2, 3, 16, 16)
    assert torch.allclose(T.random_rotate([0])(x, g), x, atol=1e-5)
    assert T.standard()(x, g).shape[-1] in range(39, 50)  # (32 + 24 - 8) scaled by 0.9-1.1, - 4
    assert torch.equal(T.as_transform(None)(x, g), x)
    with pytest.raises(dl.DreamError, match="transforms must be 'standard', 'none'"):
        T.as_transform("shake")


def test_rotation_turns_vertical_stripes_horizontal():
    stripes = (torch.arange(32) // 4 % 2).float().view(1, 1, 1, 32).expand(1, 3, 32, 32)
    turned = T.random_rotate([90])(stripes, torch.Generator())
    v, h = edge_energy(turned[..., 8:24, 8:24])
    v0, h0 = edge_energy(stripes[..., 8:24, 8:24])
    assert v0 > 0 and h0 == 0 and h > 0.9 * v0 and v < 0.05 * h


# --- regularisers ----------------------------------------------------------------------------------------------

def test_regulariser_values():
    flat = torch.full((2, 3, 8, 8), 0.5)
    board = checkerboard(8)
    assert R.total_variation()(flat).tolist() == [0.0, 0.0]
    assert R.total_variation(2.0)(board).item() == pytest.approx(4.0)  # every neighbour differs by 1, in y and x
    assert R.blur()(flat).abs().max() < 1e-7 and R.blur()(board).item() > 0.1
    assert R.l1()(flat).tolist() == [0.0, 0.0] and R.l1()(board).item() == pytest.approx(0.5)
    assert R.near_photo(board)(board).item() == 0.0 and R.near_photo(board)(1 - board).item() == 1.0
    with pytest.raises(dl.DreamError, match="weight must be a number >= 0"):
        R.total_variation(-1)


def test_total_variation_penalty_smooths_a_render():
    net = two_edge_model()
    common = dict(size=32, steps=30, seed=0, progress=False, param="pixel", transforms=None)
    plain = dl.render(net, dl.channel("1", 0), **common)
    smooth = dl.render(net, dl.channel("1", 0), regularisers=[R.total_variation(3.0)], **common)
    assert R.total_variation()(smooth).item() < 0.7 * R.total_variation()(plain).item()


# --- render ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("index", [0, 1])
def test_pixel_render_draws_the_channels_edges(index):
    out = dl.render(two_edge_model(), dl.channel("1", index), size=32, steps=40, seed=0, param="pixel", progress=False)
    assert out.shape == (1, 3, 32, 32) and out.dtype == torch.float32 and out.device.type == "cpu"
    assert 0 <= out.min() and out.max() <= 1
    v, h = edge_energy(out)
    assert (v > 2 * h) if index == 0 else (h > 2 * v)


def colour_net():
    """Layer "0": channel 0 = red minus the mean of green and blue, channel 1 = blue minus red and green (1x1 convs)."""
    conv = torch.nn.Conv2d(3, 2, 1, bias=False)
    with torch.no_grad():
        conv.weight[:, :, 0, 0] = torch.tensor([[1.0, -0.5, -0.5], [-0.5, -0.5, 1.0]])
    return torch.nn.Sequential(conv)


@pytest.mark.parametrize("decorrelate", [True, False])
@pytest.mark.parametrize("index, colour", [(0, 0), (1, 2)])
def test_fft_render_finds_the_colour_a_channel_wants(index, colour, decorrelate):
    out = dl.render(colour_net(), dl.channel("0", index), size=32, steps=40, seed=0, decorrelate=decorrelate,
                    progress=False)
    means = out.mean(dim=(0, 2, 3))
    assert means.argmax().item() == colour and means[colour] - means.min() > 0.08


def test_render_repeats_with_a_seed_and_batches(tiny):
    run = lambda seed: dl.render(tiny, "2", size=24, steps=3, seed=seed, batch=2, progress=False)
    a, b, c = run(0), run(0), run(1)
    assert a.shape == (2, 3, 24, 24) and torch.equal(a, b) and not torch.equal(a, c)
    assert not torch.equal(a[0], a[1])  # each image has its own noise
    seen = []
    dl.render(tiny, "2", size=24, steps=3, seed=0, progress=False, callback=lambda info: seen.append(info.step))
    assert seen == [0, 1, 2]


def test_render_leaves_the_weights_alone(tiny):
    before = [p.detach().clone() for p in tiny.parameters()]
    dl.render(tiny, dl.class_logit(1), size=24, steps=2, seed=0, progress=False)
    assert all(p.grad is None for p in tiny.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, tiny.parameters()))


def test_render_errors_are_one_line(tiny):
    for kwargs, message in [
        (dict(param="wavelet"), "param must be one of"),
        (dict(size=0), "size must be a whole number >= 1"),
        (dict(steps=0), "steps must be a whole number >= 1"),
        (dict(batch=0), "batch must be a whole number >= 1"),
        (dict(objective="nolayer"), "nolayer"),
    ]:
        kwargs = {"objective": "2", **kwargs}
        with pytest.raises(dl.DreamError, match=message):
            dl.render(tiny, kwargs.pop("objective"), progress=False, **kwargs)


def test_negative_objective_turns_the_edges_around():
    """-channel drives the vertical-edge channel down: with +horizontal, the render's edges turn horizontal."""
    net = two_edge_model()
    common = dict(size=32, steps=30, seed=0, progress=False, param="pixel")
    v, h = edge_energy(dl.render(net, dl.channel("1", 0), **common))
    nv, nh = edge_energy(dl.render(net, -dl.channel("1", 0) + dl.channel("1", 1), **common))
    assert v > 2 * h and nh > 2 * nv


# --- new objectives --------------------------------------------------------------------------------------------

def test_diversity_and_direction_values():
    x = torch.rand(1, 4, 5, 5, generator=torch.Generator().manual_seed(0))
    same = {"a": x.expand(3, 4, 5, 5)}
    assert torch.allclose(dl.diversity("a")(same), torch.full((3,), -2 / 3))  # each image equals the other two
    assert dl.diversity("a")({"a": x}).item() == 0.0
    acts = {"a": torch.randn(2, 4, 3, 3)}
    torch.testing.assert_close(dl.direction("a", [0, 0, 5.0, 0])(acts), dl.channel("a", 2)(acts))
    torch.testing.assert_close(dl.direction("a", [1.0, 1.0, 0, 0])(acts),
                               (acts["a"][:, 0] + acts["a"][:, 1]).flatten(1).mean(1) / math.sqrt(2))
    with pytest.raises(dl.DreamError, match="has 3 numbers but a has 4 channels"):
        dl.direction("a", [1.0, 0, 0])(acts)
    with pytest.raises(dl.DreamError, match="non-zero"):
        dl.direction("a", [0, 0])


@pytest.mark.parametrize("kind", ["fft", "pixel"])
def test_diversity_splits_a_batch_between_the_two_edge_detectors(kind):
    """Both images of a batch maximising the layer mean use both channels alike; with diversity they specialise."""
    net = two_edge_model()

    def vertical_share(images):
        with torch.no_grad():
            a = net[1](net[0](images)).mean((2, 3))
        return a[:, 0] / a.sum(1)

    common = dict(size=32, steps=30, seed=0, progress=False, batch=2, param=kind)
    plain = vertical_share(dl.render(net, dl.layer_mean("1"), **common))
    varied = vertical_share(dl.render(net, dl.layer_mean("1") + 20 * dl.diversity("1"), **common))
    assert (plain[0] - plain[1]).abs() < 0.05 and (varied[0] - varied[1]).abs() > 0.25


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
