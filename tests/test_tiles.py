import random

import pytest
import torch

import dreamlib
from dreamlib import dream, layer_mean, tile_spans, tiled_gradient
from dreamlib.ascent import image_gradient
from dreamlib.tiles import dream_step
from tests.helpers import edge_model


def test_tile_spans_cover_the_image_and_merge_a_too_small_last_tile():
    assert tile_spans(100, 32) == [(0, 32), (32, 64), (64, 96), (96, 100)]
    assert tile_spans(100, 32, min_size=8) == [(0, 32), (32, 64), (64, 100)]
    assert tile_spans(20, 32) == [(0, 20)]


def test_tiled_gradient_equals_the_whole_gradient_away_from_tile_borders():
    model = dreamlib.as_dream_model(edge_model())
    torch.manual_seed(0)
    x = torch.rand(1, 3, 64, 96)
    whole, _ = image_gradient(model, x, layer_mean("1"))
    tiled, _ = tiled_gradient(model, x, layer_mean("1"), tile=32)
    inner = torch.ones(64, 96, dtype=torch.bool)
    for b in (32, 64):  # a 3x3 filter: tiles differ from the whole image within 2 px of their borders
        inner[:, b - 2 : b + 2] = False
        if b < 64:
            inner[b - 2 : b + 2, :] = False
    torch.testing.assert_close(tiled[..., inner], whole[..., inner], rtol=1e-4, atol=1e-7)
    assert not torch.allclose(tiled, whole)  # zero padding at the tile borders does differ


def _column_profile(change: torch.Tensor) -> torch.Tensor:
    return change.abs().mean(dim=(0, 1, 2))


def test_tiled_dream_leaves_no_seams(run_as):
    """Per-column statistics show a step at tile borders for one fixed tiling, and none after a tiled dream."""
    model = run_as(dreamlib.as_dream_model(edge_model()))
    torch.manual_seed(0)
    start = 0.5 + 0.05 * torch.randn(1, 3, 64, 256)
    tile = 32
    borders = [b for b in range(tile, 256, tile)]
    # Negative control: one tiled gradient with fixed tiles has a visible step at every border.
    grad, _ = tiled_gradient(model, start, layer_mean("1"), tile)
    whole, _ = image_gradient(model, start, layer_mean("1"))
    seam = _column_profile(grad - whole * 1.0)
    assert (
        min(seam[b] for b in borders)
        > 10 * seam[[c for c in range(256) if all(abs(c - b) > 2 for b in borders)]].mean()
    )
    # The real thing: rolled tiles move every step, so border columns change like all others.
    out = dream(model, start, "1", octaves=1, steps=40, lr=0.01, seed=0, tile=tile, progress=False)
    profile = _column_profile(out - start)
    at_borders = torch.stack([profile[b - 1 : b + 1].mean() for b in borders])
    assert (at_borders / profile.mean()).max() < 1.3 and (at_borders / profile.mean()).min() > 0.7


def test_a_tile_of_a_few_pixels_is_refused_even_for_a_model_without_a_minimum(tiny, image):
    with pytest.raises(dreamlib.DreamError, match="tile must be a whole number of pixels >= 8 for custom, got 7"):
        dream(tiny, image, "2", tile=7, progress=False)


def test_tile_must_fit_the_model(inception_random):
    with pytest.raises(dreamlib.DreamError, match="tile must be a whole number of pixels >= 75 for inception_v3"):
        dream(inception_random, torch.rand(1, 3, 100, 100), "Mixed_5b", tile=50, progress=False)


def test_tiled_dream_on_a_real_network_keeps_shape_and_range(inception_random):
    x = torch.rand(1, 3, 120, 200)
    out = dream(inception_random, x, "Mixed_5b", octaves=1, steps=2, tile=96, seed=0, progress=False)
    assert out.shape == x.shape and 0 <= out.min() and out.max() <= 1 and not torch.equal(out, x)


