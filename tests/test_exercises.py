"""The exercise checkers accept the instructors' solutions and reject typical mistakes."""

import importlib.util
from pathlib import Path

import pytest
import torch

from dreamlib import exercises

SOLUTIONS = Path(__file__).resolve().parent.parent / "notebooks" / "solutions" / "solutions.py"


@pytest.fixture(scope="module")
def solutions():
    spec = importlib.util.spec_from_file_location("solutions", SOLUTIONS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASES = [
    ("check_mean_activation", "mean_activation"),
    ("check_normalize", "normalize"),
    ("check_denormalize", "denormalize"),
    ("check_normalize_gradient", "normalize_gradient"),
    ("check_octave_sizes", "octave_sizes"),
    ("check_activation_shapes", "activation_shapes"),
    ("check_top_k", "top_k"),
]


@pytest.mark.parametrize("checker, name", CASES)
def test_solutions_pass(solutions, checker, name, capsys):
    assert getattr(exercises, checker)(getattr(solutions, name)) is True
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("checker, name", CASES)
def test_unfinished_stub_is_reported_not_raised(checker, name, capsys):
    def stub(*args):
        raise NotImplementedError

    assert getattr(exercises, checker)(stub) is False
    assert "not done yet" in capsys.readouterr().out


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
        ("check_normalize_gradient", lambda g: g[0], "shape"),
        ("check_octave_sizes", lambda h, w, n, s: [(round(h / s**i), round(w / s**i)) for i in range(n)], "smallest first"),
        ("check_activation_shapes", lambda m, x, layers: {k: (1,) for k in layers}, "expected"),
        ("check_top_k", lambda logits, cats, k: [(cats[i], 0.5) for i in logits[0].topk(k).indices.tolist()], "softmax"),
        ("check_top_k", lambda logits, cats, k: [(cats[i], 0.1) for i in range(k)], "best first"),
        ("check_normalize", lambda *a: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_mistakes_are_named_in_plain_words(checker, wrong, says, capsys):
    assert getattr(exercises, checker)(wrong) is False
    assert says in capsys.readouterr().out
