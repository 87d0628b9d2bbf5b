"""The fast path (dreamlib/fast/__init__.py): ``dl.faster(model)`` steps on a twin that computes what the model
computes, faster; a model as built runs exactly as built."""

from __future__ import annotations

import gc
import weakref

import pytest
import torch
from torch import nn

import dreamlib
from dreamlib.ascent import image_gradient
from dreamlib.fast import FastModel, channels_last, fast_model, twin_for
from dreamlib.hooks import capture_activations
from tests.helpers import count_bn, random_bn_stats

TRIAL = torch.zeros(1, 3, 48, 48)


def shapes():
    model = dreamlib.load_model("shapes")
    random_bn_stats(model)
    return model


def test_the_twin_folds_a_copy_and_computes_what_the_model_computes():
    model = shapes()
    twin = fast_model(model, ["conv5"], TRIAL, "fp32")
    assert isinstance(twin, FastModel) and twin.net is not model.net
    assert count_bn(model) == 5 and count_bn(twin) == 0 and twin.layers == model.layers
    x = torch.rand(2, 3, 64, 64)
    objective = dreamlib.layer_mean("conv5")
    g0, s0 = image_gradient(model, x, objective)
    g1, s1 = image_gradient(twin, x, objective)
    torch.testing.assert_close(s1, s0, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(g1, g0, rtol=1e-3, atol=1e-3 * g0.abs().max().item())


def test_the_twin_sees_channels_last_images_in_its_precision():
    model = shapes()
    seen = []
    twin = fast_model(model, ["conv2"], TRIAL, "bf16")
    handle = twin.net.conv1[0].register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    with torch.no_grad():
        twin(torch.rand(1, 3, 32, 32))
    handle.remove()
    assert seen[0].is_contiguous(memory_format=torch.channels_last)
    with torch.no_grad(), capture_activations(twin, "conv1") as acts:
        twin(torch.rand(1, 3, 32, 32))
    assert acts["conv1"].dtype == torch.bfloat16 and twin.precision == "bf16"
    assert channels_last(torch.rand(3, 8, 8)).shape == (3, 8, 8)  # an unbatched image passes as it is


def test_a_faster_dream_at_auto_runs_in_the_precision_the_suite_forces(both_precisions):
    """``DREAMLIB_PRECISION`` decides what a dream of a ``faster(model)`` at ``"auto"`` computes in, on any CPU (the
    layers' outputs are bfloat16 in a bf16 dream); the model as built computes in its own dtype whatever it says."""
    model, seen = shapes(), []
    fast = dreamlib.faster(model)
    twin = twin_for(fast, ["conv2"], TRIAL)
    handle = twin.net.conv2.register_forward_hook(lambda m, args, out: seen.append(out.dtype))
    dreamlib.dream(fast, torch.rand(1, 3, 48, 48), "conv2", octaves=1, steps=1, progress=False)
    handle.remove()
    assert twin.precision == both_precisions
    assert seen == [torch.bfloat16 if both_precisions == "bf16" else torch.float32]
    handle = model.net.conv2.register_forward_hook(lambda m, args, out: seen.append(out.dtype))
    dreamlib.dream(model, torch.rand(1, 3, 48, 48), "conv2", octaves=1, steps=1, progress=False)
    handle.remove()
    assert seen[1:] == [torch.float32, torch.float32]  # the probe pass and the step


def test_the_twin_is_cached_and_made_again_when_the_model_changes():
    model = shapes()
    twin = fast_model(model, ["conv5"], TRIAL, "fp32")
    assert fast_model(model, ["conv5"], TRIAL, "fp32") is twin
    assert fast_model(model, ["conv3"], TRIAL, "fp32") is not twin  # other layers, other twin
    twin = fast_model(model, ["conv3"], TRIAL, "fp32")
    with torch.no_grad():
        model.net.conv2[1].running_mean.add_(0.5)  # in place, as training or load_state_dict would
    fresh = fast_model(model, ["conv3"], TRIAL, "fp32")
    assert fresh is not twin
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad(), capture_activations(model, "conv3") as a0, capture_activations(fresh, "conv3") as a1:
        model(x), fresh(x)
    torch.testing.assert_close(a1["conv3"], a0["conv3"], rtol=1e-4, atol=1e-4)


def test_the_twin_is_made_again_after_edits_that_bypass_the_version_counter():
    model = shapes()
    x = torch.rand(1, 3, 64, 64)
    twin = fast_model(model, ["conv3"], TRIAL, "fp32")
    model.net.conv1[0].weight.data.mul_(3)  # .data: no version bump, the folded copy would go stale
    model.net.conv2[1].running_var.data.fill_(4.0)
    fresh = fast_model(model, ["conv3"], TRIAL, "fp32")
    assert fresh is not twin
    with torch.no_grad(), capture_activations(model, "conv3") as a0, capture_activations(fresh, "conv3") as a1:
        model(x), fresh(x)
    torch.testing.assert_close(a1["conv3"], a0["conv3"], rtol=1e-4, atol=1e-4)


def test_the_twin_runs_your_own_network_when_folding_could_surprise():
    model = shapes()
    handle = model.net.conv1.register_forward_hook(lambda m, i, o: None)
    assert fast_model(model, ["conv5"], TRIAL, "fp32").net is model.net  # your hook would not see a copy
    handle.remove()
    assert fast_model(model, ["conv5"], TRIAL, "fp32").net is not model.net
    model.net.conv2[1].train()
    assert fast_model(model, ["conv5"], TRIAL, "fp32").net is model.net  # batch statistics cannot be folded
    assert model.net.conv2[1].training  # and the twin did not switch your model to eval mode
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
    assert fast_model(net, ["1"], TRIAL, "fp32").net is net  # nothing to fold


def test_fast_and_plain_dreams_agree_and_plain_runs_the_network_as_built():
    model = shapes()
    image = torch.rand(1, 3, 96, 96, generator=torch.Generator().manual_seed(0))
    settings = dict(octaves=2, steps=3, seed=0, progress=False)
    calls = {"conv": 0, "bn": 0}
    hooks = [
        model.net.conv4[0].register_forward_hook(lambda *a: calls.__setitem__("conv", calls["conv"] + 1)),
        model.net.conv4[1].register_forward_hook(lambda *a: calls.__setitem__("bn", calls["bn"] + 1)),
    ]
    plain = dreamlib.dream(model, image, "conv4", **settings)
    assert calls["conv"] == calls["bn"] > 6  # your modules ran, BatchNorm and all, and your hooks saw every step
    for h in hooks:
        h.remove()
    fast = dreamlib.dream(dreamlib.faster(model, "fp32"), image, "conv4", **settings)
    assert (fast - image).abs().mean() > 1e-2  # it dreamed
    # The same picture: gradient ascent can amplify a rounding difference at a few pixels (lesson 03), never at many.
    difference = (fast - plain).abs()
    assert difference.mean() < 1e-4 and (difference > 1e-3).float().mean() < 1e-3


def test_faster_is_the_one_place_speed_is_decided():
    model = shapes()
    fast = dreamlib.faster(model, "fp32")
    assert isinstance(fast, FastModel) and fast.net is model.net and fast.precision == "fp32"
    assert fast.layers == model.layers and fast.name == model.name and fast.min_size == model.min_size
    assert twin_for(model, ["conv4"], TRIAL) is model  # a model as built steps as built: the lessons' code
    twin = twin_for(fast, ["conv4"], TRIAL)
    assert isinstance(twin, FastModel) and twin.net is not model.net  # BatchNorm folded, on a copy
    assert twin_for(fast, ["conv4"], TRIAL) is twin  # cached
    image = torch.rand(2, 3, 48, 48)
    torch.testing.assert_close(fast(image), model(image), rtol=0, atol=1e-5)  # the same function
    with pytest.raises(dreamlib.DreamError, match="unknown precision 'fp8'; use one of auto, fp32, bf16"):
        dreamlib.faster(model, "fp8")


def test_the_twin_cache_does_not_keep_a_model_alive():
    model = shapes()
    twin = weakref.ref(fast_model(model, ["conv5"], TRIAL, "fp32"))
    alive = weakref.ref(model.net)
    del model
    gc.collect()
    assert alive() is None and twin() is None


def test_a_plain_network_wrapped_anew_each_call_reuses_its_folded_copy():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 2, 1), nn.ReLU()).eval()
    random_bn_stats(net)
    first = fast_model(dreamlib.as_dream_model(net), ["4"], TRIAL, "fp32")  # what dream(net, ...) does
    second = fast_model(dreamlib.as_dream_model(net), ["4"], TRIAL, "fp32")
    assert count_bn(first) == 0 and count_bn(net) == 1
    assert second.net is first.net  # folded once, not at every call
    x = torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(second(x), net(x), rtol=1e-5, atol=1e-5)
