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


def test_top_classes_refuses_with_one_dream_error_line(shapes):
    image = torch.rand(1, 3, 48, 48, generator=torch.Generator().manual_seed(0))
    nameless = dl.as_dream_model(torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten()))
    for model, k, says in (
        (nameless, 5, "has no class names"),
        (shapes, 0, "k must be a whole number in 1..10, got 0"),
        (shapes, 11, "k must be a whole number in 1..10, got 11"),
        (shapes, 2.5, "k must be a whole number in 1..10, got 2.5"),
    ):
        with pytest.raises(dl.DreamError, match=says) as caught:
            dl.top_classes(model, image, k=k)
        assert "\n" not in str(caught.value)


def test_dog_probability_needs_the_1000_imagenet_classes(shapes):
    image = torch.rand(1, 3, 48, 48, generator=torch.Generator().manual_seed(0))
    with pytest.raises(dl.DreamError, match="needs a classifier of the 1000 ImageNet classes") as caught:
        dl.dog_probability(shapes, image)
    assert "gives 10 class scores" in str(caught.value) and "\n" not in str(caught.value)