def test_shifted_tiled_gradient_equals_rolling_the_image_and_back():
    """shift=(dy, dx) gathers tiles with wrap-around instead of rolling: same numbers, no rolled copies."""
    model = dreamlib.as_dream_model(edge_model())
    torch.manual_seed(0)
    x = torch.rand(2, 3, 70, 90)
    for dy, dx in ((0, 0), (13, -40), (-69, 89), (100, 7)):
        rolled = torch.roll(x, shifts=(dy, dx), dims=(2, 3))
        ref, ref_score = tiled_gradient(model, rolled, layer_mean("1"), tile=32)
        ref = torch.roll(ref, shifts=(-dy, -dx), dims=(2, 3))
        got, score = tiled_gradient(model, x, layer_mean("1"), tile=32, shift=(dy, dx))
        torch.testing.assert_close(got, ref, rtol=1e-5, atol=1e-8)
        torch.testing.assert_close(score, ref_score)
        assert torch.equal(got == 0, ref == 0)


def test_tiled_step_matches_roll_normalise_step_and_leaves_the_input_alone():
    from dreamlib.ascent import normalize_gradient, random_shift

    model = dreamlib.as_dream_model(edge_model())
    torch.manual_seed(0)
    x = torch.rand(2, 3, 80, 100)
    x[1] = 0.0  # black, padding included: no edge anywhere, a zero gradient, so it must not move (no NaN)
    before = x.clone()
    new, _ = dream_step(model, x, layer_mean("1"), lr=0.05, jitter=8, rng=random.Random(4), tile=32)
    assert torch.equal(x, before)  # the caller's image is not written to
    rng = random.Random(4)  # the same random numbers, spelled out the old way: roll, gradient, roll back
    dy, dx = random_shift(8, rng)
    dy, dx = dy + rng.randrange(32), dx + rng.randrange(32)
    grad, _ = tiled_gradient(model, torch.roll(x, (dy, dx), (2, 3)), layer_mean("1"), tile=32)
    expected = (x + 0.05 * normalize_gradient(torch.roll(grad, (-dy, -dx), (2, 3)))).clamp(0, 1)
    torch.testing.assert_close(new, expected, rtol=1e-5, atol=1e-6)
    assert torch.equal(new[1], x[1]) and not torch.allclose(new[0], x[0])


def test_tiled_dream_shows_progress_per_tile(capsys):
    model = dreamlib.as_dream_model(edge_model())
    dream(model, torch.rand(1, 3, 64, 64), "1", octaves=1, steps=1, tile=32, seed=0, progress=True)
    assert "tiles" in capsys.readouterr().err


def test_in_place_tiled_step_with_a_bf16_gradient_buffer_agrees_with_the_float32_step():
    model = dreamlib.as_dream_model(edge_model())
    torch.manual_seed(0)
    x = torch.rand(2, 3, 80, 100)
    x[1] = 0.0  # zero gradient: stays put
    reference, ref_score = dream_step(model, x, layer_mean("1"), lr=0.05, jitter=8, rng=random.Random(4), tile=32)
    work = x.clone()
    out, score = dream_step(
        model, work, layer_mean("1"), lr=0.05, jitter=8, rng=random.Random(4), tile=32, inplace=True
    )
    assert out.data_ptr() == work.data_ptr()  # written into the image itself
    torch.testing.assert_close(score, ref_score)
    # bf16 keeps 8 bits of each gradient value: each pixel's move is off by at most ~1/256 of its size
    assert (out - reference).abs().max() <= (reference - x).abs().max() / 128
    assert torch.equal(out[1], x[1])
    moved = (reference[0] - x[0]).abs().mean()
    assert (out[0] - x[0]).abs().mean() == pytest.approx(moved.item(), rel=0.01)


def test_without_tiles_the_dream_step_is_lessons_ascent_step(tiny, image):
    from dreamlib.ascent import ascent_step

    model, objective = dreamlib.as_dream_model(tiny), layer_mean("2")
    ours, s0 = dream_step(model, image, objective, lr=0.02, jitter=8, rng=random.Random(3), tile=512)
    lesson, s1 = ascent_step(model, image, objective, lr=0.02, jitter=8, rng=random.Random(3))
    assert torch.equal(ours, lesson) and torch.equal(s0, s1)


