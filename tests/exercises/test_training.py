"""The checkers of lessons 06-07 (dreamlib/exercises/training.py)."""

import inspect

import pytest
import torch

import dreamlib as dl
from dreamlib import exercises
from dreamlib.exercises import training


def test_removing_a_class_through_weights_also_passes(capsys):
    if "weights" not in inspect.signature(dl.shapes.make_batch).parameters:
        pytest.skip("make_batch has no weights= yet")

    def batch_without(n, generator, removed):
        weights = [0.0 if k == removed else 1.0 for k in range(len(dl.shapes.CLASSES))]
        return dl.shapes.make_batch(n, generator, weights=weights)

    assert exercises.check_batch_without(batch_without) is True
    assert "✅" in capsys.readouterr().out


def test_labels_that_do_not_match_their_images_are_caught(capsys):
    images, labels = dl.shapes.make_batch(300, torch.Generator().manual_seed(0))
    if training._label_agreement(images, labels) is None:
        pytest.skip("the shipped shapes weights do not fit the current classes")

    def shuffled_labels(n, generator, removed):
        images, labels = dl.shapes.make_batch(3 * n + 20, generator)
        return images[:n], labels[labels != removed][:n]

    assert exercises.check_batch_without(shuffled_labels) is False
    assert "labels do not match the images" in capsys.readouterr().out
