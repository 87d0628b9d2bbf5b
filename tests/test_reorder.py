"""Pooling after the 1x1 convolution in InceptionV3's pooling branches: the same activations and gradients."""

from __future__ import annotations

import types
import warnings

import pytest
import torch

import dreamlib
from dreamlib import reorder
from dreamlib.ascent import image_gradient
from dreamlib.fold import folded_twin
from dreamlib.hooks import capture_activations, forward_until
from tests.test_fold import _random_bn_stats


@pytest.fixture(scope="module")
def inception():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dreamlib.DreamWarning)
        model = dreamlib.load_model("inception_v3", weights="random", device="cpu")
    _random_bn_stats(model)
    return model


def _rewritten(twin) -> list[str]:
    return [n for n, m in twin.net.named_modules() if isinstance(m.__dict__.get("_forward"), types.MethodType)]


def test_the_twin_pools_after_the_conv_and_computes_the_same(inception):
    twin = folded_twin(inception, ["Mixed_6c"])
    assert {"Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6b", "Mixed_6c"} <= set(_rewritten(twin))
    torch.manual_seed(0)
    x = torch.rand(1, 3, 160, 160)
    objective = dreamlib.layer_mean("Mixed_6c")
    g0, s0 = image_gradient(inception, x, objective)
    g1, s1 = image_gradient(twin, x, objective)
    torch.testing.assert_close(s1, s0, rtol=1e-4, atol=1e-6)
    # random weights make a chaotic network: a rounding difference flips a few ReLUs, so compare the direction
    cos = torch.nn.functional.cosine_similarity(g0.flatten().double(), g1.flatten().double(), dim=0)
    assert cos > 0.999
    with torch.no_grad(), capture_activations(inception, "Mixed_5d") as a0, capture_activations(twin, "Mixed_5d") as a1:
        inception(x), twin(x)
    torch.testing.assert_close(a1["Mixed_5d"], a0["Mixed_5d"], rtol=1e-4, atol=1e-4 * a0["Mixed_5d"].abs().max().item())


def test_a_block_whose_pool_branch_is_read_is_left_alone(inception):
    twin = folded_twin(inception, ["Mixed_5c.branch_pool"])
    assert "Mixed_5c" not in _rewritten(twin) and "Mixed_5b" in _rewritten(twin)
    x = torch.rand(1, 3, 96, 96)
    with torch.no_grad():
        a0 = forward_until(inception, x, "Mixed_5c.branch_pool")["Mixed_5c.branch_pool"]
        a1 = forward_until(twin, x, "Mixed_5c.branch_pool")["Mixed_5c.branch_pool"]
    torch.testing.assert_close(a1, a0, rtol=1e-4, atol=1e-4 * a0.abs().max().item())


def test_a_rewrite_that_does_not_match_the_original_is_refused(inception, monkeypatch):
    wrong = dict(reorder.BRANCHES)
    wrong["InceptionA"] = wrong["InceptionA"][::-1]  # branches in the wrong order: another function
    monkeypatch.setattr(reorder, "BRANCHES", wrong)
    twin = folded_twin(inception, ["Mixed_6b"])
    assert not {"Mixed_5b", "Mixed_5c", "Mixed_5d"} & set(_rewritten(twin))
    assert "Mixed_6b" in _rewritten(twin)  # InceptionC is still rewritten


def test_the_first_1x1_convolutions_run_as_one(inception, monkeypatch):
    """In a rewritten block the branches' first 1x1 convolutions (and the pooling branch's) are one convolution,
    whose output is split between the branches; the block computes what it computed before."""
    twin = folded_twin(inception, ["Mixed_6c"])
    named = dict(twin.net.named_modules())
    for name in ("Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6b", "Mixed_6c"):
        assert named[name].__dict__["_forward"].__func__ is reorder._forward_joined, name
    block, original = named["Mixed_6b"], dict(inception.net.named_modules())["Mixed_6b"]
    calls = []
    real = reorder.F.conv2d
    monkeypatch.setattr(reorder.F, "conv2d", lambda x, w, *a: calls.append(tuple(w.shape)) or real(x, w, *a))
    x = torch.rand(1, 768, 9, 11)
    with torch.no_grad():
        got = block(x)
        monkeypatch.undo()
        expected = original(x)
    # the block's input went into one convolution: the four branches' first ones
    assert [shape for shape in calls if shape[1] == 768] == [(192 + 128 + 128 + 192, 768, 1, 1)]
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4 * expected.abs().max().item())


def test_joined_weights_follow_the_weights(inception):
    twin = folded_twin(inception, ["Mixed_5c"])
    block = dict(twin.net.named_modules())["Mixed_5b"]
    x = torch.rand(1, 192, 8, 8)
    with torch.no_grad():
        block(x)
        first = block.branch5x5_1.conv
        first.weight.mul_(-1)  # changed in place: the joined weights are made again
        got = block(x)
        expected = torch.cat(reorder._forward(block, x), 1)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4 * expected.abs().max().item())


def test_a_block_that_cannot_be_joined_gets_the_pool_swap_alone(inception, monkeypatch):
    import copy

    net = copy.deepcopy(folded_twin(inception, ["Mixed_6c"]).net)
    for block in net.modules():
        block.__dict__.pop("_forward", None)  # as folded, before any rewrite
    named = dict(net.named_modules())
    named["Mixed_5d"].branch1x1.bn = torch.nn.BatchNorm2d(64).eval()  # as if this BatchNorm could not be folded
    assert not reorder._joinable(named["Mixed_5d"]) and reorder._joinable(named["Mixed_5c"])
    broken = reorder._forward_joined  # and a joined version that computes something else is not kept either
    monkeypatch.setattr(reorder, "_forward_joined", lambda b, x: [y * 2 for y in broken(b, x)] if b is named["Mixed_6b"] else broken(b, x))
    reorder.pool_after_conv(net)
    kinds = {n: named[n].__dict__["_forward"].__func__ for n in ("Mixed_5c", "Mixed_5d", "Mixed_6b")}
    assert kinds == {"Mixed_5c": reorder._forward_joined, "Mixed_5d": reorder._forward, "Mixed_6b": reorder._forward}


def test_weight_gradients_still_flow_when_asked_for(inception):
    """The joined weights are made from the convolutions' own: a loss on the block reaches their gradients."""
    twin = folded_twin(inception, ["Mixed_5c"])
    block = dict(twin.net.named_modules())["Mixed_5b"]
    first = block.branch3x3dbl_1.conv
    x = torch.rand(1, 192, 8, 8)
    before = first.weight.requires_grad
    first.weight.requires_grad_(True)
    try:
        (grad,) = torch.autograd.grad(block(x).square().sum(), [first.weight])
        (expected,) = torch.autograd.grad(torch.cat(reorder._forward(block, x), 1).square().sum(), [first.weight])
    finally:
        first.weight.requires_grad_(before)
    torch.testing.assert_close(grad, expected, rtol=1e-4, atol=1e-4 * expected.abs().max().item())
