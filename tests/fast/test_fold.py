"""BatchNorm folded into the convolution that feeds it (dreamlib/fast/fold.py): the same activations and input
gradients, and pairs found by watching a forward pass, not by class names."""

from __future__ import annotations

import copy
import warnings

import pytest
import torch
from torch import nn

import dreamlib
from dreamlib.ascent import image_gradient
from dreamlib.fast.fold import conv_bn_pairs, fold_batchnorm, folded_copy
from dreamlib.hooks import capture_activations
from tests.helpers import count_bn, random_bn_stats


@pytest.mark.parametrize("name, layer", [("inception_v3", "Mixed_6c"), ("resnet50", "layer2")])
def test_folded_model_gives_the_same_gradient_and_activations(name, layer):
    # In float64: a random-weight network is chaotic enough that float32 rounding alone flips ReLUs here and there,
    # which is not what this test is about (test_fast.py compares float32 dreams).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dreamlib.DreamWarning)
        model = dreamlib.load_model(name, weights="random", device="cpu").double()
    random_bn_stats(model)
    folded = fold_batchnorm(copy.deepcopy(model))
    assert count_bn(model) > 0 and count_bn(folded) == 0
    x = torch.rand(1, 3, 160, 160, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    objective = dreamlib.layer_mean(layer)
    g0, s0 = image_gradient(model, x, objective)
    g1, s1 = image_gradient(folded, x, objective)
    torch.testing.assert_close(s1, s0, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(g1, g0, rtol=1e-7, atol=1e-9 * g0.abs().max().item())
    bn_layer = next(n for n, m in model.net.named_modules() if isinstance(m, nn.BatchNorm2d))
    with torch.no_grad(), capture_activations(model, bn_layer) as a0, capture_activations(folded, bn_layer) as a1:
        model(x), folded(x)
    torch.testing.assert_close(a1[bn_layer], a0[bn_layer], rtol=1e-9, atol=1e-9)  # the old BN name still answers


def test_folding_a_sequential_and_refusing_training_mode():
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 2, 1), nn.BatchNorm2d(2)
    )
    random_bn_stats(net)
    x = torch.rand(2, 3, 12, 12)
    with pytest.raises(dreamlib.DreamError, match="eval mode"):
        fold_batchnorm(net.train())
    net.eval()
    expected = net(x)
    folded = fold_batchnorm(copy.deepcopy(net))
    assert [type(m).__name__ for m in folded.net] == ["Conv2d", "Identity", "ReLU", "Conv2d", "Identity"]
    torch.testing.assert_close(folded(x), expected, rtol=1e-5, atol=1e-5)


