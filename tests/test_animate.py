"""Zoom animations (dreamlib/animate.py, lesson 06)."""

import shutil
import sys

import pytest
import torch
from PIL import Image

import dreamlib
from dreamlib import save_animation, zoom, zoom_in


def test_zoom_in_keeps_size_and_magnifies_the_centre():
    img = torch.zeros(1, 3, 40, 40)
    img[..., 18:22, 18:22] = 1.0
    z = zoom_in(img, 2.0)
    assert z.shape == img.shape and z.sum() > 3 * img.sum()


def test_zoom_frames_feed_each_other(tiny, image, tmp_path, run_as):
    frames = zoom(run_as(tiny), image, frames=3, zoom=1.1, layer="2", steps=2, progress=False)
    assert len(frames) == 3 and all(f.shape == image.shape for f in frames)
    assert not torch.equal(frames[0], frames[1])
    gif = save_animation(frames, tmp_path / "zoom.gif", fps=5)
    with Image.open(gif) as im:
        assert im.n_frames == 3 and im.size == (64, 48)
    with pytest.raises(dreamlib.DreamError, match=r"\.gif or \.mp4"):
        save_animation(frames, tmp_path / "zoom.avi")
    with pytest.raises(dreamlib.DreamError, match="frames must be"):
        zoom(tiny, image, frames=0)
    with pytest.raises(dreamlib.DreamError, match="zoom must be a number >= 1"):
        zoom(tiny, image, frames=2, zoom=0.5)


def test_mp4_needs_ffmpeg(tiny, image, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # neither imageio-ffmpeg ...
    monkeypatch.setattr(shutil, "which", lambda name: None)  # ... nor a system ffmpeg
    with pytest.raises(dreamlib.DreamError, match="needs ffmpeg: pip install imageio-ffmpeg"):
        save_animation([image], tmp_path / "z.mp4")
    assert not (tmp_path / "z.mp4").exists()


def test_mp4_through_imageio_ffmpeg(image, tmp_path):
    """imageio-ffmpeg is a dependency, so MP4 works everywhere pip works (CI included): 3 frames, even size."""
    import imageio_ffmpeg

    odd = image[..., :47, :63]  # H.264 needs even sides: the encoder crops to 62x46
    out = save_animation([odd, odd.flip(-1), odd], tmp_path / "z.mp4", fps=3)
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(out))
    assert frames == 3 and abs(seconds - 1.0) < 0.01
    reader = imageio_ffmpeg.read_frames(str(out))
    assert next(reader)["size"] == (62, 46)
    reader.close()
