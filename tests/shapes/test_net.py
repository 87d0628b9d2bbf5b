"""The shapes network, its training, evaluation and shipped weights (dreamlib/shapes/net.py, lessons 06-07)."""

import pytest
import torch

import dreamlib
from dreamlib import shapes

EYES = shapes.CLASSES.index("eyes")


@pytest.fixture(scope="module")
def model():
    return dreamlib.load_model("shapes", device="cpu")


@pytest.fixture(scope="module")
def skewed():
    return dreamlib.load_model("shapes", weights="skewed", device="cpu")


def test_shipped_weights_classify_held_out_images_above_95_percent(model):
    assert model.name == "shapes" and model.categories == list(shapes.CLASSES) and model.weights == "shipped"
    assert model.layers == ("conv1", "conv2", "conv3", "conv4", "conv5", "conv6")
    assert model.depth_layers == ("conv2", "conv4", "conv5", "conv6") and model.default_layer == "conv5"
    assert dreamlib.models.model_layers("shapes") == (model.layers, model.default_layer)
    for layer in model.layers:
        model.module(layer)
    assert model(torch.rand(1, 3, model.min_size, model.min_size)).shape == (1, len(shapes.CLASSES))
    assert shapes.accuracy(model, n=1000, seed=999) >= 0.95


def test_skewed_twin_has_the_same_architecture_and_still_tells_classes_apart(model, skewed):
    assert skewed.weights == "skewed" and skewed.layers == model.layers
    shapes_of = lambda m: {k: v.shape for k, v in m.net.state_dict().items()}  # noqa: E731
    assert shapes_of(skewed) == shapes_of(model)
    assert not all(torch.equal(a, b) for a, b in zip(skewed.net.state_dict().values(), model.net.state_dict().values()))
    assert shapes.accuracy(skewed, n=1000, seed=999) >= 0.9
    assert shapes.class_accuracy(skewed, n=1000, seed=999)["eyes"] >= 0.95
    assert abs(sum(shapes.SKEWED_CLASS_WEIGHTS) - 1) < 1e-9 and 0.4 <= shapes.SKEWED_CLASS_WEIGHTS[EYES] <= 0.5


def test_shipped_files_are_small_and_where_the_wheel_looks():
    files = [shapes.shipped_weights(), shapes.shipped_weights("skewed")]
    assert [f.name for f in files] == ["shapes.pth", "shapes_skewed.pth"]
    assert sum(f.stat().st_size for f in files) <= 5_000_000
    with pytest.raises(dreamlib.DreamError, match="shipped, skewed"):
        shapes.shipped_weights("imagenet")


def test_env_weights_do_not_replace_the_shipped_ones(monkeypatch):
    monkeypatch.setenv("DREAMLIB_WEIGHTS", "random")
    assert shapes.accuracy(dreamlib.load_model("shapes"), n=200) >= 0.95
    with pytest.warns(dreamlib.DreamWarning, match="random weights"):
        random_model = dreamlib.load_model("shapes", weights="random")
    assert random_model.weights == "random"
    assert shapes.accuracy(random_model, n=200) < 0.5


@pytest.mark.parametrize("target", range(len(shapes.CLASSES)))
def test_dreaming_toward_a_class_raises_its_probability_from_chance(model, target):
    """Without jitter the class logit can be pushed up for every class.

    (With the default 32 px jitter, squares, triangles and faces do not emerge from noise: a texture of
    their corners and edges reads as stripes, grid or spirals to this network.)
    """
    torch.manual_seed(target)
    start = torch.rand(1, 3, 64, 64)  # noise, which this network reads as checkers: then start from grey
    if target == shapes.CLASSES.index("checkers"):
        start = 0.5 + 0.05 * torch.randn(1, 3, 64, 64)
    before = dreamlib.class_probabilities(model, start)[target].item()
    out = dreamlib.dream(
        model,
        start,
        objective=dreamlib.class_logit(target),
        octaves=1,
        steps=60,
        lr=0.05,
        jitter=0,
        seed=0,
        progress=False,
    )
    after = dreamlib.class_probabilities(model, out)[target].item()
    assert before < 0.4 and after > 0.9, (shapes.CLASSES[target], before, after)


