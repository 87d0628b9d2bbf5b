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
