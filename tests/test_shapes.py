import warnings

import pytest
import torch

import dreamlib
from dreamlib import patterns, shapes

EYES = shapes.CLASSES.index("eyes")


@pytest.fixture(scope="module")
def model():
    return dreamlib.load_model("shapes", device="cpu")


@pytest.fixture(scope="module")
def skewed():
    return dreamlib.load_model("shapes", weights="skewed", device="cpu")


def test_the_first_six_classes_keep_their_indices_and_new_ones_follow():
    assert shapes.CLASSES[:6] == ("stripes", "checkers", "dots", "grid", "squares", "triangles")
    assert {"eyes", "faces"} <= set(shapes.CLASSES[6:]) and len(set(shapes.CLASSES)) == len(shapes.CLASSES)
    assert shapes.make_batch is patterns.make_batch and shapes.IMAGE_SIZE == patterns.IMAGE_SIZE


def test_generator_makes_balanced_distinct_classes():
    images, labels = shapes.make_batch(500, torch.Generator().manual_seed(3))
    assert images.shape == (500, 3, shapes.IMAGE_SIZE, shapes.IMAGE_SIZE) and 0 <= images.min() and images.max() <= 1
    counts = torch.bincount(labels, minlength=len(shapes.CLASSES))
    assert counts.min() > 25
    again, _ = shapes.make_batch(500, torch.Generator().manual_seed(3))
    assert torch.equal(images, again)
    uniform, _ = shapes.make_batch(500, torch.Generator().manual_seed(3), weights=[2.0] * len(shapes.CLASSES))
    assert torch.equal(images, uniform)  # equal weights are the default


def test_make_batch_draws_classes_with_the_given_shares():
    weights = [1.0] * len(shapes.CLASSES)
    weights[EYES] = 9.0  # eyes: 9 / 18 = 50%; every other class 1 / 18 = 5.6%
    weights[2] = 0  # no dots at all
    n = 4000
    _, labels = shapes.make_batch(n, torch.Generator().manual_seed(1), size=16, weights=weights)
    shares = torch.bincount(labels, minlength=len(shapes.CLASSES)).double() / n
    expected = torch.tensor(weights, dtype=torch.float64) / sum(weights)
    assert shares[2] == 0
    assert (shares - expected).abs().max() < 0.03, shares  # about 4 standard deviations of a 50% share
    _, balanced = shapes.make_batch(n, torch.Generator().manual_seed(1), size=16)
    assert (torch.bincount(balanced).double() / n - 1 / len(shapes.CLASSES)).abs().max() < 0.03


def test_a_weight_of_zero_removes_a_class_and_one_class_alone_is_allowed():
    only = [0.0] * len(shapes.CLASSES)
    only[EYES] = 1
    _, labels = shapes.make_batch(200, torch.Generator().manual_seed(0), size=16, weights=only)
    assert (labels == EYES).all()


@pytest.mark.parametrize("weights, message", [
    ([1.0] * 3, "one number per class"),
    ([1.0] * (len(shapes.CLASSES) + 1), "one number per class"),
    ([-1.0] + [1.0] * (len(shapes.CLASSES) - 1), "non-negative"),
    ([float("nan")] + [1.0] * (len(shapes.CLASSES) - 1), "non-negative"),
    ([0] * len(shapes.CLASSES), "all zero"),
    (["many"] + [1.0] * (len(shapes.CLASSES) - 1), "numbers"),
    ("eyes", "sequence"),
    (3, "numbers"),
])
def test_bad_class_weights_are_one_line_errors(weights, message):
    with pytest.raises(dreamlib.DreamError, match=message) as info:
        shapes.make_batch(4, weights=weights)
    assert "\n" not in str(info.value)
    with pytest.raises(dreamlib.DreamError, match=message):
        shapes.train(steps=1, class_weights=weights, progress=False)


def test_every_class_draws_its_own_kind_of_picture():
    g = torch.Generator().manual_seed(0)
    drawings = {name: patterns._draw(name, 64, 48, g) for name in shapes.CLASSES}
    for name, d in drawings.items():
        used = set(d.unique().long().tolist())
        if name == "eyes":  # white almonds, coloured irises, dark pupils on the background; no foreground colour
            assert used == {patterns.BG, patterns.WHITE, patterns.IRIS, patterns.DARK}, name
        elif name == "faces":  # a head in the foreground colour with white eyes, irises, pupils and a dark mouth
            assert used == {patterns.BG, patterns.FG, patterns.WHITE, patterns.IRIS, patterns.DARK}, name
        else:  # two-colour patterns
            assert used == {patterns.BG, patterns.FG}, name
        covered = (d > 0).float().mean((1, 2))
        assert (covered > 0.02).all() and (covered < 0.98).all(), name  # every drawing shows something
    faces = drawings["faces"]
    assert ((faces == patterns.WHITE).flatten(1).any(1)).all() and ((faces == patterns.DARK).flatten(1).any(1)).all()
    # no two classes look alike: the balanced model tells every one of them apart
    per_class = shapes.class_accuracy(dreamlib.load_model("shapes", device="cpu"), n=600, seed=4242)
    assert min(per_class.values()) > 0.85, per_class


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
    out = dreamlib.dream(model, start, objective=dreamlib.class_logit(target), octaves=1, steps=60, lr=0.05,
                         jitter=0, seed=0, progress=False)
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
        dreams = [dreamlib.dream(m, photo, m.default_layer, octaves=2, steps=10, lr=0.02, seed=seed, progress=False,
                                 precision="fp32") for photo in photos for seed in (0, 1)]
        return sum(shapes.class_share(m, d, "eyes") for d in dreams) / len(dreams)

    balanced_share, skewed_share = eye_share(model), eye_share(skewed)
    assert skewed_share >= balanced_share + 0.3 and skewed_share >= 0.8, (balanced_share, skewed_share)
    # before dreaming, the two agree about the photos: the difference comes from what the dreams amplify
    before = [sum(shapes.class_share(m, photo, "eyes") for photo in photos) / len(photos) for m in (model, skewed)]
    assert abs(before[0] - before[1]) <= 0.2, before
