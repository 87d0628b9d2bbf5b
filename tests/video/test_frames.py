"""Video files in and out, sound kept, and what is not a video refused in one line (dreamlib/video/frames.py)."""

from __future__ import annotations

import subprocess

import imageio_ffmpeg
import numpy as np
import pytest

import dreamlib as dl
from dreamlib.video import frames
from dreamlib.video.frames import read_frames, sample_clip, video_info, working_size, write_video


def test_a_sample_clip_has_its_frames_rate_size_and_sound(tmp_path):
    clip = sample_clip(tmp_path / "pan.mp4", frames=10, fps=8, size=(64, 48))
    assert video_info(clip) == frames.VideoInfo(fps=8.0, size=(64, 48), frames=10, audio=True)
    shots = list(read_frames(clip, (32, 24)))
    assert len(shots) == 10 and shots[0].shape == (24, 32, 3) and shots[0].dtype == np.uint8
    assert len(list(read_frames(clip, (64, 48), max_frames=4))) == 4
    silent = sample_clip(tmp_path / "zoom.mp4", "zoom", frames=6, tone=False, size=(64, 48))
    assert not video_info(silent).audio


def test_written_videos_keep_their_frames_and_the_sound_they_are_given(tmp_path):
    clip = sample_clip(tmp_path / "pan.mp4", frames=8, fps=10, size=(64, 48))
    shots = list(read_frames(clip, (64, 48)))
    out = write_video(iter(shots), tmp_path / "copy.mp4", 10, (64, 48), audio_from=clip)
    assert video_info(out) == video_info(clip)
    again = list(read_frames(out, (64, 48)))
    assert np.abs(np.stack(again).astype(int) - np.stack(shots)).mean() < 6  # H.264 is lossy, a little
    gif = write_video(iter(shots), tmp_path / "copy.gif", 10, (64, 48))
    assert video_info(gif).frames == 8 and not video_info(gif).audio
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.gif", "copy.mp4", "pan.mp4"]  # no temporary files


def test_what_is_not_a_video_is_one_line(tmp_path):
    (tmp_path / "text.mp4").write_text("not a video")
    with pytest.raises(dl.DreamError, match=r"text.mp4 is not a video dreamlib can read \(") as caught:
        video_info(tmp_path / "text.mp4")
    assert "\n" not in str(caught.value)
    with pytest.raises(dl.DreamError, match="no such video file"):
        video_info(tmp_path / "missing.mp4")
    silent = sample_clip(tmp_path / "s.mp4", frames=4, size=(32, 24))
    sound_only = tmp_path / "sound.mp4"
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-y",
            "-loglevel",
            "error",
            "-i",
            str(silent),
            "-vn",
            "-c:a",
            "copy",
            str(sound_only),
        ],
        check=True,
    )
    with pytest.raises(dl.DreamError, match="sound.mp4 holds no video frames"):
        video_info(sound_only)
    with pytest.raises(dl.DreamError, match="no frames to write"):
        write_video([], tmp_path / "empty.mp4", 10, (32, 24))
    assert not (tmp_path / "empty.mp4").exists()


def test_a_video_far_too_large_is_refused_before_any_work(tmp_path, monkeypatch):
    clip = sample_clip(tmp_path / "pan.mp4", frames=6, size=(64, 48), tone=False)
    info = video_info(clip)
    monkeypatch.setattr(frames, "MAX_SIDE", 32)
    with pytest.raises(dl.DreamError, match="frames are 64x48, over 32 px: ask for a smaller size"):
        frames.check_video(info, clip, None, None)
    frames.check_video(info, clip, 32, None)  # dreamed smaller: fine
    monkeypatch.setattr(frames, "MAX_FRAMES", 5)
    with pytest.raises(dl.DreamError, match="has 6 frames, over 5: dream a part of it with max_frames"):
        frames.check_video(info, clip, 32, None)
    frames.check_video(info, clip, 32, 5)


def test_working_sizes_are_even():
    assert working_size((641, 361), None) == (640, 360)
    assert working_size((640, 360), 320) == (320, 180)
    assert working_size((100, 51), 33) == (32, 16)
