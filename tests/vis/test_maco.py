"""MACO: phase-only renders, magnitude templates, shrinking crops, attribution maps (dreamlib/vis/maco.py)."""

from __future__ import annotations

import pytest
import torch

import dreamlib as dl
from dreamlib.vis import maco
from dreamlib.vis.param import ImageParam, colour_matrix
from dreamlib.vis.transforms import MacoCrops
from tests.helpers import tiny_net, two_edge_model


def _free_columns(x: torch.Tensor) -> torch.Tensor:
    """|rfft2| of the columns an inverse rfft2 leaves free (not the constant or Nyquist column): (..., H, W/2 - 1)."""
    return torch.fft.rfft2(x.double(), norm="ortho").abs()[..., 1:-1]


def test_the_optimised_image_keeps_the_templates_magnitude_before_colours_are_mixed():
    template = maco.spectrum_for(None)
    image = ImageParam(
        1, 48, param="maco", matrix=colour_matrix(None), magnitude=template, generator=torch.Generator().manual_seed(0)
    )
    opt = torch.optim.Adam(image.parameters(), lr=1.0)
    net = two_edge_model()
    for _ in range(5):  # the phases move...
        loss = -net(image()).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    before = maco.phase_image(image.raw.detach(), image.magnitude, (48, 48))  # ...the magnitudes do not
    ratio = _free_columns(before)[0] / image.magnitude.double()[..., 1:-1]
    assert torch.allclose(ratio, ratio.mean().expand_as(ratio), rtol=1e-4)  # one scale: the standardisation
    unmixed = torch.einsum(
        "ij,bjhw->bihw", torch.linalg.inv(image.matrix.double()), torch.logit(image.double()().detach())
    )
    ratio = _free_columns(unmixed)[0] / image.magnitude.double()[..., 1:-1]  # from the rendered image itself
    assert torch.allclose(ratio, ratio.mean().expand_as(ratio), rtol=5e-3)  # rendered in float64: logit exact


def test_templates_are_estimated_from_any_images_and_resized_by_frequency(tmp_path):
    shapes, _ = dl.shapes.make_batch(8, torch.Generator().manual_seed(0), size=64)
    from_tensor = dl.magnitude_spectrum(shapes, size=64)
    assert from_tensor.shape == (3, 64, 33) and (from_tensor >= 0).all()
    for name in ("coffee", "chelsea"):
        dl.save_image(dl.sample_image(name), tmp_path / f"{name}.png")
    from_folder = dl.magnitude_spectrum(tmp_path, size=32, crops=2)
    from_list = dl.magnitude_spectrum([tmp_path, (shapes * 255).round().byte()], size=32, crops=2)
    from_samples = dl.magnitude_spectrum("samples", size=32, crops=2)
    assert from_folder.shape == from_list.shape == from_samples.shape == (3, 32, 17)
    assert not torch.allclose(from_folder, from_list)
    # natural photos: magnitude falls with frequency (about 1/f); the shipped template agrees
    low, high = from_samples[:, 1:3, 1:3].mean(), from_samples[:, 12:16, 12:16].mean()
    assert low > 4 * high
    # resizing keeps each frequency's magnitude in cycles per pixel: a peak at 1/8 cycles per pixel stays there
    peaked = torch.zeros(3, 64, 33)
    peaked[:, 0, 8] = 1.0  # fx = 8/64
    bigger = maco.resize_spectrum(peaked, 128, 128)
    assert bigger[0].argmax() == 16 and bigger[:, 0, 0].eq(0).all()  # fx = 16/128; no constant term
    same = maco.resize_spectrum(from_tensor, 64, 64)
    assert torch.allclose(same[:, 1:], from_tensor[:, 1:], atol=1e-6)


@pytest.mark.parametrize(
    "images, says",
    [
        ("/no/such/folder", "no such folder of images: /no/such/folder"),
        (torch.rand(2, 1, 8, 8), r"needs \(N, 3, H, W\) images, got shape \(2, 1, 8, 8\)"),
        (torch.full((1, 3, 16, 16), float("nan")), "NaN or infinite"),
        ([], "got no images"),
        (42, "takes a tensor, a folder, 'samples' or a list of them, got int"),
    ],
)
def test_bad_images_for_a_template_are_one_line(images, says):
    with pytest.raises(dl.DreamError, match=says):
        dl.magnitude_spectrum(images, size=16)


def test_an_empty_folder_is_named(tmp_path):
    with pytest.raises(dl.DreamError, match="holds no images"):
        dl.magnitude_spectrum(tmp_path)


