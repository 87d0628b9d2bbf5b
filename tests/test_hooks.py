"""Hooks as first-class, always-removed objects (dreamlib/hooks.py, lesson 01): forward_until, capture_activations."""

import pytest
import torch

import dreamlib
from dreamlib import capture_activations, count_hooks, forward_until


def test_capture_records_named_layers_and_removes_hooks(tiny, image):
    with capture_activations(tiny, ["0", "2"]) as acts:
        tiny(image)
        assert count_hooks(tiny) == 2
    assert acts["0"].shape == (1, 8, 48, 64)
    assert acts["2"].shape == (1, 8, 24, 32)
    assert count_hooks(tiny) == 0


def test_capture_removes_hooks_when_forward_fails(tiny):
    with pytest.raises(RuntimeError):
        with capture_activations(tiny, "0"):
            tiny(torch.rand(1, 5, 8, 8))  # wrong channel count
    assert count_hooks(tiny) == 0


def test_capture_on_a_plain_module_moves_its_input_and_cleans_up(tiny, image):
    """Inside the block a plain module takes images of another dtype (a pre-hook casts them); it is removed after."""
    model = tiny.double()
    with capture_activations(model, "2") as acts:
        model(image)  # float32 image, float64 model
    assert acts["2"].dtype == torch.float64
    assert count_hooks(model) == 0 and not any(m._forward_pre_hooks for m in model.modules())
    with pytest.raises(RuntimeError):
        model(image)  # outside the block it is plain torch again


def test_capture_unknown_layer_lists_valid_names(tiny):
    with pytest.raises(dreamlib.DreamError, match=r"unknown layer 'nope'.*valid layers: 0, 1, 2"):
        with capture_activations(tiny, "nope"):
            pass
    assert count_hooks(tiny) == 0


def test_forward_until_stops_after_the_target_layer(tiny, image):
    ran = []
    for name, module in tiny.named_children():
        module.register_forward_hook(lambda m, i, o, name=name: ran.append(name))
    acts = forward_until(tiny, image, "2")
    assert ran == ["0", "1", "2"]  # layers 3..6 never ran
    assert acts["2"].shape == (1, 8, 24, 32)
    ran.clear()
    acts = forward_until(tiny, image, ["output"])
    assert ran == [str(i) for i in range(7)] and acts["output"].shape == (1, 4)


def test_forward_until_matches_full_forward_and_cleans_up(tiny, image):
    with capture_activations(tiny, "2") as full:
        tiny(image)
    early = forward_until(tiny, image, ["2", "0"])
    torch.testing.assert_close(early["2"], full["2"])
    assert count_hooks(tiny) == 0


def test_forward_until_inception_stops_before_later_blocks(inception_random):
    ran = []
    h = inception_random.module("Mixed_7c").register_forward_hook(lambda *a: ran.append(1))
    try:
        acts = forward_until(inception_random, torch.rand(1, 3, 80, 80), "Mixed_5b")
    finally:
        h.remove()
    assert acts["Mixed_5b"].shape[1] == 256 and ran == []
    assert count_hooks(inception_random) == 0
