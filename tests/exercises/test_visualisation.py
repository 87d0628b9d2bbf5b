"""The checkers of lessons 10-13 (dreamlib/exercises/visualisation.py)."""

from dreamlib import exercises


# Lessons 10-13: typical mistakes get a hint
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
