"""The shapes network, its training, evaluation and shipped weights (dreamlib/shapes/net.py, lessons 09-12)."""

import pytest
import torch

import dreamlib
from dreamlib import shapes

EYES = shapes.CLASSES.index("eyes")
DOGS = shapes.CLASSES.index("dogs")


@pytest.fixture(scope="module")
def model():
    return dreamlib.load_model("shapes", device="cpu")


@pytest.fixture(scope="module")
def skewed():
    return dreamlib.load_model("shapes", weights="skewed", device="cpu")


def test_shipped_weights_classify_held_out_images_above_93_percent(model):
    assert model.name == "shapes" and model.categories == list(shapes.CLASSES) and model.weights == "shipped"
    assert model.layers == ("conv1", "conv2", "conv3", "conv4", "conv5", "conv6")
    assert model.depth_layers == ("conv2", "conv4", "conv5", "conv6") and model.default_layer == "conv5"
    assert dreamlib.models.model_layers("shapes") == (model.layers, model.default_layer)
    for layer in model.layers:
        model.module(layer)
    assert model(torch.rand(1, 3, model.min_size, model.min_size)).shape == (1, len(shapes.CLASSES))
    assert shapes.accuracy(model, n=1000, seed=999) >= 0.93


def test_skewed_twin_has_the_same_architecture_and_still_tells_classes_apart(model, skewed):
    assert skewed.weights == "skewed" and skewed.layers == model.layers
    shapes_of = lambda m: {k: v.shape for k, v in m.net.state_dict().items()}  # noqa: E731
    assert shapes_of(skewed) == shapes_of(model)
    assert not all(torch.equal(a, b) for a, b in zip(skewed.net.state_dict().values(), model.net.state_dict().values()))
    assert shapes.accuracy(skewed, n=1000, seed=999) >= 0.85  # it saw the other classes a little over half as often
    assert shapes.class_accuracy(skewed, n=1000, seed=999)["dogs"] >= 0.95
    assert abs(sum(shapes.SKEWED_CLASS_WEIGHTS) - 1) < 1e-9 and 0.4 <= shapes.SKEWED_CLASS_WEIGHTS[DOGS] <= 0.5
    others = [w for k, w in enumerate(shapes.SKEWED_CLASS_WEIGHTS) if k != DOGS]
    assert max(others) == min(others)


@pytest.fixture(scope="module")
def ordinary():
    return dreamlib.load_model("shapes", weights="ordinary", device="cpu")


def _one_step_attack_accuracy(net, images, labels, epsilon=0.75):
    """Lesson 10's one-step L2 attack at its epsilon: accuracy on the pictures, then after the step."""
    mean, std = torch.tensor(shapes.MEAN).view(1, 3, 1, 1), torch.tensor(shapes.STD).view(1, 3, 1, 1)
    x = images.clone().requires_grad_()
    (grad,) = torch.autograd.grad(torch.nn.functional.cross_entropy(net((x - mean) / std), labels), x)
    attacked = (images + epsilon * grad / grad.flatten(1).norm(dim=1).view(-1, 1, 1, 1)).clamp(0, 1)
    with torch.no_grad():
        return [(net((z - mean) / std).argmax(1) == labels).float().mean().item() for z in (images, attacked)]


def test_ordinary_twin_is_accurate_and_an_attack_fools_it_where_the_shipped_one_holds(model, ordinary):
    """The ordinary twin (lessons 10 and 12): the shipped recipe without the attack. Measured: 97.7% -> 44.7% after
    lesson 10's one-step attack (epsilon 0.75) on these 300 pictures, against 96.0% -> 83.0% for the shipped model."""
    assert ordinary.weights == "ordinary" and ordinary.layers == model.layers and ordinary.name == "shapes"
    shapes_of = lambda m: {k: v.shape for k, v in m.net.state_dict().items()}  # noqa: E731
    assert shapes_of(ordinary) == shapes_of(model) and not any(p.requires_grad for p in ordinary.parameters())
    assert shapes.accuracy(ordinary, n=1000, seed=999) >= 0.93
    images, labels = shapes.make_batch(300, torch.Generator().manual_seed(99))
    ordinary_clean, ordinary_attacked = _one_step_attack_accuracy(ordinary.net, images, labels)
    robust_clean, robust_attacked = _one_step_attack_accuracy(model.net, images, labels)
    assert ordinary_clean >= 0.9 and robust_clean >= 0.9
    assert ordinary_attacked <= 0.65 and robust_attacked >= ordinary_attacked + 0.25, (
        ordinary_attacked,
        robust_attacked,
    )
    from dreamlib.shapes.net import ORDINARY_RECIPE, ROBUST_RECIPE

    assert ORDINARY_RECIPE == dict(ROBUST_RECIPE, epsilon=0.0)


