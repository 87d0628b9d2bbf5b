"""The checkers of lessons 09-11 (dreamlib/exercises/training.py)."""

import pytest
import torch
import torch.nn.functional as F

import dreamlib as dl
from dreamlib import exercises
from dreamlib.exercises import training


def test_removing_a_class_through_weights_also_passes(capsys):
    def batch_without(n, generator, removed):
        weights = [0.0 if k == removed else 1.0 for k in range(len(dl.shapes.CLASSES))]
        return dl.shapes.make_batch(n, generator, weights=weights)

    assert exercises.check_batch_without(batch_without) is True
    assert "✅" in capsys.readouterr().out


def test_labels_that_do_not_match_their_images_are_caught(capsys):
    images, labels = dl.shapes.make_batch(300, torch.Generator().manual_seed(0))
    assert training._label_agreement(images, labels) > 0.9  # the shipped classifier knows the true labels
    assert training._label_agreement(images, labels.roll(1)) < 0.6  # and sees that shifted ones do not fit

    def shuffled_labels(n, generator, removed):
        images, labels = dl.shapes.make_batch(3 * n + 20, generator)
        return images[:n], labels[labels != removed][:n]

    assert exercises.check_batch_without(shuffled_labels) is False
    assert "labels do not match the images" in capsys.readouterr().out


# Lesson 09: the training loop by hand


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


# Lesson 09: remove a class


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
        (
            "check_top_k",
            lambda logits, cats, k: [(cats[i], 0.5) for i in logits[0].topk(k).indices.tolist()],
            "softmax",
        ),
        ("check_top_k", lambda logits, cats, k: [(cats[i], 0.1) for i in range(k)], "best first"),
        ("check_train_step", _step(zero_grad=False), "call `optimizer.zero_grad()` before `loss.backward()`"),
        ("check_train_step", _step(step=False), "the weights did not change"),
        ("check_train_step", _step(clear_after_backward=True), "the weights did not change"),
        ("check_train_step", _step(sign=-1.0), "the loss went up"),
        ("check_train_step", _step(result="tensor"), "the loss is a tensor: return `loss.item()`"),
        ("check_train_step", _step(when="after"), "computed before the step"),
        ("check_train_step", _softmax_step, "no softmax"),
        ("check_batch_without", _one_batch_filtered, "draw more"),
        ("check_batch_without", lambda n, g, removed: dl.shapes.make_batch(n, g), "still have label"),
        ("check_batch_without", _too_many, "keep exactly the first n"),
        ("check_batch_without", _removes_too_much, "keep every other class"),
        ("check_batch_without", _ignores_generator, "pass `generator` on to make_batch"),
        ("check_batch_without", _float_labels, "whole class indices"),
        ("check_batch_without", lambda n, g, removed: _too_many(n, g, removed)[0][:n], "pair `(images, labels)`"),
    ],
)
def test_mistakes_get_their_hint(checker, wrong, says, capsys):
    assert getattr(exercises, checker)(wrong) is False
    out = capsys.readouterr().out
    assert "❌" in out and says in out, out


# Lessons 09-11: predict, then run


def test_attack_prediction_is_judged_within_fifteen_points(capsys):
    assert exercises.check_attack_accuracy(0.25, 0.31) is True
    assert exercises.check_attack_accuracy(25, 0.31) is True  # a percentage counts too
    assert "decision boundaries" in capsys.readouterr().out
    assert exercises.check_attack_accuracy(0.9, 0.31) is False
    assert "you predicted 0.9, the run gave 0.31" in capsys.readouterr().out
    assert exercises.check_attack_accuracy(True, 0.31) is False
    assert exercises.check_attack_accuracy(..., 0.31) is False
    assert "no prediction yet" in capsys.readouterr().out
    assert exercises.check_attack_accuracy("most", 0.31) is False
    assert "could not compare" in capsys.readouterr().out


def test_dog_twin_prediction_is_judged_against_the_run(capsys):
    assert exercises.check_dog_twin("Dogs 45%", "dogs 45%") is True
    assert exercises.check_dog_twin(" dogs  45% arm", "dogs 45%") is True
    assert exercises.check_dog_twin("skewed twin", "dogs 45%") is True
    assert "45%" in capsys.readouterr().out
    assert exercises.check_dog_twin("4 breeds", "4 breeds") is True
    assert "breeds" in capsys.readouterr().out
    assert exercises.check_dog_twin("balanced", "dogs 45%") is False
    assert "❌" in capsys.readouterr().out
    assert exercises.check_dog_twin("dogs 45%", "dogs 45%, batch norm") is False
    assert exercises.check_dog_twin(..., "dogs 45%") is False
