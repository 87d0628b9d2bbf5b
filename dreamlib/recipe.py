"""The dream recipe: every setting that decides what a dream looks like, in one checked, frozen object.

:func:`dreamlib.dream` takes these as plain keywords (``octaves=4, steps=20, ...``) and puts them in a
:class:`Recipe`, whose checks give one-line errors that name the valid range. The same object gives
:func:`dreamlib.zoom`, :func:`dreamlib.io.folders.dream_folder` and the command line their defaults and help,
and the settings record every dreamed PNG carries (:mod:`dreamlib.io.records`) its fields. A model may carry a
recipe of its own (``model.recipe``, setting :data:`MODEL_FIELDS`), which fills in the settings a caller leaves
out (:func:`for_model`). What a recipe does not hold is *how* a dream runs (the model's device,
:func:`dreamlib.faster`): those change the speed, not the picture. Also here, shared by the octave loop and its
print-size twin (:mod:`dreamlib.tiles`): the pyramid's sizes (:func:`octave_sizes`) and what a ``callback``
receives (:class:`StepInfo`).
Taught in notebook 04 (octaves), with the settings of :func:`dreamlib.dream`.

This module imports nothing heavy, so the command line reads its defaults and help instantly.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from .checks import check_positive, check_whole
from .checks import is_number as _is_number
from .errors import DreamError, DreamWarning

if TYPE_CHECKING:
    import torch

MAX_JITTER = 4096  # pixels; a roll wraps around, so a larger jitter only repeats the same offsets
PARAMS = ("fft", "pixel")


def _help(text: str) -> dict:
    return {"help": text}


@dataclass(frozen=True)
class Recipe:
    """What :func:`dreamlib.dream` does to an image, checked when made; ``recipe.replace(steps=5)`` makes another.

    ``octaves`` image scales, each ``octave_scale`` times the one before, smallest first; ``steps`` gradient-ascent
    steps per octave of size ``lr`` (the mean pixel change per step, in [0, 1] units) after a random roll of up to
    ``jitter`` pixels; ``seed`` makes the rolls repeatable (None: new ones each run); ``tile`` (pixels) computes
    the gradient tile by tile for big images (notebook 06); ``param`` is the basis the steps are taken in
    (``"pixel"`` or ``"fft"``, or a :class:`dreamlib.Param`; notebook 12), ``decorrelate`` its colour setting
    (None: decorrelated for ``"fft"``). Taught in notebook 04.
    """

    octaves: int = field(default=4, metadata=_help("how many image scales to dream at, smallest first"))
    octave_scale: float = field(default=1.4, metadata=_help("size ratio between one octave and the next (> 1)"))
    steps: int = field(default=20, metadata=_help("gradient-ascent steps per octave"))
    lr: float = field(default=0.01, metadata=_help("step size: the mean pixel change per step, in [0, 1] units"))
    jitter: int = field(default=32, metadata=_help("largest random roll before each step, in pixels"))
    seed: int | None = field(default=None, metadata=_help("seed of the random rolls (same seed, same picture)"))
    tile: int | None = field(
        default=None, metadata=_help("compute gradients in tiles of this many pixels (big images)")
    )
    param: object = field(default="pixel", metadata=_help("the basis the steps are taken in: pixel or fft"))
    decorrelate: bool | None = field(default=None, metadata=_help("decorrelated colour (default: with fft)"))

    def __post_init__(self) -> None:
        check_whole("octaves", self.octaves, 1, 100)
        if not _is_number(self.octave_scale) or not 1 < self.octave_scale <= 100:
            raise DreamError(f"octave scale must be a number > 1 and <= 100, got {self.octave_scale!r}")
        check_whole("steps", self.steps, 1)
        check_positive("lr", self.lr)
        check_whole("jitter", self.jitter, 0, MAX_JITTER)
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int)):
            raise DreamError(f"seed must be a whole number or None, got {self.seed!r}")
        if self.tile is not None:
            check_whole("tile", self.tile)  # and at least the model's minimum input: dream() checks that
        if isinstance(self.param, str):
            if self.param not in PARAMS:
                raise DreamError(f"param must be one of {', '.join(map(repr, PARAMS))}, got {self.param!r}")
        elif type(self.param).__name__ != "Param":
            raise DreamError(f"param must be one of {', '.join(map(repr, PARAMS))} or a dl.Param, got {self.param!r}")
        elif self.param.kind not in PARAMS:
            raise DreamError(
                f"param {self.param.kind!r} is for dl.render; dream takes {' or '.join(map(repr, PARAMS))}"
            )
        if self.decorrelate is not None and not isinstance(self.decorrelate, bool):
            raise DreamError(f"decorrelate must be True, False or None, got {self.decorrelate!r}")

    def replace(self, **changes) -> Recipe:
        """A new recipe with ``changes`` (checked like any other)."""
        unknown = sorted(set(changes) - set(names()))
        if unknown:
            raise DreamError(f"unknown dream setting(s) {', '.join(unknown)}; valid: {', '.join(names())}")
        return dataclasses.replace(self, **changes)

    def settings(self) -> dict:
        """The recipe as :func:`dreamlib.dream`'s keyword arguments."""
        return {name: getattr(self, name) for name in names()}

    def changes(self) -> dict:
        """The settings in which it differs from the defaults (:data:`DEFAULT`), in field order."""
        return {name: value for name, value in self.settings().items() if value != getattr(DEFAULT, name)}