def test_the_shipped_template_is_what_the_script_makes():
    """scripts/make_spectra.py writes dreamlib/vis/spectra/photos.pt; a change to the photos or recipe shows here."""
    shipped = maco._shipped("photos")
    assert shipped.shape == (3, maco.SPECTRUM_SIZE, maco.SPECTRUM_SIZE // 2 + 1)
    assert torch.allclose(shipped, maco.make_template("photos"), rtol=2e-3, atol=1e-4)  # stored as float16


def test_every_crop_lies_in_the_range_asked_for_and_the_range_shrinks():
    crops = MacoCrops(steps=10, box=(0.2, 0.6), crops=5, noise=0.0, output=24)
    images = torch.rand(2, 3, 100, 80)
    g = torch.Generator().manual_seed(0)
    uppers = []
    for call in range(12):
        out = crops(images, g)
        assert out.shape == (10, 3, 24, 24)
        lo, hi = crops.bounds(call)
        uppers.append(hi)
        assert (crops.sides >= 0.2 * 80 - 1e-4).all() and (crops.sides <= hi * 80 + 1e-4).all()
    assert uppers[0] == 0.6 and uppers[9] == pytest.approx(0.2) and uppers == sorted(uppers, reverse=True)
    with pytest.raises(dl.DreamError, match="box must be two shares"):
        MacoCrops(10, box=(0.25, 1.5))


def test_crops_lie_wholly_inside_the_image():
    crops = MacoCrops(steps=1, box=(0.9, 1.0), crops=50, noise=0.0, output=16)  # big crops, often near an edge
    grey = torch.full((1, 3, 32, 48), 0.7)
    out = crops(grey, torch.Generator().manual_seed(3))
    assert torch.allclose(out, torch.full_like(out, 0.7), atol=1e-5)  # no padding came in from outside


def test_maco_renders_repeat_with_a_seed_and_raise_the_objective():
    net = two_edge_model()
    scores = []
    runs = [
        dl.render(net, dl.channel("1", 0), size=48, steps=30, param="maco", seed=s, progress=False, callback=c)
        for s, c in ((1, lambda info: scores.append(info.score)), (1, None), (2, None))
    ]
    assert torch.equal(runs[0], runs[1]) and not torch.equal(runs[0], runs[2])
    # the phases alone (the power spectrum, hence how much edge there is, stays the template's) line the edges up:
    # the vertical-edge channel, as the crops show it, more than doubles
    assert sum(scores[-10:]) / 10 > 2 * scores[0]


def test_maco_works_on_any_module_and_returns_an_attribution_map_on_request():
    image, where = dl.render_attribution(tiny_net(), "2", size=40, steps=4, param="maco", seed=0, progress=False)
    assert image.shape == (1, 3, 40, 40) and where.shape == (1, 1, 40, 40)
    assert 0 <= where.min() and where.max() == pytest.approx(1.0)
    centre, border = where[..., 10:30, 10:30].mean(), where[..., :4, :].mean()
    assert centre > border  # MACO's crops scatter around the centre: that is where the gradient fell


def test_maco_is_for_render_only_and_a_template_only_for_maco():
    with pytest.raises(dl.DreamError, match="param must be one of 'fft', 'pixel'"):
        dl.dream(tiny_net(), torch.rand(1, 3, 32, 32), "2", param="maco", progress=False)
    with pytest.raises(dl.DreamError, match="param 'maco' is for dl.render; dream takes 'fft' or 'pixel'"):
        dl.dream(tiny_net(), torch.rand(1, 3, 32, 32), "2", param=dl.Param("maco"), progress=False)
    with pytest.raises(dl.DreamError, match="use it with kind='maco', not 'fft'"):
        dl.Param("fft", spectrum=torch.ones(3, 8, 5))
    with pytest.raises(dl.DreamError, match=r"a \(3, H, W // 2 \+ 1\) tensor"):
        dl.Param("maco", spectrum=torch.ones(8, 5))
    with pytest.raises(dl.DreamError, match="param must be one of 'fft', 'pixel', 'maco'"):
        dl.render(tiny_net(), "2", param="wavelet")


def test_your_own_template_is_used():
    flat = torch.ones(3, 32, 17)  # white noise: every frequency as strong
    white = dl.render(tiny_net(), "2", size=32, steps=1, param=dl.Param("maco", spectrum=flat), progress=False)
    natural = dl.render(tiny_net(), "2", size=32, steps=1, param="maco", progress=False)
    assert dl.high_frequency_energy(white) > 3 * dl.high_frequency_energy(natural)
