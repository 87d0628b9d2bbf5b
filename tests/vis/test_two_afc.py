"""The forced-choice test of Borowski et al. (dreamlib/vis/two_afc.py, lesson 18)."""

import pytest
import torch

import dreamlib as dl
from dreamlib.vis import two_afc
from tests.helpers import stripes, two_edge_model


@pytest.fixture(scope="module")
def setting():
    model = dl.as_dream_model(two_edge_model())  # channel 0: vertical edges, channel 1: horizontal ones
    images = torch.cat([stripes(True, 12, seed=1), stripes(False, 12, seed=2), 0.5 + 0.01 * torch.rand(12, 3, 24, 24)])
    return model, images


@pytest.mark.parametrize("kind", ["natural", "synthetic"])
def test_trials_have_the_right_answer_and_an_observer_finds_it(setting, kind):
    model, images = setting
    trials = two_afc.make_trials(model, "1", [0, 1], images, kind=kind, refs=3, size=24, steps=24)
    assert [t.unit for t in trials] == [0, 1] and all(t.kind == kind for t in trials)
    for t in trials:
        assert t.top.shape[0] == 3 and t.bottom.shape[0] == 3 and t.queries.shape == (2, 3, 24, 24)
        acts = dl.forward_until(model, t.queries, ["1"])["1"][:, t.unit].mean((1, 2))
        assert t.answer == ("A" if acts[0] > acts[1] else "B")
    answers = two_afc.observer(trials, lambda x: dl.forward_until(model, x, ["1"])["1"].mean((2, 3)))
    assert two_afc.score(trials, answers) == 1.0
    flipped = "".join("B" if a == "A" else "A" for a in answers)
    assert two_afc.score(trials, flipped) == 0.0


def test_trials_repeat_with_a_seed_and_answers_are_not_always_a(setting):
    model, images = setting
    one = two_afc.make_trials(model, "1", [0, 1, 0, 1, 0, 1], images, seed=3)
    two = two_afc.make_trials(model, "1", [0, 1, 0, 1, 0, 1], images, seed=3)
    assert [t.answer for t in one] == [t.answer for t in two]
    assert all(torch.equal(a.queries, b.queries) for a, b in zip(one, two))
    assert len({t.answer for t in two_afc.make_trials(model, "1", [0, 1] * 8, images, seed=0)}) == 2


def test_bad_input_fails_with_one_line(setting):
    model, images = setting
    trials = two_afc.make_trials(model, "1", [0], images)
    with pytest.raises(dl.DreamError, match="one letter"):
        two_afc.score(trials, "AB")
    with pytest.raises(dl.DreamError, match="one letter"):
        two_afc.score(trials, "C")
    assert two_afc.score(trials, " " + trials[0].answer.lower()) == 1.0
    with pytest.raises(dl.DreamError, match="kind must be"):
        two_afc.make_trials(model, "1", [0], images, kind="dreamed")
    with pytest.raises(dl.DreamError, match="out of range"):
        two_afc.make_trials(model, "1", [7], images)
    with pytest.raises(dl.DreamError, match="at least"):
        two_afc.make_trials(model, "1", [0], images[:5])
