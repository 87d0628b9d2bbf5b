"""The checkers of lessons 07-08 (dreamlib/exercises/motion.py) name typical mistakes."""

import pytest

from dreamlib import exercises
from dreamlib.exercises.motion import _grid_sample


@pytest.mark.parametrize(
    "wrong, says",
    [
        (lambda image, flow: _grid_sample(image, flow, sign=-1.0), "moved the wrong way"),
        (lambda image, flow: _grid_sample(image, flow, swap=True), "wants (x, y) in its last dimension"),
        (lambda image, flow: _grid_sample(image, flow, by_width=True), "divide by (W - 1), not W"),
        (lambda image, flow: image, "values differ from the reference"),
        (lambda image, flow: image[0], "returned shape (3, 12, 16)"),
        (lambda image, flow: 3, "returned a int"),
    ],
)
def test_mistakes_get_their_hint(wrong, says, capsys):
    assert exercises.check_warp(wrong) is False
    out = capsys.readouterr().out
    assert "❌" in out and says in out, out


@pytest.mark.parametrize(
    "right, wrong, measured, says",
    [
        ("frame by frame", "carried", "frame by frame", "the picture moves beneath them"),
        ("Frame-by-frame", "steady", "frame by frame", "follows the picture"),
        ("carried", "alone", "carried", "In this run the same seed"),
    ],
)
def test_same_seed_prediction_is_judged_and_explained(right, wrong, measured, says, capsys):
    assert exercises.check_same_seed(right, measured) is True
    assert "✅" in capsys.readouterr().out
    assert exercises.check_same_seed(wrong, measured) is False
    out = capsys.readouterr().out
    assert "❌" in out and says in out, out
    assert exercises.check_same_seed(..., measured) is False
    assert "no prediction yet" in capsys.readouterr().out
