"""Which classes a model sees in an image (dreamlib/classes.py, lesson 11)."""

import pytest
import torch

import dreamlib as dl


@pytest.fixture(scope="module")
def shapes():
    return dl.load_model("shapes")


def test_class_probabilities_sum_to_one_and_top_classes_are_sorted(shapes):
    images, labels = dl.shapes.make_batch(8, torch.Generator().manual_seed(0))
    probs = dl.class_probabilities(shapes, images[:1])
    assert probs.shape == (10,) and probs.sum().item() == pytest.approx(1.0, abs=1e-5)
    top = dl.top_classes(shapes, images[:1], k=3)
    assert [p for _, p in top] == sorted((p for _, p in top), reverse=True) and len(top) == 3
    assert top[0][0] == shapes.categories[labels[0]]  # the shipped model knows its own data


def test_dog_probability_adds_up_the_118_dog_classes():
    assert len(dl.DOG_CLASSES) == 118 and dl.DOG_CLASSES[0] == 151
    net = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(3, 1000))
    with torch.no_grad():
        net[2].weight.zero_()
        net[2].bias.fill_(0.0)
        net[2].bias[151:269] = 10.0  # every dog class far above the rest
    model = dl.as_dream_model(net)
    assert dl.dog_probability(model, torch.rand(1, 3, 8, 8)) > 0.99