def test_ordinary_twin_renders_noisier_in_pixels_than_in_the_fourier_basis(model, ordinary):
    """The point of the twin (lesson 12): its pixel renders carry more high-frequency energy than its fft renders, and
    the gap is wider than the robust shipped model's. Measured at these settings (HF pixel / HF fft): eyes 4.7 and
    houses 3.1 on the twin, 1.5 and 1.1 on the shipped model."""
    settings = dict(size=64, steps=48, seed=0, progress=False)  # lesson 12's quick settings

    def hf(m, k, param):
        return dreamlib.high_frequency_energy(
            dreamlib.render(m, dreamlib.class_logit(k), param=param, **settings)
        ).item()

    for k in (0, 5):
        twin_gap, robust_gap = (hf(m, k, "pixel") / hf(m, k, "fft") for m in (ordinary, model))
        assert twin_gap >= 2 and twin_gap >= robust_gap + 1, (shapes.CLASSES[k], twin_gap, robust_gap)


def test_shipped_files_are_small_and_where_the_wheel_looks():
    files = [shapes.shipped_weights(w) for w in ("shipped", "skewed", "ordinary")]
    assert [f.name for f in files] == ["shapes.pth", "shapes_skewed.pth", "shapes_ordinary.pth"]
    assert sum(f.stat().st_size for f in files) <= 5_000_000
    with pytest.raises(dreamlib.DreamError, match="shipped, skewed, ordinary"):
        shapes.shipped_weights("imagenet")


def test_env_weights_do_not_replace_the_shipped_ones(monkeypatch):
    monkeypatch.setenv("DREAMLIB_WEIGHTS", "random")
    assert shapes.accuracy(dreamlib.load_model("shapes"), n=200) >= 0.9
    with pytest.warns(dreamlib.DreamWarning, match="random weights"):
        random_model = dreamlib.load_model("shapes", weights="random")
    assert random_model.weights == "random"
    assert shapes.accuracy(random_model, n=200) < 0.5


@pytest.mark.parametrize("target", range(len(shapes.CLASSES)))
def test_dreaming_toward_a_class_raises_its_probability_from_chance(model, target):
    """From a grey picture, a short class dream makes the model sure of any class."""
    start = torch.full((1, 3, 64, 64), 0.5)
    before = dreamlib.class_probabilities(model, start)[target].item()
    out = dreamlib.dream(
        model, start, objective=dreamlib.class_logit(target), octaves=1, steps=40, jitter=4, seed=0, progress=False
    )
    after = dreamlib.class_probabilities(model, out)[target].item()
    assert before < 0.4 and after > 0.9, (shapes.CLASSES[target], before, after)


def test_the_l2_attack_stays_in_its_budget_and_raises_the_loss(model):
    images, labels = shapes.make_batch(32, torch.Generator().manual_seed(8))
    net = model.net
    mean, std = torch.tensor(shapes.MEAN).view(1, 3, 1, 1), torch.tensor(shapes.STD).view(1, 3, 1, 1)
    loss = lambda x: torch.nn.functional.cross_entropy(net((x - mean) / std), labels, reduction="none")  # noqa: E731
    for epsilon, steps in ((0.5, 1), (2.0, 3)):
        moved = shapes.l2_attack(net, images, labels, epsilon, steps)
        assert ((moved - images).flatten(1).norm(dim=1) <= epsilon + 1e-4).all()
        assert moved.min() >= 0 and moved.max() <= 1 and not moved.requires_grad
        assert (loss(moved) >= loss(images) - 1e-4).float().mean() >= 0.9 and loss(moved).mean() > loss(images).mean()
    assert torch.equal(shapes.l2_attack(net, images, labels, 0.0, 2), images)
    for bad in (-1.0, float("nan"), "big"):
        with pytest.raises(dreamlib.DreamError, match="epsilon"):
            shapes.train(steps=1, epsilon=bad, progress=False)


