"""The dream recipe: one checked, frozen object for the settings that decide a picture (dreamlib/recipe.py)."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

import dreamlib as dl
from dreamlib.recipe import DEFAULT, MAX_JITTER, Recipe, help_text, names


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(octaves=0), "octaves must be a whole number in 1..100, got 0"),
        (dict(octaves=2.0), "octaves must be a whole number in 1..100"),
        (dict(octave_scale=1.0), "octave scale must be a number > 1 and <= 100, got 1.0"),
        (dict(steps=True), "steps must be a whole number >= 1, got True"),
        (dict(lr=float("nan")), "lr must be a finite number > 0, got nan"),
        (dict(lr=-0.1), "lr must be a finite number > 0"),
        (dict(jitter=MAX_JITTER + 1), f"jitter must be a whole number in 0..{MAX_JITTER}"),
        (dict(seed=1.5), "seed must be a whole number or None, got 1.5"),
        (dict(tile=0), "tile must be a whole number >= 1, got 0"),
        (dict(param="wavelet"), "param must be one of 'fft', 'pixel', got 'wavelet'"),
        (dict(decorrelate="yes"), "decorrelate must be True, False or None"),
    ],
)
def test_every_setting_is_checked_with_a_one_line_error_naming_the_valid_range(changes, message):
    with pytest.raises(dl.DreamError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        Recipe(**changes)
    with pytest.raises(dl.DreamError) as caught:
        DEFAULT.replace(**changes)
    assert "\n" not in str(caught.value)


def test_a_recipe_is_frozen_and_replace_makes_a_checked_copy():
    recipe = Recipe(steps=5, seed=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        recipe.steps = 6
    assert recipe.replace(steps=7) == Recipe(steps=7, seed=3) and recipe.steps == 5
    with pytest.raises(dl.DreamError, match="unknown dream setting.*stpes; valid: octaves, octave_scale"):
        recipe.replace(stpes=7)
    assert recipe.settings() == {name: getattr(recipe, name) for name in names()}
    assert Recipe(param=dl.Param("fft", False)).param == dl.Param("fft", False)


def test_dream_zoom_and_the_command_line_take_their_defaults_from_the_recipe():
    signature = inspect.signature(dl.dream).parameters
    assert {name: signature[name].default for name in names()} == DEFAULT.settings()
    zoom = inspect.signature(dl.zoom).parameters
    from dreamlib.recipe import ZOOM_RECIPE

    assert (
        (zoom["steps"].default, zoom["octaves"].default, zoom["seed"].default)
        == (5, 1, 0)
        == (ZOOM_RECIPE.steps, ZOOM_RECIPE.octaves, ZOOM_RECIPE.seed)
    )
    from dreamlib.cli.app import build_parser

    dream_cli = build_parser()._subparsers._group_actions[0].choices["dream"]
    actions = {a.dest: a for a in dream_cli._actions}
    for name in ("octaves", "octave_scale", "steps", "lr", "jitter", "tile", "param"):
        assert actions[name].default == getattr(DEFAULT, name) and actions[name].help == help_text(name)
    assert actions["seed"].default == 0  # the command line always dreams with a seed: its PNGs can be re-made


def test_every_field_is_explained():
    for name in names():
        assert len(help_text(name)) > 10
    assert "notebook" in Recipe.__doc__
