"""Lucid's redirected ReLU gradient (dreamlib/vis/relu.py, lesson 18): no blank visualisations."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import dreamlib as dl
from dreamlib.vis.relu import RedirectedReLU, redirected_relus


def _grad(fn, x: torch.Tensor, upstream: torch.Tensor) -> torch.Tensor:
    x = x.clone().requires_grad_()
    (g,) = torch.autograd.grad(fn(x), x, upstream)
    return g


def test_forward_is_relu_and_a_live_image_keeps_the_plain_gradient():
    x = torch.tensor([[-1.0, 2.0, -3.0, 4.0]])
    upstream = torch.tensor([[1.0, -1.0, -1.0, 1.0]])
    assert torch.equal(RedirectedReLU.apply(x), F.relu(x))
    assert torch.equal(_grad(RedirectedReLU.apply, x, upstream), _grad(F.relu, x, upstream))


def test_a_dead_image_gets_the_gradient_that_raises_its_inputs_and_only_that_one():
    # row 0: nothing passes the ReLU; row 1: something does, so it keeps the plain gradient
    x = torch.tensor([[-1.0, -2.0, -3.0], [-1.0, 2.0, -3.0]])
    upstream = torch.tensor([[-1.0, 1.0, -0.5], [-1.0, 1.0, -0.5]])  # a loss gradient: < 0 raises the input
    g = _grad(RedirectedReLU.apply, x, upstream)
    assert g[0].tolist() == [-1.0, 0.0, -0.5]  # the push down (grad > 0 at x < 0) is dropped
    assert g[1].tolist() == [0.0, 1.0, 0.0]  # plain ReLU gradient
    assert _grad(F.relu, x, upstream)[0].abs().sum() == 0  # without the redirect: nothing


def test_a_tensor_without_a_batch_axis_counts_as_one_image():
    upstream = torch.tensor([-1.0, 1.0])
    assert _grad(RedirectedReLU.apply, torch.tensor([-1.0, -2.0]), upstream).tolist() == [-1.0, 0.0]
    assert _grad(RedirectedReLU.apply, torch.tensor([1.0, -2.0]), upstream).tolist() == [-1.0, 0.0]
    assert _grad(RedirectedReLU.apply, torch.tensor(-1.0), torch.tensor(-1.0)).item() == -1.0


def test_the_context_catches_every_relu_and_leaves_nothing_behind():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.act = nn.ReLU(inplace=True)

        def forward(self, x):  # four ways to call a ReLU, each on a fresh tensor
            h = F.relu(self.act(x - 5) - 1, inplace=True)
            return (torch.relu(h - 1) - 1).relu()

    net = Net()
    x = torch.full((2, 3), 1.0)  # every ReLU input is negative: the plain gradient is zero
    before = _grad(net, x, torch.ones(2, 3))
    with redirected_relus():
        inside = _grad(net, x, -torch.ones(2, 3))
    after = _grad(net, x, -torch.ones(2, 3))
    assert before.abs().sum() == 0 and after.abs().sum() == 0
    assert inside.abs().sum() > 0
    assert not net._forward_hooks and not net.act._forward_hooks and not net.act._forward_pre_hooks


@pytest.fixture(scope="module")
def shapes():
    return dl.load_model("shapes")


@pytest.mark.parametrize("unit", [10, 21])
def test_a_unit_silent_at_the_start_gets_a_visualisation_that_excites_it(shapes, unit):
    """conv5 units 10 and 21 of the shipped model output 0 on the starting noise: plain renders stay flat grey."""
    natural, _ = dl.shapes.make_batch(512, torch.Generator().manual_seed(0))
    settings = dict(size=48, steps=32, seed=0, progress=False)
    plain = dl.render(shapes, dl.channel("conv5", unit), redirect_relu=0, **settings)
    fixed = dl.render(shapes, dl.channel("conv5", unit), **settings)
    with torch.no_grad():
        on_data = dl.forward_until(shapes, natural, ["conv5"])["conv5"][:, unit].mean()
        on_render = dl.forward_until(shapes, fixed, ["conv5"])["conv5"][0, unit].mean()
    assert plain.std() < 0.01  # the blank visualisation the redirect exists for
    assert fixed.std() > 0.05 and on_render > on_data


def test_redirect_relu_is_checked(shapes):
    with pytest.raises(dl.DreamError, match="redirect relu must be a whole number >= 0"):
        dl.render(shapes, "conv5", size=48, steps=1, progress=False, redirect_relu=-1)
