"""Every exercise checker accepts the solutions, reports a stub and names typical mistakes (dreamlib/exercises)."""

import importlib.util
import inspect
import pkgutil
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import dreamlib as dl
from dreamlib import exercises
from tests.helpers import ROOT

SOLUTIONS = ROOT / "notebooks" / "solutions" / "solutions.py"


@pytest.fixture(scope="module")
def solutions():
    spec = importlib.util.spec_from_file_location("solutions", SOLUTIONS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASES = [
    ("check_mean_activation", "mean_activation"),
    ("check_normalize", "normalize"),
    ("check_denormalize", "denormalize"),
    ("check_normalize_gradient", "normalize_gradient"),
    ("check_octave_sizes", "octave_sizes"),
    ("check_activation_shapes", "activation_shapes"),
    ("check_top_k", "top_k"),
    ("check_octave_dream", "octave_dream"),
    ("check_receptive_field", "receptive_field"),
    ("check_contrast", "contrast"),
    ("check_train_step", "train_step"),
    ("check_batch_without", "batch_without"),
    ("check_total_variation", "total_variation"),
    ("check_top_examples", "top_examples"),
]


@pytest.mark.parametrize("checker, name", CASES)
def test_solutions_pass(solutions, checker, name, capsys):
    assert getattr(exercises, checker)(getattr(solutions, name)) is True
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("checker, name", CASES)
def test_unfinished_stub_is_reported_not_raised(checker, name, capsys):
    def stub(*args):
        raise NotImplementedError

    assert getattr(exercises, checker)(stub) is False
    assert "not done yet" in capsys.readouterr().out


def _leaky_mean_activation(model, image, layer):
    out = {}
    dict(model.named_modules())[layer].register_forward_hook(lambda m, i, o: out.update(x=o))
    model(image)
    return out["x"].mean().item()


@pytest.mark.parametrize(
    "checker, wrong, says",
    [
        ("check_mean_activation", _leaky_mean_activation, "left a hook attached"),
        ("check_mean_activation", lambda m, x, layer: 0.0, "expected"),
        ("check_normalize", lambda x, mean, std: x / std - mean, "subtract the mean first"),
        ("check_denormalize", lambda x, mean, std: (x + mean) * std, "multiply, then add"),
        ("check_normalize_gradient", lambda g: g / g.abs().mean(), "mean of its absolute values"),
        ("check_normalize_gradient", lambda g: g / (g.abs().mean(dim=(1, 2, 3), keepdim=True) + 1e-8), "1e-8"),
        ("check_normalize_gradient", lambda g: g / g.abs().mean(dim=(1, 2, 3), keepdim=True), "stay all zero"),
        ("check_normalize_gradient", lambda g: g[0], "shape"),
        ("check_octave_sizes", lambda h, w, n, s: [(round(h / s**i), round(w / s**i)) for i in range(n)], "smallest first"),
        ("check_activation_shapes", lambda m, x, layers: {k: (1,) for k in layers}, "expected"),
        ("check_top_k", lambda logits, cats, k: [(cats[i], 0.5) for i in logits[0].topk(k).indices.tolist()], "softmax"),
        ("check_top_k", lambda logits, cats, k: [(cats[i], 0.1) for i in range(k)], "best first"),
        ("check_normalize", lambda *a: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_mistakes_are_named_in_plain_words(checker, wrong, says, capsys):
    assert getattr(exercises, checker)(wrong) is False
    assert says in capsys.readouterr().out


def test_every_checker_is_exported_and_names_its_notebook():
    found = {}
    for info in pkgutil.iter_modules(exercises.__path__):
        module = importlib.import_module(f"dreamlib.exercises.{info.name}")
        found.update({n: f for n, f in vars(module).items() if n.startswith("check_") and inspect.isfunction(f)})
    assert sorted(found) == sorted(exercises.__all__)
    assert {c for c, _ in CASES} == set(found)
    for name, fn in found.items():
        assert getattr(exercises, name) is fn
        assert fn.__doc__.startswith(("Notebook 0", "Notebook 1")), name


def test_exercise_modules_import_no_package_above_them():
    for path in Path(exercises.__file__).parent.glob("*.py"):
        text = path.read_text()
        assert "import dreamlib" not in text and "from dreamlib" not in text and "from .. import" not in text, path.name


def _octaves(carry="detail", order=1, clamp=True, lr=0.01, result="image"):
    """The octave loop written the ways learners get it wrong."""

    def octave_dream(model, image, objective, sizes, steps, rng):
        detail, x = torch.zeros_like(dl.resize(image, sizes[0])), None
        for size in sizes[::order]:
            plain = dl.resize(image, size)
            if carry == "nothing":
                x = plain
            elif carry == "resized" and x is not None:
                x = dl.resize(x, size)
            else:
                x = plain + dl.resize(detail, size)
                x = x.clamp(0, 1) if clamp else x
            for _ in range(steps):
                x, score = dl.ascent_step(model, x, objective, lr=lr, jitter=32, rng=rng)
            detail = x if carry == "image" else x - plain
        return (x, score) if result == "pair" else x

    return octave_dream


def _last_octave_only(model, image, objective, sizes, steps, rng):
    x = dl.resize(image, sizes[-1])
    for _ in range(steps):
        x, _ = dl.ascent_step(model, x, objective, rng=rng)
    return x


def _octaves_in_place(model, image, objective, sizes, steps, rng):
    image.mul_(0.5)
    return _octaves()(model, image, objective, sizes, steps, rng)


# Lesson 05: receptive field by hand


def _rf(start=1, late_jump=False, strides=True):
    def receptive_field(layers):
        r, j = start, 1
        for k, s in layers:
            if late_jump:
                j *= s if strides else 1
                r += (k - 1) * j
            else:
                r += (k - 1) * j
                j *= s if strides else 1
        return r

    return receptive_field


# Lesson 08: a hand-written objective


def _objective(score, layers=None):
    """A contrast-like Objective built from ``score(x, index)`` on the layer's activations."""

    def contrast(layer, index):
        return dl.Objective(lambda acts: score(acts[layer], index), layers or [layer], "mine")

    return contrast


# Lesson 07: the training loop by hand


def _step(zero_grad=True, step=True, sign=1.0, result="item", clear_after_backward=False, when="before"):
    def train_step(net, optimizer, images, labels):
        loss = F.cross_entropy(net(images), labels)
        if zero_grad:
            optimizer.zero_grad()
        (sign * loss).backward()
        if clear_after_backward:
            optimizer.zero_grad()
        if step:
            optimizer.step()
        if when == "after":
            loss = F.cross_entropy(net(images), labels)
        return loss if result == "tensor" else loss.item()

    return train_step


def _softmax_step(net, optimizer, images, labels):
    loss = F.cross_entropy(net(images).softmax(1), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


# Lesson 07: remove a class


def _one_batch_filtered(n, generator, removed):
    images, labels = dl.shapes.make_batch(n, generator)
    keep = labels != removed
    return images[keep], labels[keep]


def _too_many(n, generator, removed):
    images, labels = dl.shapes.make_batch(2 * n, generator)
    keep = labels != removed
    return images[keep], labels[keep]


def _ignores_generator(n, generator, removed):
    images, labels = dl.shapes.make_batch(3 * n + 20)
    keep = labels != removed
    return images[keep][:n], labels[keep][:n]


def _removes_too_much(n, generator, removed):
    images, labels = dl.shapes.make_batch(3 * n + 20, generator)
    keep = (labels != removed) & (labels != removed + 1)  # one class too many
    images, labels = images[keep], labels[keep]
    return images[:n], labels[:n]


def _float_labels(n, generator, removed):
    images, labels = _too_many(n, generator, removed)
    return images[:n], labels[:n].float()


@pytest.mark.parametrize(
    "checker, wrong, says",
    [
        # 04: octave_dream
        ("check_octave_dream", _octaves(carry="nothing"), "no detail was carried up"),
        ("check_octave_dream", _last_octave_only, "no detail was carried up"),
        ("check_octave_dream", _octaves(carry="image"), "carried the dreamed image up instead of the detail"),
        ("check_octave_dream", _octaves(carry="resized"), "carried the dreamed image up instead of the detail"),
        ("check_octave_dream", _octaves(order=-1), "largest first"),
        ("check_octave_dream", _octaves(clamp=False), "clamp the start of each octave"),
        ("check_octave_dream", _octaves(lr=0.02), "values differ from the reference"),
        ("check_octave_dream", _octaves(result="pair"), "return only the final image"),
        ("check_octave_dream", _octaves_in_place, "in place"),
        # 05: receptive_field
        ("check_receptive_field", _rf(late_jump=True), "multiplied the jump by the stride too early"),
        ("check_receptive_field", _rf(strides=False), "the strides are missing"),
        ("check_receptive_field", lambda layers: sum(k for k, _ in layers) - len(layers) + 1 if len(layers) < 3
         else sum(k for k, _ in layers), "the strides are missing"),
        ("check_receptive_field", _rf(start=0), "off by one"),
        ("check_receptive_field", lambda layers: sum(k - 1 for k, _ in layers), "off by one"),
        ("check_receptive_field", lambda layers: f"{len(layers)} px", "expected a number"),
        # 08: contrast
        ("check_contrast", lambda layer, index: torch.zeros(2), "returned a tensor"),
        ("check_contrast", lambda layer, index: (lambda acts: acts[layer][:, index].mean()), "plain function"),
        ("check_contrast", _objective(lambda x, i: x[:, i].flatten(1).mean(1) - x.flatten(1).mean(1), ["conv1"]),
         "list the layer it needs"),
        ("check_contrast", _objective(lambda x, i: x[:, i].mean() - x.mean()), "averaged over the batch too"),
        ("check_contrast", _objective(lambda x, i: x[:, i].flatten(1).mean(1)), "subtract the mean of the whole layer"),
        ("check_contrast", _objective(lambda x, i: x.flatten(1).mean(1) - x[:, i].flatten(1).mean(1)),
         "sign is reversed"),
        ("check_contrast", _objective(lambda x, i: (x[:, i].flatten(1).mean(1) - x.flatten(1).mean(1)).detach()),
         "during gradient ascent"),
        ("check_contrast", _objective(lambda x, i: x[:, i].flatten(1).mean(1) - x[:, i].flatten(1).mean(1)),
         "values differ"),
        # 07: train_step
        ("check_train_step", _step(zero_grad=False), "call `optimizer.zero_grad()` before `loss.backward()`"),
        ("check_train_step", _step(step=False), "the weights did not change"),
        ("check_train_step", _step(clear_after_backward=True), "the weights did not change"),
        ("check_train_step", _step(sign=-1.0), "the loss went up"),
        ("check_train_step", _step(result="tensor"), "the loss is a tensor: return `loss.item()`"),
        ("check_train_step", _step(when="after"), "computed before the step"),
        ("check_train_step", _softmax_step, "no softmax"),
        # 07: batch_without
        ("check_batch_without", _one_batch_filtered, "draw more"),
        ("check_batch_without", lambda n, g, removed: dl.shapes.make_batch(n, g), "still have label"),
        ("check_batch_without", _too_many, "keep exactly the first n"),
        ("check_batch_without", _removes_too_much, "keep every other class"),
        ("check_batch_without", _ignores_generator, "pass `generator` on to make_batch"),
        ("check_batch_without", _float_labels, "whole class indices"),
        ("check_batch_without", lambda n, g, removed: _too_many(n, g, removed)[0][:n], "pair `(images, labels)`"),
    ],
)
def test_lesson_mistakes_get_their_hint(checker, wrong, says, capsys):
    assert getattr(exercises, checker)(wrong) is False
    out = capsys.readouterr().out
    assert "❌" in out and says in out, out
