"""Penalties on the rendered image (dreamlib/vis/regularisers.py)."""

import pytest
import torch

import dreamlib as dl
from dreamlib.vis import regularisers as R
from tests.helpers import two_edge_model


def checkerboard(n=16):
    y, x = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
    return ((x + y) % 2).float().expand(1, 3, n, n).clone()


# --- regularisers ----------------------------------------------------------------------------------------------


def test_regulariser_values():
    flat = torch.full((2, 3, 8, 8), 0.5)
    board = checkerboard(8)
    assert R.total_variation()(flat).tolist() == [0.0, 0.0]
    assert R.total_variation(2.0)(board).item() == pytest.approx(4.0)  # every neighbour differs by 1, in y and x
    assert R.blur()(flat).abs().max() < 1e-7 and R.blur()(board).item() > 0.1
    assert R.l1()(flat).tolist() == [0.0, 0.0] and R.l1()(board).item() == pytest.approx(0.5)
    assert R.near_photo(board)(board).item() == 0.0 and R.near_photo(board)(1 - board).item() == 1.0
    with pytest.raises(dl.DreamError, match="weight must be a number >= 0"):
        R.total_variation(-1)


def test_total_variation_penalty_smooths_a_render():
    net = two_edge_model()
    common = dict(size=32, steps=30, seed=0, progress=False, param="pixel", transforms=None)
    plain = dl.render(net, dl.channel("1", 0), **common)
    smooth = dl.render(net, dl.channel("1", 0), regularisers=[R.total_variation(3.0)], **common)
    assert R.total_variation()(smooth).item() < 0.7 * R.total_variation()(plain).item()
