"""A dreamer you train yourself: a synthetic world of objects and a small CNN that learns it.

Ten classes of 48x48 pictures (:data:`CLASSES`, drawn by :mod:`dreamlib.shapes.data` and
:mod:`dreamlib.shapes.objects`): eyes, faces, dogs (dog faces), birds, flowers, houses, stars, cars, cups, and
one texture, stripes, each at a random size, pose and colour on a cluttered background.
Its network, :class:`ShapesNet` (:mod:`dreamlib.shapes.net`), has six conv blocks whose receptive
fields grow from 3 px (conv1) to 65 px (conv6, the whole image). The shipped weights were trained
adversarially (:func:`l2_attack`), which makes the network's gradients *perceptually aligned*: its dreams show
the things it learned, and another network recognises them. They ship with dreamlib, so
``load_model("shapes")`` gives real learned dreams with no download; ``load_model("shapes_dreamer")`` is the same
network trained with twice the robustness budget for longer (:data:`net.DREAMER_RECIPE`), whose dreams of photos show
small whole faces rather than rows of parts (``make demo`` and notebooks 00-08 dream with it offline; notebook 10). A
twin trained on the same recipe but with 45% of its images showing dog faces (:data:`SKEWED_CLASS_WEIGHTS`) ships as
``load_model("shapes", weights="skewed")``; :mod:`dreamlib.shapes.bias` has lesson 11's whole experiment: twins that
differ from the balanced model in one thing each (:data:`ARMS`: the share of dog faces, the number of dog breeds,
batch norm in conv6), three training seeds each (:func:`twin`), and :func:`dog_share`, which counts the dream
patches a judge calls dogs. :func:`judge` is that judge: another architecture trained from another seed, robust or
ordinary (notebooks 10 and 11).

``python scripts/train_shapes.py`` remakes the weight files (bit for bit on one machine); its docstring
and ``docs/results.md`` give their accuracy and what else was tried.

Its sibling :func:`transformer.ShapesViT` (``load_model("shapes_vit")``) is a small vision transformer trained on the
same world; :func:`cue_conflict` draws pictures whose outline and surface name different classes, and
:func:`shape_bias` measures which cue a network follows (notebook 20).

Taught in notebooks 09 (training), 10 (perceptually aligned gradients), 11 (why dogs: the arms) and 20 (a
transformer).
"""

from .bias import ARMS, dog_share, twin
from .cues import cue_conflict, shape_bias, silhouettes
from .data import CLASSES, IMAGE_SIZE, class_shares, make_batch
from .judge import CLASS_DREAM, JUDGES, JudgeNet, judge, patches, verdicts
from .net import (
    MEAN,
    SKEWED_CLASS_WEIGHTS,
    STD,
    ShapesNet,
    accuracy,
    class_accuracy,
    class_share,
    l2_attack,
    shipped_weights,
    train,
)
from .objects import CLASS_PARTS, PARTS

__all__ = [
    "ARMS",
    "CLASSES",
    "CLASS_PARTS",
    "CLASS_DREAM",
    "IMAGE_SIZE",
    "JUDGES",
    "MEAN",
    "PARTS",
    "STD",
    "SKEWED_CLASS_WEIGHTS",
    "JudgeNet",
    "ShapesNet",
    "accuracy",
    "class_accuracy",
    "class_share",
    "class_shares",
    "cue_conflict",
    "dog_share",
    "judge",
    "l2_attack",
    "make_batch",
    "patches",
    "shape_bias",
    "silhouettes",
    "shipped_weights",
    "train",
    "twin",
    "verdicts",
]
