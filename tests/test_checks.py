"""One-line checks of what users pass (dreamlib/checks.py): the same message everywhere."""

import math

import numpy
import pytest
import torch

from dreamlib.checks import check_index, check_non_negative, check_positive, check_whole, is_number
from dreamlib.errors import DreamError


def test_numbers_are_ints_and_floats_but_not_bools():
    assert is_number(3) and is_number(2.5) and not is_number(True) and not is_number("3")


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: check_whole("steps", 0), r"steps must be a whole number >= 1, got 0"),
        (lambda: check_whole("max_frames", True), r"max frames must be a whole number >= 1, got True"),
        (lambda: check_whole("k", 9, 1, 8), r"k must be a whole number in 1..8, got 9"),
        (lambda: check_positive("lr", math.inf), r"lr must be a finite number > 0, got inf"),
        (lambda: check_non_negative("alpha", -1), r"alpha must be a number >= 0, got -1"),
        (lambda: check_index("channel", 70, 64, "conv4"), r"channel 70 is out of range for conv4 \(valid: 0..63\)"),
        (lambda: check_index("unit", -1), r"unit -1 is out of range \(valid: whole numbers >= 0\)"),
        (lambda: check_index("class", 1.0, 10), r"class 1.0 is out of range \(valid: 0..9\)"),
    ],
)
def test_each_check_names_the_valid_range_in_one_line(call, message):
    with pytest.raises(DreamError, match=message) as caught:
        call()
    assert "\n" not in str(caught.value)


def test_valid_values_pass():
    check_whole("steps", 1)
    check_whole("seed", 0, 0)
    check_positive("lr", 0.1)
    check_non_negative("alpha", 0)
    check_index("channel", 63, 64, "conv4")
    check_index("unit", 5)
    check_index("class", torch.tensor(3), 10)  # labels[0], as lesson 10 passes it
    check_index("class", numpy.int64(3), 10)
