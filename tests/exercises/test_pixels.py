"""The checkers of lessons 01-03 (dreamlib/exercises/pixels.py) name typical mistakes."""

import pytest

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