def test_training_learns_quickly_and_never_learns_a_removed_class():
    """A short run (a fifth of the shipped 600 steps) beats chance (1/10) by far, except on the class it never saw."""
    weights = [1.0] * len(shapes.CLASSES)
    weights[2] = 0  # no dots
    net = shapes.train(steps=120, progress=False, class_weights=weights)
    model = dreamlib.DreamModel(net, mean=shapes.MEAN, std=shapes.STD)
    per_class = shapes.class_accuracy(model, n=400)
    assert per_class["dots"] == 0
    assert sum(v for k, v in per_class.items() if k != "dots") / (len(shapes.CLASSES) - 1) > 0.4, per_class


def test_class_share_counts_top_classes(model):
    images, labels = shapes.make_batch(200, torch.Generator().manual_seed(5))
    eyes = images[labels == EYES]
    assert shapes.class_share(model, eyes, EYES) > 0.9 and shapes.class_share(model, eyes, "eyes") > 0.9
    assert shapes.class_share(model, eyes, "stripes") < 0.1
    share = shapes.class_share(model, images, EYES)
    assert abs(share - (labels == EYES).float().mean().item()) < 0.05
    bad = ((len(shapes.CLASSES), "out of range"), (-1, "out of range"), ("dogs", "valid classes: stripes"))
    for index, message in bad:
        with pytest.raises(dreamlib.DreamError, match=message):
            shapes.class_share(model, images, index)
    with pytest.raises(dreamlib.DreamError, match=r"\(N, 3, H, W\)"):
        shapes.class_share(model, images[0], EYES)


def test_bad_weights_files_for_shapes_are_clear_errors(tmp_path):
    broken = tmp_path / "broken.pth"
    broken.write_bytes(b"not a state dict")
    with pytest.raises(dreamlib.WeightsUnavailableError, match="could not read weights file"):
        dreamlib.load_model("shapes", weights=str(broken))
    with pytest.raises(dreamlib.DreamError, match="neither 'shipped', 'skewed', 'random' nor an existing .pth"):
        dreamlib.load_model("shapes", weights="imagenet")
    old = tmp_path / "old.pth"
    torch.save({"conv1.0.weight": torch.zeros(16, 3, 3, 3)}, old)
    with pytest.raises(dreamlib.WeightsUnavailableError, match="do not fit the shapes model"):
        dreamlib.load_model("shapes", weights=str(old))


def test_the_model_trained_on_more_eyes_dreams_more_eyes(model, skewed):
    """Lesson 06's controlled experiment: same network, training and dream settings; only the data differs.

    Each model dreams the bundled photos on its default layer and classifies its own dreams. With these
    settings the balanced model calls half of its dreams eyes, the eye-heavy twin all of them.
    """
    assert model.default_layer == skewed.default_layer == "conv5"
    photos = [dreamlib.sample_image(name, max_size=128) for name in dreamlib.list_samples()]
    assert len(photos) >= 4

    def eye_share(m):
        dreams = [
            dreamlib.dream(
                m, photo, m.default_layer, octaves=2, steps=10, lr=0.02, seed=seed, progress=False, precision="fp32"
            )
            for photo in photos
            for seed in (0, 1)
        ]
        return sum(shapes.class_share(m, d, "eyes") for d in dreams) / len(dreams)

    balanced_share, skewed_share = eye_share(model), eye_share(skewed)
    assert skewed_share >= balanced_share + 0.3 and skewed_share >= 0.8, (balanced_share, skewed_share)
    # before dreaming, the two agree about the photos: the difference comes from what the dreams amplify
    before = [sum(shapes.class_share(m, photo, "eyes") for photo in photos) / len(photos) for m in (model, skewed)]
    assert abs(before[0] - before[1]) <= 0.2, before
