"""Unit ablation (dreamlib/units/ablation.py, lesson 19): switch units off, measure what each class loses."""

import pytest
import torch

import dreamlib as dl
from dreamlib.errors import DreamError
from tests.helpers import part_world


def test_switching_off_a_detector_removes_what_it_detects_and_only_that():
    model, images, _, _, labels = part_world(n=60)
    before = dl.accuracy_drop(model, "detect", [0], images, labels)
    assert before.before == {"0": 1.0, "1": 1.0, "2": 1.0}  # each picture's biggest part wins
    assert before.after["0"] == 0.0 and before.after["1"] == 1.0 and before.after["2"] == 1.0
    assert before.drop == {"0": 100.0, "1": 0.0, "2": 0.0}
    assert repr(before).splitlines()[1].startswith("0 ")  # the biggest drop first


def test_the_callers_model_is_unchanged_afterwards_even_after_an_error():
    model, images, _, _, _ = part_world()
    reference = model(images)
    with dl.ablate(model, "detect", [0, 2]) as same:
        assert same is model
        off = dl.forward_until(model, images, "detect")["detect"]
        assert off[:, [0, 2]].abs().max() == 0 and off[:, 1].max() > 0
    with pytest.raises(RuntimeError, match="boom"):
        with dl.ablate(model, "detect", 1):
            raise RuntimeError("boom")
    assert dl.count_hooks(model) == 0 and torch.equal(model(images), reference)


def test_a_unit_out_of_range_is_one_line_when_the_layer_runs():
    model, images, _, _, _ = part_world()
    with pytest.raises(DreamError, match=r"unit 3 is out of range for detect \(valid: 0..2\)"):
        with dl.ablate(model, "detect", [3]):
            model(images)
    assert dl.count_hooks(model) == 0


@pytest.mark.parametrize(
    "layer, which, message",
    [
        ("nope", [0], "unknown layer 'nope'"),
        ("detect", [], "no units to switch off"),
        ("detect", [-1], "unit -1 is out of range"),
        ("detect", "a", "unit 'a' is out of range"),
        ("detect", None, "must be a number or a list"),
    ],
)
def test_bad_input_is_one_line(layer, which, message):
    model, _, _, _, _ = part_world()
    with pytest.raises(DreamError, match=message):
        with dl.ablate(model, layer, which):
            pass


def test_ablation_checks_its_images_and_labels():
    model, images, _, _, labels = part_world()
    with pytest.raises(DreamError, match="non-empty tensor"):
        dl.accuracy_drop(model, "detect", [0], images[:0], labels[:0])
    with pytest.raises(DreamError, match="one class number per image"):
        dl.accuracy_drop(model, "detect", [0], images, labels[:3])


def test_on_the_shipped_dreamer_the_classes_are_named():
    model = dl.load_model("shapes")
    images, labels = dl.shapes.make_batch(100, torch.Generator().manual_seed(2))
    result = dl.accuracy_drop(model, "conv6", list(range(128)), images, labels)  # every unit off: nothing is left
    assert set(result.classes) <= set(dl.shapes.CLASSES) and len(result.classes) >= 8
    assert sum(result.after.values()) < sum(result.before.values())


def test_on_the_shipped_dreamer_the_detectors_of_a_part_serve_the_class_that_has_it():
    """Bau et al.'s check: switch off the units dissection labels with one part; the class owning it loses most."""
    model = dl.load_model("shapes")
    images, _, parts = dl.shapes.make_batch(1000, torch.Generator().manual_seed(0), parts=True)
    found = dl.dissect(model, "conv4", images, parts)
    labelled = [row.part for row in found.detectors()]
    part = max(set(labelled), key=labelled.count)
    owners = [c for c, names in dl.shapes.CLASS_PARTS.items() if part in names]
    held, held_labels = dl.shapes.make_batch(1000, torch.Generator().manual_seed(12345))
    drop = dl.accuracy_drop(model, "conv4", [r.unit for r in found.detectors() if r.part == part], held, held_labels)
    others = sorted(d for c, d in drop.drop.items() if c not in owners)
    assert max(drop.drop[c] for c in owners) > 2 * max(others[len(others) // 2], 1.0), drop
