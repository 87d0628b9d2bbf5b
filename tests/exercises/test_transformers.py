"""Checkers of notebook 20 (dreamlib/exercises/transformers.py): they pass the reference and catch the usual
mistakes."""

from dreamlib.exercises import check_shape_follower, check_token_grid


def test_check_token_grid_passes_the_reference_and_names_the_usual_mistakes(capsys):
    assert check_token_grid(lambda t, r, c: t[:, 1:].transpose(1, 2).reshape(len(t), -1, r, c))
    assert "✅" in capsys.readouterr().out
    assert not check_token_grid(lambda t, r, c: t[:, :-1].transpose(1, 2).reshape(len(t), -1, r, c))
    assert "the class token is the first" in capsys.readouterr().out
    assert not check_token_grid(lambda t, r, c: t[:, 1:].transpose(1, 2).reshape(len(t), -1, c, r).transpose(2, 3))
    assert "rows and columns are swapped" in capsys.readouterr().out
    assert not check_token_grid(lambda t, r, c: t[:, 1:].reshape(len(t), -1, r, c))
    assert "values differ" in capsys.readouterr().out
    assert not check_token_grid(lambda t, r, c: t)
    assert "returned shape" in capsys.readouterr().out


def test_check_shape_follower_takes_any_case_and_explains_each_answer(capsys):
    assert check_shape_follower("vit", "ViT")
    assert "transformer followed the outline" in capsys.readouterr().out
    assert check_shape_follower(" Same ", "same")
    assert "about equally" in capsys.readouterr().out
    assert not check_shape_follower("CNN", "same")
    assert "you predicted 'CNN', the run gave 'same'" in capsys.readouterr().out
