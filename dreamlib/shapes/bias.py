"""Lesson 11's experiment on why DeepDream sees dogs: twins of the shapes network that differ in one thing each.

The usual explanation has two parts that ImageNet mixes together: dog photos are a large share of the data (11.8%
of its classes are dog breeds), and telling 118 breeds apart needs many dog features. Each *arm* of the experiment
(:data:`ARMS`) changes one of them against the balanced model and keeps everything else: the architecture
(:class:`ShapesNet`), the recipe (:data:`ROBUST_RECIPE`), the world of objects. Every arm is trained from three
seeds (:data:`SEEDS`), so a difference between arms can be told from a difference between two runs of the same one;
one more arm puts batch norm back into conv6 (one seed). :func:`twin` loads an arm's shipped weights
(``scripts/train_shapes.py`` remakes them); :func:`dog_share` measures how much of a picture a judge calls dogs.
Taught in notebook 11.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from importlib import resources

import torch

from ..errors import DreamError
from .data import CLASSES
from .judge import patches
from .net import DESCRIPTION, ROBUST_RECIPE, SKEWED_CLASS_WEIGHTS, ShapesNet, class_share, frozen_model
from .objects import BREEDS

SEEDS = (0, 1, 2)
# The ten classes with "dogs" replaced by the four breeds of :data:`dreamlib.shapes.objects.BREEDS`.
BREED_CLASSES = tuple(c for name in CLASSES for c in (BREEDS if name == "dogs" else (name,)))


def is_dog(name: str) -> bool:
    """Whether class ``name`` shows dog faces: ``"dogs"`` or one of the breeds."""
    return name == "dogs" or name in BREEDS


def _weights(dog_share: float, classes: Sequence[str] = CLASSES) -> tuple[float, ...]:
    """Class weights that give the dog classes ``dog_share`` of the pictures in all and the others equal shares."""
    dogs = [is_dog(c) for c in classes]
    return tuple(dog_share / sum(dogs) if d else (1 - dog_share) / (len(classes) - sum(dogs)) for d in dogs)


@dataclass(frozen=True)
class Arm:
    """One arm of the experiment: what its training data and network are, and how it differs from "balanced"."""

    classes: tuple[str, ...] = CLASSES
    class_weights: tuple[float, ...] | None = None
    last_norm: bool = False  # batch norm in conv6 too
    seeds: tuple[int, ...] = SEEDS

    @property
    def dog_share(self) -> float:
        """The share of its training pictures that show a dog face."""
        weights = self.class_weights or (1.0,) * len(self.classes)
        return sum(w for w, c in zip(weights, self.classes) if is_dog(c)) / sum(weights)

    def recipe(self, seed: int) -> dict:
        """The keyword arguments of :func:`dreamlib.shapes.train` that make this arm from ``seed``."""
        return dict(
            ROBUST_RECIPE,
            seed=seed,
            class_weights=self.class_weights,
            classes=self.classes,
            architecture=partial(ShapesNet, last_norm=True) if self.last_norm else ShapesNet,
        )


ARMS = {
    "balanced": Arm(),  # one dog class, 10% of the pictures (ImageNet: 11.8%)
    "dogs 45%": Arm(class_weights=SKEWED_CLASS_WEIGHTS),
    "4 breeds": Arm(classes=BREED_CLASSES, class_weights=_weights(0.1, BREED_CLASSES)),  # 10% in all
    "dogs 45%, batch norm": Arm(class_weights=SKEWED_CLASS_WEIGHTS, last_norm=True, seeds=(0,)),
}
# Seed 0 of two arms is a model that ships on its own: the balanced one is load_model("shapes"), the 45% one its
# skewed twin (load_model("shapes", weights="skewed")).
_SHIPPED = {("balanced", 0): "shapes.pth", ("dogs 45%", 0): "shapes_skewed.pth"}


def weights_file(arm: str, seed: int) -> str:
    """The file name, under ``dreamlib/shapes/weights``, of one arm's weights trained from ``seed``."""
    if arm not in ARMS:
        raise DreamError(f"unknown arm {arm!r}; choose one of: {', '.join(ARMS)}")
    if seed not in ARMS[arm].seeds:
        raise DreamError(f"arm {arm!r} was trained from seeds {', '.join(map(str, ARMS[arm].seeds))}, not {seed!r}")
    slug = arm.replace("%", "").replace(",", "").replace(" ", "_")
    return _SHIPPED.get((arm, seed), f"arms/{slug}_seed{seed}.pth")


def twin(arm: str, seed: int = 0, device: str = "auto"):
    """The shapes network of arm ``arm`` (a key of :data:`ARMS`) trained from ``seed``, frozen, as a
    :class:`dreamlib.DreamModel` named after them; its ``categories`` are the arm's classes. Taught in notebook 11."""
    spec, label = ARMS[arm], f"{arm}, seed {seed}"
    path = resources.files("dreamlib.shapes").joinpath("weights", weights_file(arm, seed))
    return frozen_model(
        "shapes",
        ShapesNet(len(spec.classes), last_norm=spec.last_norm),
        label,
        {label: path},
        device,
        categories=spec.classes,
        **DESCRIPTION,
    )


def dog_share(judge: torch.nn.Module, pictures: Sequence[torch.Tensor]) -> float:
    """The share of the 48x48 patches (:func:`patches`, half a patch apart) of ``pictures`` that ``judge`` calls
    dogs, averaged over the pictures. Taught in notebook 11."""
    if not len(pictures):
        raise DreamError("dog_share needs at least one picture")
    return sum(class_share(judge, patches(p), "dogs") for p in pictures) / len(pictures)
