"""The start every lesson function shares (dreamlib/prepare.py): model, objective, checks, what to step on."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import dreamlib
from dreamlib.fast import FastModel
from dreamlib.prepare import prepare, probe_model


def _tiny() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 4, 3)).eval()


def test_a_model_as_built_is_stepped_on_as_built():
    net = _tiny()
    model, stepped, objective = prepare(net, "2", torch.zeros(1, 3, 16, 16))
    assert isinstance(model, dreamlib.DreamModel) and model.net is net
    assert stepped is model  # the lessons' code: nothing swapped in
    assert list(objective.layers) == ["2"]


def test_the_default_objective_is_the_models_default_layer():
    model = dreamlib.DreamModel(_tiny(), default_layer="2")
    assert prepare(model, None, torch.zeros(1, 3, 16, 16)).objective.layers == ("2",)


def test_a_faster_model_is_stepped_on_its_folded_twin():
    fast = dreamlib.faster(_tiny(), "fp32")
    model, stepped, _ = prepare(fast, "2", torch.zeros(1, 3, 16, 16))
    assert model is fast and isinstance(stepped, FastModel) and stepped is not fast
    assert isinstance(stepped.net[1], nn.Identity)  # the BatchNorm went into the convolution before it
    x = torch.rand(2, 3, 16, 16)
    acts = dreamlib.forward_until(stepped, x, "2")["2"]
    torch.testing.assert_close(acts, dreamlib.forward_until(fast, x, "2")["2"], rtol=0, atol=1e-5)


def test_mistakes_fail_before_any_work_in_one_line():
    with pytest.raises(dreamlib.DreamError, match="unknown layer 'nope'"):
        prepare(_tiny(), "nope", torch.zeros(1, 3, 16, 16))
    with pytest.raises(dreamlib.DreamError, match="unknown layer 'nope'"):
        prepare(_tiny(), "2", torch.zeros(1, 3, 16, 16), also=["nope"])
    with pytest.raises(dreamlib.DreamError, match="channel 9 is out of range"):
        prepare(_tiny(), dreamlib.channel("2", 9), torch.zeros(1, 3, 16, 16))


def test_check_false_skips_the_trial_pass():
    calls = []
    net = _tiny()
    net[0].register_forward_hook(lambda *a: calls.append(1))
    prepare(net, "2", torch.zeros(1, 3, 16, 16), check=False)
    assert calls == []
    prepare(net, "2", torch.zeros(1, 3, 16, 16))
    assert calls == [1]


def test_a_fixed_size_network_is_named_with_the_size_it_takes():
    net = nn.Sequential(nn.Conv2d(3, 2, 3, padding=1), nn.Flatten(), nn.Linear(2 * 32 * 32, 5))
    model = dreamlib.DreamModel(net, layers=["2"])
    with pytest.raises(dreamlib.DreamError, match="fails on a 20x20 image but works at 32x32"):
        probe_model(model, torch.zeros(1, 3, 20, 20), dreamlib.layer_mean("2"))


class _Checks(nn.Module):
    """A network that asserts its input size (as torchvision's fixed-size models do) and cannot be windowed."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        assert x.shape[-2:] == (64, 64), f"Wrong image size! Expected 64 but got {x.shape[-1]}!"
        return self.conv(x)


def test_a_network_that_checks_its_input_size_is_named_with_the_size_it_takes():
    """A raw ``AssertionError`` from inside a fixed-size network is one line naming the size it takes."""
    model = dreamlib.DreamModel(_Checks(), layers=["conv"])
    with pytest.raises(dreamlib.DreamError, match="fails on a 130x100 image but works at 64x64"):
        dreamlib.dream(model, torch.rand(1, 3, 100, 130), "conv", octaves=1, progress=False)
