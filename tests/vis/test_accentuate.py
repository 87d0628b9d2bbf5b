"""Feature accentuation: from a photo, the unit's feature brought out, the photo kept (dreamlib/vis/accentuate.py)."""

from __future__ import annotations

import pytest
import torch

import dreamlib as dl
from dreamlib.vis.accentuate import seed_fourier
from dreamlib.vis.param import ImageParam, colour_matrix
from tests.helpers import edge_energy, tiny_net, two_edge_model


@pytest.fixture(scope="module")
def photo():
    return dl.sample_image("coffee", max_size=64)  # (1, 3, 43, 64): not square, odd height


@pytest.mark.parametrize("decorrelated", [True, False])
def test_the_fourier_image_can_start_as_the_photo(photo, decorrelated):
    param = ImageParam(1, 43, 64, param="fft", matrix=colour_matrix(None) if decorrelated else None)
    seed_fourier(param, photo)
    assert torch.allclose(param(), photo.clamp(1e-3, 1 - 1e-3), atol=1e-5)


@pytest.fixture(scope="module")
def runs(photo):
    net = two_edge_model()
    return {
        alpha: dl.accentuate(net, photo, dl.channel("1", 0), alpha=alpha, steps=30, seed=0, progress=False)
        for alpha in (0.0, 1.0, 10.0)
    }


def test_a_larger_alpha_stays_closer_to_the_photo_while_the_objective_still_rises(runs):
    distances = [runs[a].distance for a in (0.0, 1.0, 10.0)]
    assert distances[0] > distances[1] > distances[2]
    for run in runs.values():
        assert run.objective_after > run.objective_before  # accentuated, every time
    assert runs[0.0].balance == 0.0 and runs[1.0].balance > 0
    assert runs[1.0].balance == pytest.approx(runs[10.0].balance)  # measured the same way before alpha enters
    assert runs[1.0].image.shape == (1, 3, 43, 64) and runs[1.0].attribution.shape == (1, 1, 43, 64)


@pytest.mark.parametrize("channel, vertical", [(0, True), (1, False)])
def test_the_edge_detector_adds_edges_of_its_own_orientation(photo, channel, vertical):
    result = dl.accentuate(two_edge_model(), photo, dl.channel("1", channel), steps=30, seed=0, progress=False)
    v, h = edge_energy(result.image - photo)  # what accentuation added (30 steps: about 1.3 times, either way)
    assert (v > 1.15 * h) if vertical else (h > 1.15 * v)


def test_a_ball_bounds_the_distance_from_the_photo(photo):
    free = dl.accentuate(two_edge_model(), photo, dl.channel("1", 0), alpha=0, steps=20, seed=0, progress=False)
    bound = dl.accentuate(
        two_edge_model(), photo, dl.channel("1", 0), alpha=0, steps=20, ball=2.0, seed=0, progress=False
    )
    start = photo.clamp(1e-3, 1 - 1e-3)
    assert (free.image - start).norm() > 2.0
    assert (bound.image - start).norm() <= 2.0 + 1e-3 and bound.objective_after > bound.objective_before


def test_any_module_any_layer_and_one_line_mistakes(photo):
    result = dl.accentuate(tiny_net(), photo, "2", reg_layer="0", steps=3, progress=False)
    assert result.image.shape == (1, 3, 43, 64) and 0 <= result.image.min() and result.image.max() <= 1
    with pytest.raises(dl.DreamError, match="alpha must be a number >= 0"):
        dl.accentuate(tiny_net(), photo, "2", alpha=-1, progress=False)
    with pytest.raises(dl.DreamError, match="unknown layer '9'"):
        dl.accentuate(tiny_net(), photo, "2", reg_layer="9", progress=False)
    with pytest.raises(dl.DreamError, match=r"\(3, H, W\) or \(1, 3, H, W\), got \(2, 3, 16, 16\)"):
        dl.accentuate(tiny_net(), torch.rand(2, 3, 16, 16), "2", progress=False)


def test_settings_accentuate_cannot_honour_fail_with_one_line():
    model = two_edge_model()
    photo = torch.rand(1, 3, 24, 24)
    with pytest.raises(dl.DreamError, match="at least 2 steps"):
        dl.accentuate(model, photo, dl.channel("1", 0), steps=1, alpha=1.0, progress=False)
    with pytest.raises(dl.DreamError, match="not MACO's crops"):
        dl.accentuate(model, photo, dl.channel("1", 0), transforms="maco", progress=False)
    assert dl.accentuate(model, photo, dl.channel("1", 0), steps=1, alpha=0.0, progress=False).balance == 0.0


def test_attribution_follows_the_objective_not_the_penalty():
    # the objective looks only at the left half; the penalty (at the same layer) at the whole picture
    left = dl.Objective(lambda a: a["1"][..., :12].mean((1, 2, 3)), ["1"], "left half")
    photo = torch.rand(1, 3, 24, 24, generator=torch.Generator().manual_seed(0))
    out = dl.accentuate(two_edge_model(), photo, left, alpha=8.0, steps=8, transforms=None, progress=False)
    where = out.attribution[0, 0]
    assert where[:, 14:].max() < 0.05 * where[:, :10].max()
