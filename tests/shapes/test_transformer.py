"""The shipped vision transformer of the shapes world (dreamlib/shapes/transformer.py)."""

from __future__ import annotations

import warnings

import pytest
import torch

import dreamlib as dl
from dreamlib import shapes, vit
from dreamlib.shapes import transformer


@pytest.fixture(scope="module")
def model():
    return dl.load_model("shapes_vit")


def test_it_is_a_torchvision_vit_that_knows_the_world(model):
    from torchvision.models import VisionTransformer

    assert isinstance(model.net, VisionTransformer) and vit.patch_size(model.net) == 8
    assert model.layers == transformer.LAYERS == vit.layers(model.net) and model.categories == list(shapes.CLASSES)
    assert not any(p.requires_grad for p in model.parameters()) and model.weights == "shipped"
    assert shapes.accuracy(model, n=600) >= 0.9


def test_its_class_dreams_are_recognised_by_the_judge(model):
    """Issue 36: the shipped transformer's class dreams (plain pixel steps from grey, CLASS_DREAM) carry their class
    to the judge, another network of another architecture."""
    judge = shapes.judge()
    targets = torch.arange(len(shapes.CLASSES))
    grey = torch.full((1, 3, 64, 64), 0.5)
    dreams = torch.cat(
        [dl.dream(model, grey, objective=dl.class_logit(k), **shapes.CLASS_DREAM, progress=False) for k in targets]
    )
    assert (shapes.verdicts(judge, dreams) == targets).sum() >= 9, shapes.verdicts(judge, dreams)


def test_the_weights_come_from_the_training_script_and_random_ones_warn():
    script = dl.shapes.net.__file__.rsplit("/dreamlib/", 1)[0] + "/scripts/train_shapes.py"
    text = open(script, encoding="utf-8").read()
    assert '"shapes_vit.pth": dict(VIT_RECIPE, seed=0, architecture=ShapesViT)' in text
    with pytest.warns(dl.DreamWarning, match="shapes_vit has random weights"):
        random = dl.load_model("shapes_vit", weights="random")
    assert random.weights == "random"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(dl.DreamError, match="neither 'shipped', 'random' nor an existing .pth"):
            dl.load_model("shapes_vit", weights="nowhere.pth")