def names() -> tuple[str, ...]:
    """The recipe's fields, in order: ``octaves``, ``octave_scale``, ``steps``, ..."""
    return tuple(f.name for f in dataclasses.fields(Recipe))


def help_text(name: str) -> str:
    """What a field means, for the command line's help."""
    return next(f.metadata["help"] for f in dataclasses.fields(Recipe) if f.name == name)


DEFAULT = Recipe()  # the defaults, one source: dream's keywords, the command line and the records read them here

# What a model may choose for itself (a DreamModel's ``recipe``: the settings it dreams best with, found by measuring,
# e.g. ``load_model("shapes_dreamer")``'s). dream()'s keywords for these default to None, "the model's"; the seed, the
# tiles and the colour setting are the caller's alone.
MODEL_FIELDS = ("octaves", "octave_scale", "steps", "lr", "jitter", "param")


def check_model_recipe(recipe: Recipe) -> Recipe:
    """A model's own recipe: a :class:`Recipe` that sets nothing outside :data:`MODEL_FIELDS` (one-line error)."""
    if not isinstance(recipe, Recipe):
        raise DreamError(f"a model's recipe must be a dl.Recipe, got {type(recipe).__name__}")
    others = [f for f in recipe.changes() if f not in MODEL_FIELDS]
    if others:
        raise DreamError(f"a model's recipe sets only {', '.join(MODEL_FIELDS)}; it sets {', '.join(others)}")
    return recipe


def for_model(model, **settings) -> Recipe:
    """The recipe a dream of ``model`` runs with: each of ``settings`` as given, except that one of
    :data:`MODEL_FIELDS` given as None takes the model's own value (its ``recipe``; :data:`DEFAULT`'s for a model
    without one). ``dreamlib.dream``, the records and the command line resolve their settings here. Notebook 04."""
    own = getattr(model, "recipe", None)
    own = own if isinstance(own, Recipe) else DEFAULT
    return own.replace(**{k: v for k, v in settings.items() if v is not None or k not in MODEL_FIELDS})


# A zoom (notebook 06) dreams every frame a little, at one scale, from a fixed seed.
ZOOM_RECIPE = DEFAULT.replace(steps=5, octaves=1, seed=0)

# A video (notebook 08): each frame at two scales from a fixed seed; the first frame gets more steps than the others,
# which start from the dream carried over from the frame before, of which they keep a share (at 1 the dream would
# grow frame after frame; at 0.7 it stays about as strong as the first frame's).
VIDEO_RECIPE = DEFAULT.replace(steps=4, octaves=2, seed=0)
VIDEO_FIRST_STEPS = 12
VIDEO_BLEND = 0.7


def check_video_settings(first_steps, blend, fps, max_frames, size) -> None:
    """The settings :func:`dreamlib.dream_video` adds to a recipe (the command line checks them before the model
    loads); None means "as the video is" for ``fps``, ``max_frames`` and ``size``. Notebook 08."""
    check_whole("first steps", first_steps)
    if not _is_number(blend) or not 0 <= blend <= 1:
        raise DreamError(f"blend must be a number in [0, 1], got {blend!r}")
    if fps is not None:
        check_positive("fps", fps)
    if max_frames is not None:
        check_whole("max frames", max_frames)
    if size is not None:
        check_whole("size", size, 2)


