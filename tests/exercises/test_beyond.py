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


def test_neuron_patch_prediction_is_judged_and_explained(capsys):
    assert exercises.check_neuron_patch(17, 17) is True
    assert exercises.check_neuron_patch(16.5, 17) is True
    assert "receptive field" in capsys.readouterr().out
    assert exercises.check_neuron_patch(81, 17) is False
    out = capsys.readouterr().out
    assert "❌" in out and "you predicted 81, the run gave 17" in out
    assert exercises.check_neuron_patch(True, 17) is False
    assert exercises.check_neuron_patch(..., 17) is False
    assert "no prediction yet" in capsys.readouterr().out


def test_a_centre_neuron_without_jitter_changes_exactly_its_receptive_field():
    """Lesson 06's prediction: with jitter=0 and one octave, the changed patch is the receptive field (17 px)."""
    model = dl.load_model("shapes_dreamer")  # the lesson's network and neuron
    photo = dl.sample_image("coffee", max_size=128)
    dreamed = dl.dream(model, photo, objective=dl.neuron("conv4", 8), steps=4, lr=0.02, seed=0, jitter=0, octaves=1)
    changed = (dreamed - photo).abs().amax(1)[0] > 0
    rows, cols = changed.any(1).nonzero(), changed.any(0).nonzero()
    width = max(rows.max() - rows.min() + 1, cols.max() - cols.min() + 1).item()
    assert width == dl.receptive_field(model, "conv4") == 17
