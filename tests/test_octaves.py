"""dream: octaves with detail re-injection, its settings and memory (dreamlib/octaves.py, lesson 04)."""

import pytest
import torch

import dreamlib
from dreamlib import dream, octave_sizes
from tests.helpers import edge_energy, edge_model


def _quiet(**kw):
    return dict(progress=False, **kw)


def test_dream_keeps_shape_range_and_changes_the_image(tiny, image, run_as):
    out = dream(run_as(tiny), image, "2", octaves=2, steps=3, **_quiet(seed=0))
    assert out.shape == image.shape and out.dtype == torch.float32
    assert 0.0 <= out.min() and out.max() <= 1.0
    assert (out - image).abs().mean() > 1e-3
    assert not out.requires_grad


def test_same_seed_same_dream_other_seed_other_dream(tiny, image, run_as):
    tiny = run_as(tiny)
    a = dream(tiny, image, "2", octaves=2, steps=3, **_quiet(seed=5))
    b = dream(tiny, image, "2", octaves=2, steps=3, **_quiet(seed=5))
    c = dream(tiny, image, "2", octaves=2, steps=3, **_quiet(seed=6))
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert not torch.equal(a, c)


def test_the_dream_raises_the_objective(tiny, image, run_as):
    scores = []
    dream(
        run_as(tiny),
        image,
        "2",
        octaves=1,
        steps=8,
        jitter=0,
        **_quiet(callback=lambda info: scores.append(info.score)),
    )
    assert len(scores) == 8 and scores[-1] > scores[0]


def test_callback_sees_every_step_of_every_octave(tiny, image):
    seen = []
    dream(tiny, image, "2", octaves=3, steps=2, **_quiet(callback=seen.append))
    assert [(s.octave, s.step) for s in seen] == [(o, s) for o in range(3) for s in range(2)]
    sizes = octave_sizes(48, 64, 3, 1.4)
    assert [tuple(s.image.shape[-2:]) for s in seen[::2]] == sizes


def test_octave_sizes_smallest_first_ending_at_full_size():
    assert octave_sizes(300, 400, 4, 1.4) == [(109, 146), (153, 204), (214, 286), (300, 400)]
    assert octave_sizes(300, 400, 1, 2.0) == [(300, 400)]


def test_octaves_below_the_minimum_size_are_dropped_with_a_warning():
    with pytest.warns(dreamlib.DreamWarning, match="using 2 of 4 octaves.*75 px"):
        sizes = octave_sizes(120, 160, 4, 1.5, min_size=75)
    assert sizes == [(80, 107), (120, 160)]
    with pytest.raises(dreamlib.DreamError, match="at least 75 px"):
        octave_sizes(60, 200, 4, 1.4, min_size=75)


def test_size_guard_in_dream_uses_the_models_minimum(inception_random):
    seen = []
    with pytest.warns(dreamlib.DreamWarning, match="using 2 of 3 octaves.*75 px"):
        out = dream(
            inception_random, torch.rand(1, 3, 110, 130), "Mixed_5b", octaves=3, steps=1, **_quiet(callback=seen.append)
        )
    assert out.shape == (1, 3, 110, 130)
    assert min(seen[0].image.shape[-2:]) >= 75


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(steps=0), "steps must be a whole number >= 1, got 0"),
        (dict(octaves=0), "octaves must be a whole number in 1..100"),
        (dict(octave_scale=1.0), "octave scale must be a number > 1"),
        (dict(lr=-1.0), "lr must be a finite number > 0"),
        (dict(jitter=-2), "jitter must be a whole number in 0..4096"),
        (dict(layer="nope"), "unknown layer 'nope'"),
    ],
)
def test_bad_settings_are_one_line_errors(tiny, image, kw, message):
    with pytest.raises(dreamlib.DreamError, match=message):
        dream(tiny, image, **{"layer": "2", **kw}, progress=False)


def test_dream_accepts_images_in_other_forms(tiny, tmp_path):
    from PIL import Image

    path = tmp_path / "in.png"
    Image.new("RGB", (40, 30), (100, 150, 200)).save(path)
    assert dream(tiny, str(path), "2", octaves=1, steps=1, progress=False).shape == (1, 3, 30, 40)
    assert dream(tiny, torch.rand(3, 30, 40), "2", octaves=1, steps=1, progress=False).shape == (1, 3, 30, 40)
    with pytest.raises(dreamlib.DreamError, match="shape"):
        dream(tiny, torch.rand(1, 1, 30, 40), "2", progress=False)


@pytest.mark.parametrize("orientation", ["vertical", "horizontal"])
def test_dreaming_draws_exactly_the_feature_the_model_detects(orientation, run_as):
    """A network that only knows one edge orientation dreams stripes of that orientation, and not the other."""
    torch.manual_seed(0)
    start = 0.5 + 0.01 * torch.randn(1, 3, 64, 64)
    model = edge_model(orientation)
    out = dream(run_as(model), start, "1", octaves=2, steps=15, lr=0.02, **_quiet(seed=0))
    v, h = edge_energy(out)
    v0, h0 = edge_energy(start)
    along, across = (v, h) if orientation == "vertical" else (h, v)
    assert along > 3 * (v0 + h0) / 2  # the detected edges grew strongly...
    assert along > 3 * across  # ...and far more than the orientation the model cannot see
    with dreamlib.capture_activations(model, "1") as acts:
        model(start)
        before = acts["1"].mean().item()
        model(out)
        after = acts["1"].mean().item()
    assert after > 5 * before
