"""Checkers for notebooks 09 (train your own dreamer), 10 (robust dreamers) and 11 (why dogs)."""

from __future__ import annotations

import numbers
import warnings
from typing import Callable

import torch
import torch.nn.functional as F

from ..models import load_model
from ..shapes import CLASSES, IMAGE_SIZE
from ._shared import _call, _params, _predicted, _report, _rng_kept, _tiny_classifier


def check_top_k(fn: Callable) -> bool:
    """Notebook 11: ``fn(logits, categories, k)`` -> [(name, probability), ...] best first."""
    logits, cats = torch.randn(1, 10, generator=torch.Generator().manual_seed(1)), [f"class{i}" for i in range(10)]
    got, problem = _call("top_k", fn, logits, cats, 3)
    if problem:
        return _report("top_k", problem)
    probs = logits.softmax(1)[0]
    top = probs.topk(3)
    expected = [(cats[i], p) for p, i in zip(top.values.tolist(), top.indices.tolist())]
    try:
        names_ok = [n for n, _ in got] == [n for n, _ in expected]
        probs_ok = all(abs(float(p) - q) < 1e-4 for (_, p), (_, q) in zip(got, expected)) and len(got) == 3
    except (TypeError, ValueError):
        return _report("top_k", f"should return a list of (name, probability) pairs, gave {got!r}")
    if not names_ok:
        return _report("top_k", f"names {[n for n, _ in got]} should be {[n for n, _ in expected]} (best first)")
    if not probs_ok:
        return _report("top_k", "the names are right but the probabilities are not: apply softmax to the logits")
    return _report("top_k", None)


def _train_step(net, optimizer, images, labels, zero_grad: bool = True, sign: float = 1.0) -> float:
    """The reference step; ``zero_grad=False`` and ``sign=-1`` (ascent) are the usual mistakes."""
    loss = F.cross_entropy(net(images), labels)
    if zero_grad:
        optimizer.zero_grad()
    (sign * loss).backward()
    optimizer.step()
    return loss.item()


