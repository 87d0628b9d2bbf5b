"""Optical flow: Farnebäck's from OpenCV, RAFT from the weights cache and nowhere else (dreamlib/video/flow.py)."""

from __future__ import annotations

import hashlib
import io

import pytest
import torch

import dreamlib as dl
from dreamlib.video import flow as flow_module
from dreamlib.video.flow import optical_flow
from dreamlib.video.frames import read_frames, sample_clip

MARGIN = 16  # pixels near the frame's edges see content that enters or leaves: not counted


@pytest.fixture(scope="module")
def pan(tmp_path_factory):
    clip = sample_clip(tmp_path_factory.mktemp("clip") / "pan.mp4", frames=4, size=(160, 120), speed=3.0, tone=False)
    return list(read_frames(clip, (160, 120)))


def test_a_known_pan_is_measured_within_half_a_pixel(pan):
    forward = optical_flow(pan[1], pan[2])  # the window moves right by 3 px: the picture moves left by 3 px
    inside = forward[0, :, MARGIN:-MARGIN, MARGIN:-MARGIN]
    assert forward.shape == (1, 2, 120, 160)
    assert (inside[0] + 3).abs().mean() < 0.5 and inside[1].abs().mean() < 0.5
    backward = optical_flow(pan[2], pan[1])[0, :, MARGIN:-MARGIN, MARGIN:-MARGIN]
    assert (backward[0] - 3).abs().mean() < 0.5


def test_a_zoom_flows_outward(tmp_path):
    clip = sample_clip(tmp_path / "zoom.mp4", "zoom", frames=3, size=(160, 120), speed=4.0, tone=False)
    shots = list(read_frames(clip, (160, 120)))
    dx = optical_flow(shots[0], shots[1])[0, 0]
    assert dx[:, :50].mean() < -0.5 and dx[:, -50:].mean() > 0.5  # left half moves left, right half right


def test_raft_comes_from_the_weights_cache_and_says_what_to_place_when_it_is_not_there(pan, tmp_path, monkeypatch):
    from torchvision.models.optical_flow import Raft_Small_Weights, raft_small

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    flow_module._raft.cache_clear()
    with pytest.raises(dl.WeightsUnavailableError, match="RAFT weights for raft_small.*place that file at .*or use"):
        optical_flow(pan[0], pan[1], "raft")  # no network here, nothing cached: one clear error, no fallback
    torch.manual_seed(0)
    buffer = io.BytesIO()
    torch.save(raft_small(weights=None).state_dict(), buffer)  # random weights, seeded the way torch hub names files
    data = buffer.getvalue()
    name = f"raft_small_test-{hashlib.sha256(data).hexdigest()[:8]}.pth"
    url = "https://download.pytorch.org/models/" + name
    monkeypatch.setattr(type(Raft_Small_Weights.DEFAULT), "url", property(lambda self: url))
    cached = tmp_path / "hub" / "checkpoints" / name
    cached.parent.mkdir(parents=True)
    cached.write_bytes(data)
    flow_module._raft.cache_clear()
    try:
        estimate = optical_flow(pan[0][:100, :150], pan[1][:100, :150], "raft")  # sides not multiples of 8
    finally:
        flow_module._raft.cache_clear()
    assert estimate.shape == (1, 2, 100, 150) and torch.isfinite(estimate).all()


def test_an_unknown_method_names_the_valid_ones(pan):
    with pytest.raises(dl.DreamError, match="unknown flow method 'lucas'; use one of farneback, raft"):
        optical_flow(pan[0], pan[1], "lucas")
