"""Random transforms before every render step (dreamlib/vis/transforms.py)."""

import pytest
import torch

import dreamlib as dl
from dreamlib.vis import transforms as T
from tests.helpers import edge_energy

# --- transforms ------------------------------------------------------------------------------------------------


def test_transforms_change_sizes_as_documented():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 32, 32)
    assert T.pad(4)(x, g).shape == (2, 3, 40, 40) and T.pad(4)(x, g)[..., 0, 0].eq(0.5).all()
    shifted = T.jitter(6)(x, g)
    assert shifted.shape == (2, 3, 26, 26)
    offsets = [
        (dy, dx) for dy in range(7) for dx in range(7) if torch.equal(x[..., dy : dy + 26, dx : dx + 26], shifted)
    ]
    assert len(offsets) == 1  # a crop of the input, somewhere
    assert T.random_scale([0.5])(x, g).shape == (2, 3, 16, 16)
    assert torch.allclose(T.random_rotate([0])(x, g), x, atol=1e-5)
    assert T.standard()(x, g).shape[-1] in range(39, 50)  # (32 + 24 - 8) scaled by 0.9-1.1, - 4
    assert torch.equal(T.as_transform(None)(x, g), x)
    with pytest.raises(dl.DreamError, match="transforms must be 'auto', 'standard', 'maco', 'none'"):
        T.as_transform("shake")


def test_rotation_turns_vertical_stripes_horizontal():
    stripes = (torch.arange(32) // 4 % 2).float().view(1, 1, 1, 32).expand(1, 3, 32, 32)
    turned = T.random_rotate([90])(stripes, torch.Generator())
    v, h = edge_energy(turned[..., 8:24, 8:24])
    v0, h0 = edge_energy(stripes[..., 8:24, 8:24])
    assert v0 > 0 and h0 == 0 and h > 0.9 * v0 and v < 0.05 * h
