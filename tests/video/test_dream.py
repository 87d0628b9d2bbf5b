"""dream_video: dreams carried along the flow, steadier than frame by frame; resumable; nothing partial
(dreamlib/video/dream.py)."""

from __future__ import annotations

import numpy as np
import pytest

import dreamlib as dl
from dreamlib.video import dream as video_dream
from dreamlib.video.frames import read_frames, sample_clip, video_info

SMALL = dict(layer="conv4", steps=2, first_steps=6, octaves=1, progress=False)


@pytest.fixture(scope="module")
def shapes():
    return dl.load_model("shapes")


@pytest.fixture(scope="module")
def pan(tmp_path_factory):
    return sample_clip(tmp_path_factory.mktemp("clip") / "pan.mp4", frames=12, fps=10, size=(96, 72), speed=3.0)


def test_a_dreamed_video_keeps_frames_rate_size_and_sound_and_flickers_less_than_frame_by_frame(
    shapes, pan, tmp_path, run_as
):
    shapes = run_as(shapes)
    carried = dl.dream_video(shapes, pan, tmp_path / "carried.mp4", "conv4", progress=False)  # the default recipe
    alone = dl.dream_video(shapes, pan, tmp_path / "alone.mp4", "conv4", flow=None, progress=False)
    for report in (carried, alone):
        assert video_info(report.path) == video_info(pan)  # 12 frames, 10 fps, 96x72, with its sound
        assert report.audio and report.frames == 12 and report.resumed == 0
    assert carried.flicker <= alone.flicker / 2  # at least twice as steady
    assert carried.source_flicker == pytest.approx(alone.source_flicker) and carried.source_flicker < carried.flicker
    dreamed = np.stack(list(read_frames(carried.path, (96, 72)))).astype(float)
    undreamed = np.stack(list(read_frames(pan, (96, 72)))).astype(float)
    assert np.abs(dreamed - undreamed).mean() > 5  # it dreamed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alone.mp4", "carried.mp4"]  # work folders removed


def test_a_stopped_run_picks_up_where_it_stopped_and_makes_the_same_video(shapes, pan, tmp_path, monkeypatch):
    whole = dl.dream_video(shapes, pan, tmp_path / "whole.mp4", keep_frames=True, **SMALL)
    real, calls = video_dream.dream, []

    def stops_at_the_sixth(*args, **kwargs):
        calls.append(1)
        if len(calls) == 6:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(video_dream, "dream", stops_at_the_sixth)
    out = tmp_path / "resumed.mp4"
    with pytest.raises(KeyboardInterrupt):
        dl.dream_video(shapes, pan, out, keep_frames=True, **SMALL)
    folder = video_dream.work_folder(out)
    assert not out.exists() and sorted(p.name for p in folder.iterdir()) == [
        "000000.png",
        "000001.png",
        "000002.png",
        "000003.png",
        "000004.png",
        "settings.json",
    ]  # no half frame
    monkeypatch.setattr(video_dream, "dream", real)
    report = dl.dream_video(shapes, pan, out, keep_frames=True, **SMALL)
    assert report.resumed == 5 and report.frames == 12
    for t in range(12):
        name = f"{t:06d}.png"
        assert np.array_equal(
            np.asarray(dl.video.frames.Image.open(folder / name)),
            np.asarray(dl.video.frames.Image.open(video_dream.work_folder(whole.path) / name)),
        ), t
    assert report.flicker == pytest.approx(whole.flicker)
    other = dl.dream_video(shapes, pan, out, **{**SMALL, "steps": 3})  # other settings: the old frames are not reused
    assert other.resumed == 0 and not folder.exists()


@pytest.mark.parametrize(
    "out, changes, says",
    [
        ("same", {}, "is the input video; choose another name"),
        ("o.avi", {}, "cannot write a video as 'o.avi': use a .mp4 or .gif file name"),
        ("o.mp4", {"fps": 0}, "fps must be a finite number > 0, got 0"),
        ("o.mp4", {"blend": 1.5}, r"blend must be a number in \[0, 1\], got 1.5"),
        ("o.mp4", {"flow": "lucas"}, "unknown flow 'lucas'; use one of farneback, raft, or None"),
        ("o.mp4", {"layer": "conv9"}, "unknown layer 'conv9' for shapes"),
        ("o.mp4", {"max_frames": 0}, "max frames must be a whole number >= 1"),
    ],
)
def test_mistakes_are_one_line_before_any_work(shapes, pan, tmp_path, out, changes, says):
    target = pan if out == "same" else tmp_path / out
    with pytest.raises(dl.DreamError, match=says):
        dl.dream_video(shapes, pan, target, **{**SMALL, **changes})
    assert list(tmp_path.iterdir()) == []


def test_a_work_folder_that_is_not_ours_is_left_alone(shapes, pan, tmp_path):
    mine = tmp_path / "out.mp4.frames"
    mine.mkdir()
    (mine / "holiday.jpg").write_bytes(b"precious")
    with pytest.raises(dl.DreamError, match="is not a work folder of dreamlib's"):
        dl.dream_video(shapes, pan, tmp_path / "out.mp4", **SMALL)
    assert (mine / "holiday.jpg").read_bytes() == b"precious"
