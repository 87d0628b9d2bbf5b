"""The exceptions and warnings dreamlib raises (dreamlib/errors.py)."""

import pytest

import dreamlib as dl


def test_every_user_error_is_a_dream_error_and_a_value_error():
    for error in (dl.ImageLoadError, dl.NonFiniteError, dl.WeightsUnavailableError):
        assert issubclass(error, dl.DreamError)
    assert issubclass(dl.DreamError, ValueError) and issubclass(dl.DreamWarning, UserWarning)


def test_library_errors_are_one_line_and_name_the_valid_options(tiny, image):
    with pytest.raises(dl.DreamError) as caught:
        dl.dream(tiny, image, "nope", progress=False)
    message = str(caught.value)
    assert "\n" not in message and "valid layers: 0, 1, 2" in message
