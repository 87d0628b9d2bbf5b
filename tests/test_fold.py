"""BatchNorm folded into convolutions: the same activations and input gradients, fewer operations."""

from __future__ import annotations

import copy
import warnings

import pytest
import torch
from torch import nn

import dreamlib
from dreamlib.ascent import image_gradient
from dreamlib.fold import fold_batchnorm
from dreamlib.hooks import capture_activations


def _random_bn_stats(model: nn.Module) -> None:
    """Give every BatchNorm non-trivial statistics, so folding has something to get wrong."""
    g = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.2)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(n, generator=g) * 0.1)


@pytest.mark.parametrize("name, layer", [("inception_v3", "Mixed_6c"), ("resnet50", "layer2")])
def test_folded_model_gives_the_same_gradient_and_activations(name, layer):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dreamlib.DreamWarning)
        model = dreamlib.load_model(name, weights="random", device="cpu")
    _random_bn_stats(model)
    folded = fold_batchnorm(copy.deepcopy(model))
    bns = lambda m: sum(isinstance(x, nn.BatchNorm2d) for x in m.modules())  # noqa: E731
    assert bns(model) > 0 and bns(folded) == 0
    torch.manual_seed(0)
    x = torch.rand(1, 3, 160, 160)
    objective = dreamlib.layer_mean(layer)
    g0, s0 = image_gradient(model, x, objective)
    g1, s1 = image_gradient(folded, x, objective)
    torch.testing.assert_close(s1, s0, rtol=1e-4, atol=1e-6)
    cos = torch.nn.functional.cosine_similarity(g0.flatten().double(), g1.flatten().double(), dim=0)
    assert cos > 0.9999
    torch.testing.assert_close(g1, g0, rtol=1e-3, atol=1e-3 * g0.abs().max().item())
    bn_layer = next(n for n, m in model.net.named_modules() if isinstance(m, nn.BatchNorm2d))
    with torch.no_grad(), capture_activations(model, bn_layer) as a0, capture_activations(folded, bn_layer) as a1:
        model(x), folded(x)
    torch.testing.assert_close(a1[bn_layer], a0[bn_layer], rtol=1e-4, atol=1e-4)  # the old BN name still answers


def test_folding_a_sequential_and_refusing_training_mode():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 2, 1), nn.BatchNorm2d(2))
    _random_bn_stats(net)
    x = torch.rand(2, 3, 12, 12)
    with pytest.raises(dreamlib.DreamError, match="eval mode"):
        fold_batchnorm(net.train())
    net.eval()
    expected = net(x)
    folded = fold_batchnorm(copy.deepcopy(net))
    assert [type(m).__name__ for m in folded.net] == ["Conv2d", "Identity", "ReLU", "Conv2d", "Identity"]
    torch.testing.assert_close(folded(x), expected, rtol=1e-5, atol=1e-5)
