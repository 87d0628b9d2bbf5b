"""The options the commands share, declared once (dreamlib/cli/options.py)."""

from __future__ import annotations

import argparse

import pytest

from dreamlib.cli.app import build_parser
from dreamlib.cli.options import add_recipe_options, recipe_of
from dreamlib.errors import DreamError
from dreamlib.recipe import DEFAULT
from tests.helpers import run_cli


def _options(command: str) -> dict[str, argparse.Action]:
    parser = build_parser()._subparsers._group_actions[0].choices[command]
    return {a.option_strings[-1] if a.option_strings else a.dest: a for a in parser._actions}


def test_the_model_and_objective_options_are_the_same_everywhere():
    shared = ("--model", "--layer", "--weights", "--fallback", "--device", "--no-fast", "--quiet")
    seen = {command: _options(command) for command in ("dream", "zoom", "render", "catalogue")}
    for option in shared:
        helps = {command: options[option].help for command, options in seen.items()}
        assert len(set(helps.values())) == 1, (option, helps)
    for command in ("dream", "zoom", "render"):
        assert {"--channel", "--class"} <= set(seen[command])


def test_recipe_options_read_back_into_a_checked_recipe():
    p = argparse.ArgumentParser()
    add_recipe_options(p, DEFAULT.replace(seed=0), ("steps", "lr", "seed", "param"))
    args = p.parse_args(["--steps", "3", "--lr", "0.5", "--param", "fft"])
    assert recipe_of(args, ("steps", "lr", "seed", "param")) == DEFAULT.replace(steps=3, lr=0.5, seed=0, param="fft")
    with pytest.raises(DreamError, match="steps must be a whole number >= 1, got 0"):
        recipe_of(p.parse_args(["--steps", "0"]), ("steps",))


def test_help_lists_the_models_and_every_default(capsys):
    with pytest.raises(SystemExit):
        run_cli(capsys, "dream", "--help")
    out = " ".join(capsys.readouterr().out.split())
    assert "one of googlenet, inception_v3, resnet50, shapes, shapes_dreamer, shapes_vit, vgg16, vit_b_16" in out
    assert "(default: the model's own; 1.4 for most models, see `layers`)" in out and "--no-fast" in out


@pytest.mark.parametrize(
    "extra, says",
    [
        (["--no-fast", "--precision", "bf16"], "--precision bf16 runs on the fast path: drop --no-fast"),
        (["--class", "2", "--layer", "conv3"], "--class dreams toward a class logit"),
        (["--precision", "fp8"], "invalid choice: 'fp8' (choose from 'auto', 'fp32', 'bf16')"),
    ],
)
def test_options_that_cannot_go_together_are_refused_before_any_work(capsys, photo, tmp_path, extra, says):
    out = tmp_path / "o.png"
    code, _, err = run_cli(capsys, "dream", photo, "-o", out, "--model", "shapes", "--steps", "1", *extra)
    assert code == 2 and says in err and err.count("\n") == 1 and not out.exists()


def test_the_precisions_are_the_fast_paths():
    from dreamlib.cli.options import PRECISIONS
    from dreamlib.fast import PRECISIONS as FAST

    assert PRECISIONS == FAST