def test_a_preconditioned_step_changes_the_image_by_the_basis_change_of_its_gradient(tiny, image):
    from dreamlib.ascent import normalize_gradient, random_shift

    model, objective = dreamlib.as_dream_model(tiny), layer_mean("2")
    blur = lambda g: torch.nn.functional.avg_pool2d(g, 3, 1, 1)  # noqa: E731 - any linear map of the gradient
    new, _ = dream_step(model, image, objective, lr=0.02, jitter=8, rng=random.Random(3), precondition=blur)
    dy, dx = random_shift(8, random.Random(3))
    grad, _ = image_gradient(model, torch.roll(image, (dy, dx), (2, 3)), objective)
    expected = (image + 0.02 * normalize_gradient(blur(torch.roll(grad, (-dy, -dx), (2, 3))))).clamp(0, 1)
    torch.testing.assert_close(new, expected)


def _quiet(**kw):
    return dict(progress=False, **kw)


# --- memory: dream frees its own copy of the image, never the caller's --------------------------------------------


def _full_size_storages(shape) -> set:
    """Storages of live tensors with the image's height and width (what a print-size dream pays for)."""
    import gc

    gc.collect()
    return {
        obj.untyped_storage().data_ptr()
        for obj in gc.get_objects()
        if issubclass(type(obj), torch.Tensor) and obj.dim() == 4 and tuple(obj.shape[-2:]) == tuple(shape[-2:])
    }


@pytest.mark.parametrize("octaves", [1, 3])
@pytest.mark.parametrize("tile", [None, 32])
def test_an_image_dream_owns_is_freed_for_the_last_octave_and_yours_is_left_alone(
    tiny, image, monkeypatch, octaves, tile
):
    import importlib

    tiles = importlib.import_module("dreamlib.tiles")
    real_step, new = tiles.dream_step, []

    def step(model, img, *args, **kwargs):
        if tuple(img.shape) == tuple(image.shape):  # a step of the last octave
            new.append(len(_full_size_storages(image.shape) - before))
        return real_step(model, img, *args, **kwargs)

    monkeypatch.setattr(tiles, "dream_step", step)
    pixels = (image * 255).round().to(torch.uint8)  # what the command line passes: dream makes (and owns) the floats
    floats = pixels.float() / 255
    kept = floats.clone()
    settings = dict(octaves=octaves, steps=2, tile=tile, **_quiet(seed=3))
    before = _full_size_storages(image.shape)
    mine = dream(tiny, pixels, "2", **settings)
    owned, new[:] = list(new), []
    before = _full_size_storages(image.shape)
    recipe = dreamlib.Recipe(octaves=octaves, steps=2, tile=tile, seed=3)
    yours = tiles.dream_large(tiny, floats, "2", recipe, progress=False)
    assert torch.equal(mine, yours)  # the memory-saving path computes exactly the same dream
    if tile is None:  # and without tiles, lesson 04's loop (dl.dream on a float image) gives the same pixels
        assert torch.equal(mine, dream(tiny, floats, "2", **settings))
    assert torch.equal(floats, kept)  # the caller's image is never written to
    # during the last octave, dream itself holds one full-size image: the one being dreamed (its float copy of
    # the uint8 pixels is gone by then; your float image is used, not copied)
    assert (set(owned), set(new)) == ({1}, {1})


@pytest.mark.parametrize("print_size", [False, True])
def test_uint8_pixels_are_never_held_as_full_size_floats_before_the_last_octave(tiny, image, monkeypatch, print_size):
    import importlib

    tiles = importlib.import_module("dreamlib.tiles")
    if print_size:  # the channel-at-a-time path that print-size images take
        monkeypatch.setattr(tiles, "LARGE", 1)
        monkeypatch.setattr(importlib.import_module("dreamlib.images"), "LARGE", 1)
    real_step, early = tiles.dream_step, []

    def step(model, img, *args, **kwargs):
        if tuple(img.shape) != tuple(image.shape):  # a step of an earlier, smaller octave
            early.append(len(_full_size_storages(image.shape) - before))
        return real_step(model, img, *args, **kwargs)

    monkeypatch.setattr(tiles, "dream_step", step)
    pixels = (image * 255).round().to(torch.uint8)
    before = _full_size_storages(image.shape)
    mine = dream(tiny, pixels, "2", octaves=3, steps=2, **_quiet(seed=5))
    # while the smaller octaves are dreamed, nothing of full size is alive but your uint8 pixels
    assert early and set(early) == {0}
    assert torch.equal(mine, dream(tiny, pixels.float() / 255, "2", octaves=3, steps=2, **_quiet(seed=5)))
