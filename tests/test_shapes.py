import pytest
import torch

import dreamlib
from dreamlib import shapes


@pytest.fixture(scope="module")
def model():
    return dreamlib.load_model("shapes", device="cpu")


def test_generator_makes_balanced_distinct_classes():
    images, labels = shapes.make_batch(300, torch.Generator().manual_seed(3))
    assert images.shape == (300, 3, shapes.IMAGE_SIZE, shapes.IMAGE_SIZE) and 0 <= images.min() and images.max() <= 1
    counts = torch.bincount(labels, minlength=len(shapes.CLASSES))
    assert counts.min() > 25
    again, _ = shapes.make_batch(300, torch.Generator().manual_seed(3))
    assert torch.equal(images, again)


def test_shipped_weights_classify_held_out_images_above_95_percent(model):
    assert model.name == "shapes" and model.categories == list(shapes.CLASSES)
    assert model.layers == ("conv1", "conv2", "conv3", "conv4")
    assert shapes.accuracy(model, n=600, seed=999) >= 0.95


def test_env_weights_do_not_replace_the_shipped_ones(monkeypatch):
    monkeypatch.setenv("DREAMLIB_WEIGHTS", "random")
    assert shapes.accuracy(dreamlib.load_model("shapes"), n=200) >= 0.95
    with pytest.warns(dreamlib.DreamWarning, match="random weights"):
        random_model = dreamlib.load_model("shapes", weights="random")
    assert shapes.accuracy(random_model, n=200) < 0.5


@pytest.mark.parametrize("target", range(len(shapes.CLASSES)))
def test_dreaming_toward_a_class_raises_its_probability_from_chance(model, target):
    torch.manual_seed(target)
    start = torch.rand(1, 3, 64, 64)  # noise
    before = dreamlib.class_probabilities(model, start)[target].item()
    out = dreamlib.dream(model, start, objective=dreamlib.class_logit(target), octaves=2, steps=40, lr=0.05,
                         seed=0, progress=False)
    after = dreamlib.class_probabilities(model, out)[target].item()
    assert before < 0.4 and after > 0.9, (shapes.CLASSES[target], before, after)


def test_training_learns_quickly():
    """A short run (a fifth of the shipped 600 steps) already beats chance (1/6) by far."""
    net = shapes.train(steps=120, batch_size=32, progress=False)
    model = dreamlib.DreamModel(net, mean=shapes.MEAN, std=shapes.STD)
    assert shapes.accuracy(model, n=300) > 0.4


def test_bad_weights_files_for_shapes_are_clear_errors(tmp_path):
    broken = tmp_path / "broken.pth"
    broken.write_bytes(b"not a state dict")
    with pytest.raises(dreamlib.WeightsUnavailableError, match="could not read weights file"):
        dreamlib.load_model("shapes", weights=str(broken))
    with pytest.raises(dreamlib.DreamError, match="for shapes are neither 'shipped', 'random' nor an existing .pth"):
        dreamlib.load_model("shapes", weights="imagenet")