class RenderDefaults(NamedTuple):
    """The defaults of :func:`dreamlib.render` (and of :func:`dreamlib.catalogue`'s renders): image side,
    Adam steps and learning rate. The command line shows the same. Notebooks 12-16."""

    size: int
    steps: int
    lr: float


RENDER = RenderDefaults(size=128, steps=128, lr=0.05)
# MACO's phases take larger steps: 1.0, as its authors' code (with 0.2, 9 of the shapes model's 10 class renders were
# recognised, mean p 0.82; with 1.0, 10 of 10, mean p 0.90; 128 px, 64 steps).
MACO_LR = 1.0
# The first steps of a render use Lucid's redirected ReLU gradient (dreamlib.vis.relu), as Lucid's render_vis does: on
# the shipped shapes model (every channel of conv2-conv6, 96 px, 64 steps; scripts/blank_units.py) 45 of 368 render
# flat grey without it, none with it, and 364 of 368 renders excite their channel above its mean on the training
# pictures (319 without). Notebook 18.
REDIRECT_RELU_STEPS = 16
RENDER_PARAMS = (*PARAMS, "maco")  # render also takes MACO's phase-only parameterisation
CATALOGUE = RenderDefaults(size=96, steps=64, lr=0.05)


class AccentDefaults(NamedTuple):
    """How :func:`dreamlib.catalogue` accentuates each channel in its top example: Adam steps, learning rate, ``alpha``
    (how near the example it stays) and ``jitter``, its one transform (a random shift), as a share of the example's
    side. Notebook 16."""

    steps: int
    lr: float
    alpha: float
    jitter: float


# The catalogue's extras (notebook 16). MACO renders at the catalogue's size with MACO_LR: on the shapes model
# (conv4, 96 px) 32 steps excite each channel as much as 96 do and look the same. Accentuation, measured on the top
# examples of 24 conv4 channels, 3 seeds, 32 steps: Lucid's standard transforms (pad 12, jitter 8) are a quarter of a
# 48-px shapes example, and with them the channel, measured on the example as it is, fell for 1 channel in 8 (alpha
# 0.1); with a jitter of 1/24 of the side (2 px) and alpha 0.3 it rose in 72 runs of 72 (1.10-fold at least, median
# 1.27), the pixels changing by 0.06 on average (alpha 0.1: median 1.44, 0.08; alpha 1, accentuate's default: 1.13,
# 0.04); a 4-px jitter at alpha 0.1: it fell in 2 runs of 72.
CATALOGUE_MACO_STEPS = 32
CATALOGUE_ACCENT = AccentDefaults(steps=32, lr=0.05, alpha=0.3, jitter=1 / 24)


@dataclass
class StepInfo:
    """What a ``callback`` receives after each step (notebooks use it to plot and show frames)."""

    octave: int  # 0 = smallest
    octaves: int
    step: int  # within the octave, from 0
    steps: int
    score: float  # objective value before this step
    image: torch.Tensor  # the current octave's image, (1, 3, h, w) in [0, 1], on the model's device


def octave_sizes(
    height: int, width: int, octaves: int = 4, octave_scale: float = 1.4, min_size: int = 1
) -> list[tuple[int, int]]:
    """Image sizes (h, w) of each octave, smallest first; the last is the full size.

    Octaves whose shorter side would fall under ``min_size`` (the network's
    minimum input) are dropped with a warning; if even the full image is too
    small, a :class:`DreamError` names the minimum.
    Taught in notebook 04.
    """
    Recipe(octaves=octaves, octave_scale=octave_scale)  # checked like any dream setting
    if min(height, width) < min_size:
        raise DreamError(f"the image is {width}x{height} px but the model needs at least {min_size} px per side")
    sizes = []
    for i in range(octaves):
        f = octave_scale**i
        size = (max(1, round(height / f)), max(1, round(width / f)))
        if min(size) < min_size:
            warnings.warn(
                f"using {len(sizes)} of {octaves} octaves: smaller ones would fall under the model's "
                f"minimum input size of {min_size} px",
                DreamWarning,
                stacklevel=2,
            )
            break
        sizes.append(size)
    return sizes[::-1]
