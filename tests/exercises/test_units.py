"""Checkers of notebook 19 (dreamlib/exercises/units.py): they pass the reference and catch the usual mistakes."""

import pytest

import dreamlib as dl
from dreamlib.exercises import check_iou, check_unit_part


def test_check_iou_passes_the_reference_and_names_the_usual_mistakes(capsys):
    assert check_iou(lambda on, part: (on & part).sum() / (on | part).sum())
    per_image = lambda on, part: ((on & part).sum((1, 2)) / (on | part).sum((1, 2))).mean()  # noqa: E731
    assert not check_iou(per_image)
    assert "mean of per-image IoUs" in capsys.readouterr().out
    assert not check_iou(lambda on, part: (on & part).sum() / part.sum())
    assert "divided by the part's area" in capsys.readouterr().out
    assert not check_iou(lambda on, part: "x")
    assert not check_iou(lambda on, part: (_ for _ in ()).throw(NotImplementedError))
    assert "not done yet" in capsys.readouterr().out


@pytest.mark.parametrize(
    "guess, passed, says",
    [("wheel", True, "✅"), (" Wheel ", True, "✅"), ("hub", False, "runner-up"), ("petal", False, "neither says"),
     ("tyre", False, "not one of the parts"), (..., False, "no prediction yet")],
)  # fmt: skip
def test_check_unit_part(guess, passed, says, capsys):
    label = dl.UnitLabel(7, "wheel", 0.08, "hub", 0.05)
    assert check_unit_part(guess, label, dl.shapes.PARTS) is passed
    assert says in capsys.readouterr().out