class Tangle(nn.Module):
    """Names and order that say nothing: ``b`` feeds ``a`` (a foldable pair written backwards), ``c``'s output also
    feeds a shortcut (folding would change it), ``d``'s output is changed in place before its BatchNorm."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.BatchNorm2d(4), nn.Conv2d(3, 4, 3, padding=1)
        self.c, self.c_bn = nn.Conv2d(4, 4, 1), nn.BatchNorm2d(4)
        self.d, self.d_bn = nn.Conv2d(4, 4, 1), nn.BatchNorm2d(4)

    def forward(self, x):
        x = torch.relu(self.a(self.b(x)))
        y = self.c(x)
        x = torch.relu(self.c_bn(y)) + y
        z = self.d(x)
        z += 1
        return self.d_bn(z)


def test_pairs_come_from_the_forward_pass_not_from_names_or_order():
    net = Tangle().eval()
    random_bn_stats(net)
    model = dreamlib.as_dream_model(net)
    x = torch.rand(2, 3, 10, 10)
    assert conv_bn_pairs(model, x, ["output"]) == [("b", "a")]
    expected = net(x)
    folded = fold_batchnorm(copy.deepcopy(net), trial=x)
    assert isinstance(folded.net.a, nn.Identity) and isinstance(folded.net.c_bn, nn.BatchNorm2d)
    assert isinstance(folded.net.d_bn, nn.BatchNorm2d)
    torch.testing.assert_close(folded(x), expected, rtol=1e-5, atol=1e-5)


def test_a_targeted_or_unused_convolution_is_not_folded():
    model = dreamlib.load_model("shapes")
    x = torch.zeros(1, 3, 48, 48)
    assert conv_bn_pairs(model, x, ["conv2"]) == [("conv1.0", "conv1.1"), ("conv2.0", "conv2.1")]  # conv3-5 never run
    assert ("conv2.0", "conv2.1") not in conv_bn_pairs(model, x, ["conv2.0", "conv3"])  # its own output is read
    unpadded = dreamlib.as_dream_model(nn.Sequential(nn.Conv2d(3, 4, 5), nn.BatchNorm2d(4)).eval())
    assert conv_bn_pairs(unpadded, torch.zeros(1, 3, 8, 8), ["1"]) == [("0", "1")]
    assert conv_bn_pairs(unpadded, torch.zeros(1, 3, 2, 2), ["1"]) == []  # a failing trial pass folds nothing


def test_the_copy_shares_every_tensor_but_the_folded_convolutions():
    model = dreamlib.load_model("shapes")
    random_bn_stats(model)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    net, sources = folded_copy(model, torch.zeros(1, 3, 48, 48), ["conv5"])
    assert {t.data_ptr() for t in sources} == {
        t.data_ptr()
        for i in range(1, 6)
        for m in (0, 1)
        for t in model.net.get_submodule(f"conv{i}.{m}").state_dict().values()
        if t.is_floating_point()
    }
    assert count_bn(model) == 5 and count_bn(net) == 0
    after = model.state_dict()
    assert after.keys() == before.keys() and all(torch.equal(after[k], before[k]) for k in before)
    mine = {t.data_ptr() for t in (*model.parameters(), *model.buffers())}
    new = [n for n, t in net.named_parameters() if t.data_ptr() not in mine]
    assert sorted(new) == sorted(f"conv{i}.0.{w}" for i in range(1, 6) for w in ("weight", "bias"))
    assert all(
        net.get_submodule(f"conv{i}.0").weight.is_contiguous(memory_format=torch.channels_last) for i in range(1, 6)
    )
    plain = dreamlib.as_dream_model(nn.Sequential(nn.Conv2d(3, 4, 3)))
    assert folded_copy(plain, torch.zeros(1, 3, 8, 8), ["0"]) == (None, [])  # nothing to fold


class Shared(nn.Module):
    """Modules used twice, and a layer that is a convolution's output under another name: none of it folds."""

    def __init__(self) -> None:
        super().__init__()
        self.pre, self.conv, self.bn = nn.Conv2d(3, 4, 1), nn.Conv2d(4, 4, 3, padding=1), nn.BatchNorm2d(4)
        self.block, self.block_bn = nn.Sequential(nn.Conv2d(4, 4, 1)), nn.BatchNorm2d(4)
        self.out = nn.Identity()

    def forward(self, x):
        y = self.bn(self.conv(self.pre(x)))  # conv runs again below, bn after a pool: each used twice
        y = self.conv(torch.relu(y)) + self.bn(nn.functional.avg_pool2d(y, 1))
        return self.out(self.block_bn(self.block(y)))  # "block" is read by an objective: its output must stay


class Standardised(nn.Conv2d):
    """A convolution with a forward of its own (weight standardisation): folding its weights would be wrong."""

    def forward(self, x):
        w = (self.weight - self.weight.mean((1, 2, 3), keepdim=True)) / (
            self.weight.std((1, 2, 3), keepdim=True) + 1e-5
        )
        return self._conv_forward(x, w, self.bias)


def test_modules_used_twice_read_by_an_objective_or_with_a_forward_of_their_own_are_left_alone():
    net = Shared().eval()
    random_bn_stats(net)
    model, x = dreamlib.as_dream_model(net), torch.rand(1, 3, 12, 12)
    assert conv_bn_pairs(model, x, ["block", "out"]) == []
    assert conv_bn_pairs(model, x, ["out"]) == [("block.0", "block_bn")]  # unread, used once: this one folds
    odd = nn.Sequential(Standardised(3, 4, 3), nn.BatchNorm2d(4), nn.Conv2d(4, 4, 3), nn.BatchNorm2d(4)).eval()
    random_bn_stats(odd)
    assert conv_bn_pairs(dreamlib.as_dream_model(odd), x, ["output"]) == [("2", "3")]
    spectral = nn.Sequential(nn.utils.parametrizations.spectral_norm(nn.Conv2d(3, 4, 3)), nn.BatchNorm2d(4)).eval()
    assert conv_bn_pairs(dreamlib.as_dream_model(spectral), x, ["output"]) == []