def test_the_shipped_recipe_trains_adversarially():
    from dreamlib.shapes.net import ROBUST_RECIPE

    assert ROBUST_RECIPE["epsilon"] > 0 and ROBUST_RECIPE["attack_steps"] >= 1
    script = shapes.net.__file__.rsplit("/dreamlib/", 1)[0] + "/scripts/train_shapes.py"
    text = open(script, encoding="utf-8").read()
    assert '"shapes.pth": dict(ROBUST_RECIPE, seed=0)' in text
    assert '"shapes_skewed.pth": dict(ROBUST_RECIPE, seed=0, class_weights=shapes.SKEWED_CLASS_WEIGHTS)' in text
    assert '"shapes_ordinary.pth": dict(ORDINARY_RECIPE, seed=0)' in text


def test_training_learns_quickly_and_never_learns_a_removed_class():
    """A short run (120 steps) beats chance by far, except on the class it never saw.

    Chance on the nine classes it saw is 1/9 = 0.11. Where a short run lands depends on the seed and on the CPU's
    arithmetic (summation order differs between AVX2, AVX-512 and thread counts, and training amplifies it): seeds
    0-5 on an Intel Xeon with AMX (native, AVX2-only kernels, one thread) gave 0.29 to 0.41, so the bound is 0.2.
    """
    weights = [1.0] * len(shapes.CLASSES)
    weights[DOGS] = 0  # no dogs
    net = shapes.train(steps=120, progress=False, class_weights=weights)
    model = dreamlib.DreamModel(net, mean=shapes.MEAN, std=shapes.STD)
    per_class = shapes.class_accuracy(model, n=400)
    assert per_class["dogs"] == 0
    assert sum(v for k, v in per_class.items() if k != "dogs") / (len(shapes.CLASSES) - 1) > 0.2, per_class


def test_class_share_counts_top_classes(model):
    images, labels = shapes.make_batch(200, torch.Generator().manual_seed(5))
    eyes = images[labels == EYES]
    assert shapes.class_share(model, eyes, EYES) > 0.9 and shapes.class_share(model, eyes, "eyes") > 0.9
    assert shapes.class_share(model, eyes, "dogs") < 0.1
    share = shapes.class_share(model, images, EYES)
    assert abs(share - (labels == EYES).float().mean().item()) < 0.05
    bad = ((len(shapes.CLASSES), "out of range"), (-1, "out of range"), ("cats", "valid classes: eyes, faces, dogs"))
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
    with pytest.raises(
        dreamlib.DreamError, match="neither 'shipped', 'skewed', 'ordinary', 'random' nor an existing .pth"
    ):
        dreamlib.load_model("shapes", weights="imagenet")
    old = tmp_path / "old.pth"
    torch.save({"conv1.0.weight": torch.zeros(16, 3, 3, 3)}, old)
    with pytest.raises(dreamlib.WeightsUnavailableError, match="do not fit the shapes model"):
        dreamlib.load_model("shapes", weights=str(old))


def test_the_model_trained_on_more_dogs_dreams_dogs_an_independent_judge_sees(model, skewed, run_as):
    """Lesson 11's controlled experiment: same network, training and dream settings; only the data differs.

    Each model dreams the bundled photos on its deepest block; the judge (another architecture, another seed, the
    balanced data) looks at every 48x48 patch of every dream, the size of its training pictures, and we count the
    patches it calls dogs. The difference comes from the dreams: before dreaming, it sees few dogs in the photos.
    """
    judge = shapes.judge(device="cpu")
    assert model.depth_layers[3] == skewed.depth_layers[3] == "conv6"
    photos = [dreamlib.sample_image(name, max_size=128) for name in dreamlib.list_samples()]
    assert len(photos) >= 4

    def dog_share(pictures):
        return sum(shapes.class_share(judge, shapes.patches(p), "dogs") for p in pictures) / len(pictures)

    def dreams(m):  # lesson 11's settings in quick mode
        settings = dict(octaves=2, steps=10, lr=0.02, seed=0, progress=False)
        return [dreamlib.dream(m, p, "conv6", **settings) for p in photos]

    balanced_share, skewed_share = dog_share(dreams(run_as(model))), dog_share(dreams(run_as(skewed)))
    assert skewed_share >= balanced_share + 0.3, (balanced_share, skewed_share)
    assert dog_share(photos) <= 0.2
