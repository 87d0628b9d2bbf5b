"""Warping along a flow, occlusion masks, and the flicker number (dreamlib/video/warp.py)."""

from __future__ import annotations

import torch

from dreamlib.video.warp import flicker, occlusion_mask, warp


def _image(h=24, w=32):
    return torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(0))


def test_no_flow_changes_nothing_and_a_whole_pixel_shift_is_a_roll():
    image = _image()
    assert torch.allclose(warp(image, torch.zeros(1, 2, 24, 32)), image, atol=1e-5)
    flow = torch.zeros(1, 2, 24, 32)
    flow[:, 0] = 3  # look 3 px to the right: the picture moves 3 px left
    shifted = warp(image, flow)
    assert torch.allclose(shifted[..., :-3], image[..., 3:], atol=1e-5)
    assert torch.allclose(shifted[..., -3:], image[..., -1:].expand(-1, -1, -1, 3), atol=1e-5)  # the border, repeated


def test_a_half_pixel_shift_interpolates():
    image = _image()
    flow = torch.zeros(1, 2, 24, 32)
    flow[:, 1] = 0.5
    assert torch.allclose(warp(image, flow)[..., :-1, :], (image[..., :-1, :] + image[..., 1:, :]) / 2, atol=1e-5)


def test_what_enters_the_frame_cannot_be_followed_back():
    backward = torch.zeros(1, 2, 24, 32)
    backward[:, 0] = 3  # a pan to the right: each pixel was 3 px further right in the frame before
    forward = -backward
    mask = occlusion_mask(backward, forward)
    assert mask[..., :-3].eq(1).all() and mask[..., -3:].eq(0).all()  # the last 3 columns are new
    edge = torch.zeros(1, 2, 24, 32)
    edge[:, 1] = -0.02  # a flow estimate a hair off, pointing up: the top row is still in the frame before
    assert occlusion_mask(edge, -edge).eq(1).all()
    wrong = occlusion_mask(backward, torch.zeros_like(forward))  # the flows disagree: nothing can be followed
    assert wrong.eq(0).all()


def test_flicker_is_zero_for_a_picture_carried_along_its_flow_and_grows_with_noise():
    image = _image()
    backward = torch.zeros(1, 2, 24, 32)
    backward[:, 0] = 2
    moved = warp(image, backward)
    mask = occlusion_mask(backward, -backward)
    assert flicker([image, moved], [backward], [mask]) < 1e-6
    noisy = (moved + 0.1 * torch.randn(moved.shape, generator=torch.Generator().manual_seed(1))).clamp(0, 1)
    assert 0.05 < flicker([image, noisy], [backward], [mask]) < 0.1