def _all_close(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return all(torch.allclose(x, y, atol=1e-6, rtol=1e-5) for x, y in zip(a, b))


def check_train_step(fn: Callable) -> bool:
    """Notebook 09: ``fn(net, optimizer, images, labels) -> float``, one training step, the loss before it.

    Forward, cross-entropy on the logits, ``optimizer.zero_grad()``, ``loss.backward()``,
    ``optimizer.step()``, return ``loss.item()``. Two steps on a tiny classifier with
    ``SGD(lr=0.1)`` are compared with the reference (weights and losses). A 0-d tensor
    is *not* accepted as the loss: storing tensors keeps every step's graph alive.
    """
    name = "train_step"
    g = torch.Generator().manual_seed(0)
    batches = [(torch.rand(8, 3, 10, 10, generator=g), torch.randint(3, (8,), generator=g)) for _ in range(2)]
    nets = {kind: _tiny_classifier() for kind in ("mine", "right", "no_zero_grad", "ascent")}
    opts = {kind: torch.optim.SGD(net.parameters(), lr=0.1) for kind, net in nets.items()}
    mistakes = {"no_zero_grad": {"zero_grad": False}, "ascent": {"sign": -1.0}}
    for step, (images, labels) in enumerate(batches):
        before = _params(nets["mine"])
        got, problem = _call(name, fn, nets["mine"], opts["mine"], images.clone(), labels.clone())
        if problem:
            return _report(name, problem)
        expected = _train_step(nets["right"], opts["right"], images, labels)
        for kind, mistake in mistakes.items():
            _train_step(nets[kind], opts[kind], images, labels, **mistake)
        after = _params(nets["mine"])
        if _all_close(after, before):
            return _report(
                name,
                "the weights did not change: call `loss.backward()` and then `optimizer.step()` "
                "(and clear old gradients with `optimizer.zero_grad()` *before* backward, "
                "not between backward and step)",
            )
        if not _all_close(after, _params(nets["right"])):
            if step == 1 and _all_close(after, _params(nets["no_zero_grad"])):
                return _report(
                    name,
                    "the first step was right but the second was not: gradients add up in "
                    "`.grad` from step to step — call `optimizer.zero_grad()` before `loss.backward()`",
                )
            if _all_close(after, _params(nets["ascent"])):
                return _report(
                    name,
                    "the loss went up: the weights moved uphill. Training is gradient *descent* — "
                    "call `loss.backward()` on the loss itself (not its negative); "
                    "`optimizer.step()` moves the weights downhill",
                )
            return _report(
                name,
                "the weights differ from the reference step: use "
                "`F.cross_entropy(net(images), labels)` on the raw logits (no softmax), "
                "then zero_grad, backward, step — one step per call",
            )
        if isinstance(got, bool) or not isinstance(got, (numbers.Real, torch.Tensor)):
            return _report(name, f"returned a {type(got).__name__}, expected the loss as a float (`loss.item()`)")
        if isinstance(got, torch.Tensor) and got.numel() != 1:
            return _report(name, f"returned a tensor of shape {tuple(got.shape)}, expected the loss as a float")
        value = float(got.detach()) if isinstance(got, torch.Tensor) else float(got)
        if abs(value - expected) > 1e-5 * max(1.0, abs(expected)):
            return _report(
                name,
                f"returned loss {value:.6g}, expected {expected:.6g}: return the loss of this "
                "batch, computed before the step (cross-entropy on the raw logits)",
            )
        if isinstance(got, torch.Tensor):
            return _report(
                name,
                "the step and the loss are right, but the loss is a tensor: return `loss.item()`, "
                "a plain float — a stored tensor keeps the step's whole graph in memory",
            )
    return _report(name, None)


def _label_agreement(images: torch.Tensor, labels: torch.Tensor) -> float:
    """How often the shipped shapes classifier agrees with ``labels`` (a share of the images)."""
    with _rng_kept(), warnings.catch_warnings():  # building the network draws random numbers: not the learner's
        warnings.simplefilter("ignore")
        model = load_model("shapes", weights="shipped", device="cpu")
    with torch.no_grad():
        predicted = model(images.float()).argmax(1)
    return (predicted == labels).float().mean().item()


def check_batch_without(fn: Callable) -> bool:  # noqa: C901 (each branch names one learner mistake)
    """Notebook 09: ``fn(n, generator, removed)`` -> ``(images, labels)``: n shapes images, none of class ``removed``.

    Either pass ``weights`` with a 0 for that class to ``dl.shapes.make_batch``, or
    generate more and keep the other classes; both are accepted. Checked: exactly n
    images of the right shape, type and range, no label ``removed``, every other class
    present in a large batch, labels that match their images, and the generator used.
    """
    name = "batch_without"
    size, classes = IMAGE_SIZE, len(CLASSES)
    for n, removed, seed in ((300, 2, 0), (7, 0, 1)):
        out, problem = _call(name, fn, n, torch.Generator().manual_seed(seed), removed)
        if problem:
            return _report(name, problem)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            return _report(name, f"returned a {type(out).__name__}, expected a pair `(images, labels)`")
        images, labels = out
        if not (isinstance(images, torch.Tensor) and isinstance(labels, torch.Tensor)):
            return _report(name, "images and labels should both be tensors (as make_batch returns them)")
        if len(images) != len(labels):
            return _report(name, f"{len(images)} images but {len(labels)} labels: keep the same rows of both")
        if len(images) < n:
            return _report(
                name,
                f"gave {len(images)} images for n={n}: dropping a class from a batch of n leaves fewer "
                "than n — draw more (e.g. in a loop) until you have at least n, then keep the first n",
            )
        if len(images) > n:
            return _report(name, f"gave {len(images)} images for n={n}: keep exactly the first n")
        if tuple(images.shape) != (n, 3, size, size):
            return _report(name, f"images have shape {tuple(images.shape)}, expected {(n, 3, size, size)}")
        if images.dtype != torch.float32 or images.min() < 0 or images.max() > 1:
            return _report(name, "images should be float32 in [0, 1], as make_batch returns them")
        if tuple(labels.shape) != (n,) or labels.is_floating_point() or labels.dtype == torch.bool:
            return _report(
                name, f"labels should be n={n} whole class indices, got {labels.dtype} of shape {tuple(labels.shape)}"
            )
        if (labels == removed).any():
            return _report(
                name,
                f"{int((labels == removed).sum())} of {n} images still have label {removed} "
                f"({CLASSES[removed]}): keep only the rows where `labels != removed` "
                "(or give make_batch weights with a 0 for that class)",
            )
        if ((labels < 0) | (labels >= classes)).any():
            return _report(name, f"labels outside 0..{classes - 1}: keep make_batch's class indices")
        if n >= 200:
            missing = [CLASSES[k] for k in range(classes) if k != removed and not (labels == k).any()]
            if missing:
                return _report(
                    name,
                    f"no {', '.join(missing)} in {n} images: remove only class {removed} "
                    f"({CLASSES[removed]}) and keep every other class",
                )
            agreement = _label_agreement(images, labels)
            if agreement < 0.6:
                return _report(
                    name,
                    f"the labels do not match the images (a trained classifier agrees on only "
                    f"{agreement:.0%}): select the same rows of images and labels, e.g. "
                    "`keep = labels != removed; images, labels = images[keep], labels[keep]`",
                )
    first, _ = _call(name, fn, 20, torch.Generator().manual_seed(5), 3)
    second, _ = _call(name, fn, 20, torch.Generator().manual_seed(6), 3)
    if first is not None and second is not None and torch.equal(first[0], second[0]):
        return _report(name, "two different generators gave the same images: pass `generator` on to make_batch")
    return _report(name, None)


def _share(value) -> float:
    """A share written as a fraction (0.3) or a percentage (30): as a fraction."""
    value = float(value)
    return value / 100 if value > 1 else value


def check_attack_accuracy(prediction, measured: float) -> bool:
    """Notebook 10: your prediction of the ordinary network's accuracy after one attack step, against your run's.

    ``prediction`` is a share of the pictures, as a fraction (0.3) or a percentage (30); within 15 points of
    ``measured`` (what the run gave) counts as right.
    """
    measured = round(float(measured), 2)
    if measured < 0.5:
        why = (
            "A step of 1.6% of the picture's norm, aimed along the loss's gradient, crosses the ordinary network's "
            "decision boundaries: they lie that close to its pictures in the directions it is most sensitive to."
        )
    else:
        why = (
            "This network keeps most of its accuracy: its decision boundaries lie further from its pictures than "
            "one step of this size, in every direction the step could take."
        )
    return _predicted(
        "accuracy after one attack step",
        prediction,
        measured,
        why,
        same=lambda p, m: not isinstance(p, bool) and abs(_share(p) - m) <= 0.15,
    )


def check_dog_twin(prediction, measured: str) -> bool:
    """Notebook 11: which arm of the experiment (a key of :data:`dreamlib.shapes.ARMS`: ``"balanced"``,
    ``"dogs 45%"``, ``"4 breeds"`` or ``"dogs 45%, batch norm"``) dreams what the judges call dogs most often.

    ``measured`` is the arm the run found. Case and spaces do not matter; ``"skewed"`` means ``"dogs 45%"``.
    """
    why = {
        "dogs 45%": "A dream climbs the features a network has most of; the arm that saw dog faces in 45% of its "
        "pictures grew the most dog features, and conv6 has no batch norm to even them out.",
        "dogs 45%, batch norm": "Even with batch norm in conv6 the arm that saw the most dog faces dreamed the "
        "most of them: compare its share with the arm without batch norm.",
        "4 breeds": "Telling four breeds apart took more dog features than seeing many dog faces: compare the "
        "arms' shares and their spread over seeds.",
        "balanced": "In this run the balanced model's dreams had the most patches the judges call dogs: look "
        "at the pictures and the spread over seeds.",
    }.get(measured, "Look at the table and the pictures.")

    def same(p, m):
        said = " ".join(p.strip().lower().removesuffix(" twin").removesuffix(" arm").split())
        return {"skewed": "dogs 45%"}.get(said, said) == m.lower()

    return _predicted("which arm dreams the most dogs", prediction, measured, why, same=same)
