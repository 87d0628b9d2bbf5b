"""Decorrelated colour (dreamlib/vis/colour.py, lesson 12): the square root of a colour covariance."""

import pytest
import torch

import dreamlib as dl
from dreamlib.vis import colour as P


def test_colour_matrix_is_the_square_root_of_the_covariance():
    g = torch.Generator().manual_seed(0)
    mix = torch.tensor([[1.0, 0.0, 0.0], [0.8, 0.3, 0.0], [0.5, 0.2, 0.1]])
    images = torch.einsum("ij,bjhw->bihw", mix, torch.randn(8, 3, 16, 16, generator=g))
    m = P.estimate_colour_matrix(images)
    pixels = images.permute(0, 2, 3, 1).reshape(-1, 3)
    assert torch.allclose(m @ m.T, torch.cov(pixels.T, correction=0), atol=1e-4)
    shapes_m = P.colour_matrix(dl.load_model("shapes"))
    imagenet_m = P.colour_matrix(None)
    assert shapes_m.norm(dim=0).max().item() == pytest.approx(1.0)
    assert imagenet_m.norm(dim=0).max().item() == pytest.approx(1.0)
    # ImageNet colours are strongly correlated (first column ~ grey); the shapes data's random colours are not
    assert (imagenet_m[:, 0] / imagenet_m[:, 0].norm()).min() > 0.55
    assert not torch.allclose(shapes_m, imagenet_m, atol=0.1)


def test_to_rgb_maps_each_pixel_by_the_matrix_and_none_leaves_it():
    raw = torch.rand(2, 3, 4, 5, generator=torch.Generator().manual_seed(1))
    matrix = P.colour_matrix(None)
    mapped = P.to_rgb(raw, matrix)
    assert torch.allclose(mapped[0, :, 1, 2], matrix @ raw[0, :, 1, 2], atol=1e-6)
    assert P.to_rgb(raw, None) is raw
    assert dl.param.colour_matrix is P.colour_matrix  # lesson 12's name for it still works
    with pytest.raises(dl.DreamError, match=r"needs a \(N, 3, H, W\) batch"):
        P.estimate_colour_matrix(torch.zeros(3, 4, 4))
