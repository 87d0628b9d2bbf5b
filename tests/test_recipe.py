"""The dream recipe: one checked, frozen object for the settings that decide a picture (dreamlib/recipe.py)."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
import torch

import dreamlib as dl
from dreamlib.recipe import DEFAULT, MAX_JITTER, MODEL_FIELDS, Recipe, for_model, help_text, names


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
    assert {name: signature[name].default for name in names() if name not in MODEL_FIELDS} == {
        name: value for name, value in DEFAULT.settings().items() if name not in MODEL_FIELDS
    }
    assert all(signature[name].default is None for name in MODEL_FIELDS)  # None: the model's own
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
    assert actions["tile"].default is None and actions["tile"].help == help_text("tile")
    for name in MODEL_FIELDS:  # unset: the model's own; the help names the usual value
        assert actions[name].default is None and actions[name].help.startswith(help_text(name))
        assert f"{getattr(DEFAULT, name)} for most models" in actions[name].help
    assert actions["seed"].default == 0  # the command line always dreams with a seed: its PNGs can be re-made


def test_every_field_is_explained():
    for name in names():
        assert len(help_text(name)) > 10
    assert "notebook" in Recipe.__doc__


def test_a_model_recipe_fills_only_the_settings_the_caller_leaves_unset(tiny):
    own = Recipe(octaves=2, steps=3, jitter=4)
    model = dl.DreamModel(tiny, recipe=own)
    assert for_model(model) == own and for_model(tiny) == DEFAULT  # a plain module: the defaults
    assert for_model(model, steps=None, octaves=1, seed=5) == own.replace(octaves=1, seed=5)
    assert for_model(model, seed=None, tile=None).seed is None  # None is a value for the caller's own settings
    assert dl.DreamModel(tiny).recipe == DEFAULT and dl.faster(model).recipe == own
    with pytest.raises(dl.DreamError, match="^a model's recipe sets only octaves, .*; it sets seed$"):
        dl.DreamModel(tiny, recipe=Recipe(seed=1))
    with pytest.raises(dl.DreamError, match="^a model's recipe must be a dl.Recipe, got dict$"):
        dl.DreamModel(tiny, recipe={"steps": 3})
    with pytest.raises(dl.DreamError, match="^unknown dream setting.*stpes"):
        for_model(model, stpes=3)


def test_dream_runs_the_model_recipe_unless_told_otherwise(tiny, image):
    """The model's own settings are used exactly as if they had been given, and a given setting wins."""
    model = dl.DreamModel(tiny, recipe=Recipe(octaves=2, octave_scale=1.5, steps=3, lr=0.03, jitter=2))
    plain = dl.DreamModel(tiny)
    seen = []
    own = dl.dream(model, image, seed=0, progress=False, callback=lambda info: seen.append(info.octaves))
    assert seen == [2] * 6
    assert torch.equal(own, dl.dream(plain, image, progress=False, **model.recipe.replace(seed=0).settings()))
    assert not torch.equal(own, dl.dream(plain, image, seed=0, progress=False))
    given = dl.dream(model, image, seed=0, progress=False, steps=1, octaves=1)
    spelled = model.recipe.replace(seed=0, steps=1, octaves=1).settings()
    assert torch.equal(given, dl.dream(plain, image, progress=False, **spelled))


def test_the_photo_dreamer_carries_its_measured_recipe_and_the_others_the_defaults():
    from dreamlib.models import model_recipe
    from dreamlib.shapes.net import DREAMER_DREAM

    assert model_recipe("shapes_dreamer") == DREAMER_DREAM != DEFAULT
    assert dl.load_model("shapes_dreamer").recipe == DREAMER_DREAM
    assert all(model_recipe(name) == DEFAULT for name in dl.list_models() if name != "shapes_dreamer")
    assert dl.load_model("shapes", device="meta").recipe == DEFAULT
