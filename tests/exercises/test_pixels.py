"""The checkers of lessons 01-03 (dreamlib/exercises/pixels.py) name typical mistakes."""

import pytest
import torch

import dreamlib as dl
from dreamlib import exercises


def _leaky_mean_activation(model, image, layer):
    out = {}
    dict(model.named_modules())[layer].register_forward_hook(lambda m, i, o: out.update(x=o))
    model(image)
    return out["x"].mean().item()


@pytest.mark.parametrize(
    "checker, wrong, says",
    [
        ("check_mean_activation", _leaky_mean_activation, "left a hook attached"),
        ("check_mean_activation", lambda m, x, layer: 0.0, "expected"),
        ("check_normalize", lambda x, mean, std: x / std - mean, "subtract the mean first"),
        ("check_denormalize", lambda x, mean, std: (x + mean) * std, "multiply, then add"),
        ("check_normalize_gradient", lambda g: g / g.abs().mean(), "mean of its absolute values"),
        ("check_normalize_gradient", lambda g: g / (g.abs().mean(dim=(1, 2, 3), keepdim=True) + 1e-8), "1e-8"),
        ("check_normalize_gradient", lambda g: g / g.abs().mean(dim=(1, 2, 3), keepdim=True), "stay all zero"),
        ("check_normalize_gradient", lambda g: g[0], "shape"),
    ],
)
def test_mistakes_get_their_hint(checker, wrong, says, capsys):
    assert getattr(exercises, checker)(wrong) is False
    out = capsys.readouterr().out
    assert "❌" in out and says in out, out


# Predict, then run


@pytest.mark.parametrize(
    "checker, right, wrong, measured, says",
    [
        ("check_hook_calls", (1, 0), (4, 0), (1, 0), "however many pictures"),
        ("check_hook_calls", [1, 0], (1, 1), (1, 0), "neither do their hooks"),
        ("check_hook_calls", (1, 0), "1, 0", (1, 0), "you predicted '1, 0'"),
        ("check_png_round_trip", 0.5, 0, 0.4998, "rounds each value"),
        ("check_png_round_trip", 0.45, 1, 0.4998, "at most half a level"),
        ("check_png_round_trip", 0.5, True, 0.4998, "you predicted True"),
        ("check_jitter", "No jitter", "jitter", "no jitter", "add up"),
        ("check_jitter", "off", "on", "no jitter", "grid"),
        ("check_jitter", "jitter", "no jitter", "jitter", "In this run the jittered steps"),
    ],
)
def test_predictions_are_judged_and_explained(checker, right, wrong, measured, says, capsys):
    check = getattr(exercises, checker)
    assert check(right, measured) is True
    assert "✅" in capsys.readouterr().out
    assert check(wrong, measured) is False
    out = capsys.readouterr().out
    assert "❌" in out and says in out, out
    assert check(..., measured) is False
    assert "no prediction yet" in capsys.readouterr().out


def test_a_png_round_trip_moves_a_pixel_by_at_most_half_a_grey_level(tmp_path):
    """What lesson 02's prediction is about: on the loaded photo nothing changes, between levels half a level."""
    image = dl.sample_image("chelsea", max_size=128)
    back = dl.load_image(dl.save_image(image, tmp_path / "photo.png"), max_size=None)
    assert torch.equal(back, image)
    half = dl.resize(image, (image.shape[2] // 2, image.shape[3] // 2))
    back = dl.load_image(dl.save_image(half, tmp_path / "half.png"), max_size=None)
    assert 0.45 < (back - half).abs().max().item() * 255 <= 0.5 + 1e-4
