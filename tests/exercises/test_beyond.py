"""The checker of lesson 06 (dreamlib/exercises/beyond.py) names typical mistakes."""

import pytest
import torch

import dreamlib as dl
from dreamlib import exercises


def _objective(score, layers=None):
    """A contrast-like Objective built from ``score(x, index)`` on the layer's activations."""

    def contrast(layer, index):
        return dl.Objective(lambda acts: score(acts[layer], index), layers or [layer], "mine")

    return contrast


@pytest.mark.parametrize(
    "checker, wrong, says",
    [
        ("check_contrast", lambda layer, index: torch.zeros(2), "returned a tensor"),
        ("check_contrast", lambda layer, index: lambda acts: acts[layer][:, index].mean(), "plain function"),
        (
            "check_contrast",
            _objective(lambda x, i: x[:, i].flatten(1).mean(1) - x.flatten(1).mean(1), ["conv1"]),
            "list the layer it needs",
        ),
        ("check_contrast", _objective(lambda x, i: x[:, i].mean() - x.mean()), "averaged over the batch too"),
        ("check_contrast", _objective(lambda x, i: x[:, i].flatten(1).mean(1)), "subtract the mean of the whole layer"),
        (
            "check_contrast",
            _objective(lambda x, i: x.flatten(1).mean(1) - x[:, i].flatten(1).mean(1)),
            "sign is reversed",
        ),
        (
            "check_contrast",
            _objective(lambda x, i: (x[:, i].flatten(1).mean(1) - x.flatten(1).mean(1)).detach()),
            "during gradient ascent",
        ),
        (
            "check_contrast",
            _objective(lambda x, i: x[:, i].flatten(1).mean(1) - x[:, i].flatten(1).mean(1)),
            "values differ",
        ),
    ],
)
def test_mistakes_get_their_hint(checker, wrong, says, capsys):
    assert getattr(exercises, checker)(wrong) is False
    out = capsys.readouterr().out
    assert "❌" in out and says in out, out
