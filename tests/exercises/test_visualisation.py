"""The checkers of lessons 12-18 (dreamlib/exercises/visualisation.py)."""

from dreamlib import exercises


# Lessons 12-18: typical mistakes get a hint
def test_total_variation_checker_names_the_mistakes(capsys):
    one_way = lambda x: (x[..., 1:, :] - x[..., :-1, :]).abs().flatten(1).mean(1)
    squared = lambda x: (
        ((x[..., 1:, :] - x[..., :-1, :]) ** 2).flatten(1).mean(1)
        + ((x[..., :, 1:] - x[..., :, :-1]) ** 2).flatten(1).mean(1)
    )
    whole = lambda x: (x[..., 1:, :] - x[..., :-1, :]).abs().mean() + (x[..., :, 1:] - x[..., :, :-1]).abs().mean()
    for fn, hint in ((one_way, "only one direction"), (squared, "squared"), (whole, "one number for a batch")):
        assert exercises.check_total_variation(fn) is False
        assert hint in capsys.readouterr().out


def test_top_examples_checker_names_the_mistakes(capsys):
    lowest = lambda s, c, k: s[:, c].argsort()[:k]
    by_image = lambda s, c, k: s[c].argsort(descending=True)[:k]
    for fn, hint in ((lowest, "lowest"), (by_image, "column")):
        assert exercises.check_top_examples(fn) is False
        assert hint in capsys.readouterr().out


def test_fooling_circuit_refuses_a_product_of_two_units(capsys):
    blend = lambda f, d, e, k: (1 - e) * f + e * d
    assert exercises.check_fooling_circuit(blend) is False
    assert "cannot do" in capsys.readouterr().out
    swapped = lambda f, d, e, k: (d - k * e).relu() + (f - k * (1 - e)).relu()
    assert exercises.check_fooling_circuit(swapped) is False
    assert "e = 0" in capsys.readouterr().out
    # another circuit of ReLUs and sums that meets the two cases passes too
    other = lambda f, d, e, k: (f - k * e).relu() + d - (d - k * e).relu()
    assert exercises.check_fooling_circuit(other) is True


def test_predictions_of_lessons_11_to_13_are_judged_against_the_run(capsys):
    assert exercises.check_least_high_frequency("MACO", "maco") is True
    assert "fixes the magnitudes" in capsys.readouterr().out
    assert exercises.check_least_high_frequency("pixel", "maco") is False
    assert exercises.check_least_high_frequency(..., "maco") is False
    assert exercises.check_super_stimulus("more", "more") is True
    assert exercises.check_super_stimulus("less", "more") is False
    assert "super-stimulus" in capsys.readouterr().out
    for right in ("fooled unit F", "fooled", "Fooled unit f"):
        assert exercises.check_sanity_flag(right, "fooled unit F") is True
    for wrong in ("unit F", "F", "unit D"):
        assert exercises.check_sanity_flag(wrong, "fooled unit F") is False
    assert exercises.check_sanity_flag("D", "unit D") is True
    assert "top natural examples" in capsys.readouterr().out


def test_the_robust_gap_prediction_is_judged_against_the_run(capsys):
    for right in ("smaller", "Smaller gap", " SMALLER ", "less"):
        assert exercises.check_robust_gap(right, "smaller") is True
    assert "smooths a network's input gradients" in capsys.readouterr().out
    for wrong in ("larger", "bigger", "more"):
        assert exercises.check_robust_gap(wrong, "smaller") is False
        assert "the run gave 'smaller'" in capsys.readouterr().out
    assert exercises.check_robust_gap("larger", "larger") is True
    assert exercises.check_robust_gap("pixel", "smaller") is False
    assert exercises.check_robust_gap(0.5, "smaller") is False
    assert "could not compare" in capsys.readouterr().out
    assert exercises.check_robust_gap(..., "smaller") is False
    assert "no prediction yet" in capsys.readouterr().out
