"""A dreamer you train yourself: synthetic pattern images and a small CNN that learns them.

Ten classes of 48x48 patterns (:data:`CLASSES`, drawn by :mod:`dreamlib.shapes.data`):
stripes, checkers, dots, grid, squares, triangles, eyes, faces, waves, spirals.
Its network, :class:`ShapesNet` (:mod:`dreamlib.shapes.net`), has six conv blocks whose receptive
fields grow from 3 px (conv1) to 65 px (conv6, the whole image). Its weights ship with dreamlib, so
``load_model("shapes")`` gives real learned dreams with no download: it dreams
only of the patterns it was trained on. A twin trained on the same recipe but
with 45% of its images showing eyes (:data:`SKEWED_CLASS_WEIGHTS`, like
ImageNet's 118 dog classes of 1000) ships as ``load_model("shapes",
weights="skewed")``: lesson 06 dreams the same photos with both and counts eyes. :func:`judge` is
an independent judge of their pictures: another architecture trained from another seed (notebook 11).

``python scripts/train_shapes.py`` remakes both weight files (bit for bit on one machine); its docstring
and the README give their accuracy and lesson 06's measurements.

Taught in notebooks 06 (the skewed twin) and 07 (training).
"""

from .data import CLASSES, IMAGE_SIZE, class_shares, make_batch
from .judge import JudgeNet, judge, verdicts
from .net import (
    MEAN,
    SKEWED_CLASS_WEIGHTS,
    STD,
    ShapesNet,
    accuracy,
    class_accuracy,
    class_share,
    shipped_weights,
    train,
)

__all__ = [
    "CLASSES",
    "IMAGE_SIZE",
    "MEAN",
    "STD",
    "SKEWED_CLASS_WEIGHTS",
    "JudgeNet",
    "ShapesNet",
    "accuracy",
    "class_accuracy",
    "class_share",
    "class_shares",
    "judge",
    "make_batch",
    "shipped_weights",
    "train",
    "verdicts",
]
