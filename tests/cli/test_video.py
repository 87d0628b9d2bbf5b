"""The video command (dreamlib/cli/video.py): a panning clip with sound in, a steadier dreamed clip with sound out."""

from __future__ import annotations

import re

import pytest

from dreamlib.video import frames
from dreamlib.video.frames import sample_clip, video_info
from tests.helpers import run_cli


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return sample_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", frames=12, fps=10, size=(96, 72), speed=3.0)


def _flicker(err: str) -> float:
    return float(re.search(r"flicker (\d\.\d+)", err).group(1))


def test_a_clip_with_sound_comes_out_dreamed_with_sound_and_steadier_than_frame_by_frame(capsys, clip, tmp_path):
    out, alone = tmp_path / "out.mp4", tmp_path / "alone.mp4"
    code, stdout, err = run_cli(capsys, "video", clip, "-o", out, "--model", "shapes", "-q")
    assert code == 0 and stdout.strip() == str(out), err
    assert "12 frames, 96x72 at 10 fps, with sound; flicker" in err
    assert video_info(out) == video_info(clip)
    code, _, err_alone = run_cli(capsys, "video", clip, "-o", alone, "--model", "shapes", "--no-flow", "-q")
    assert code == 0 and _flicker(err) <= _flicker(err_alone) / 2
    code, _, err = run_cli(
        capsys,
        "video",
        clip,
        "-o",
        tmp_path / "short.gif",
        "--model",
        "shapes",
        "--max-frames",
        "3",
        "--size",
        "48",
        "--steps",
        "1",
        "--first-steps",
        "1",
        "--octaves",
        "1",
        "-q",
    )
    assert code == 0 and "3 frames, 48x36 at 10 fps, no sound" in err
    assert video_info(tmp_path / "short.gif").frames == 3


@pytest.mark.parametrize(
    "argv, says",
    [
        (["{text}", "-o", "{tmp}/o.mp4"], "text.mp4 is not a video dreamlib can read"),
        (["{tmp}/missing.mp4", "-o", "{tmp}/o.mp4"], "no such video file: {tmp}/missing.mp4"),
        (["{clip}", "-o", "{clip}"], "is the input image; choose another name"),
        (["{clip}", "-o", "{tmp}/o.avi"], "output '{tmp}/o.avi' must end in .mp4, .gif"),
        (["{clip}", "-o", "{tmp}/o.mp4", "--fps", "0"], "fps must be a finite number > 0, got 0"),
        (["{clip}", "-o", "{tmp}/o.mp4", "--blend", "2"], "blend must be a number in [0, 1], got 2.0"),
        (["{clip}", "-o", "{tmp}/o.mp4", "--max-frames", "0"], "max frames must be a whole number >= 1, got 0"),
        (
            ["{clip}", "-o", "{tmp}/o.mp4", "--flow", "lucas"],
            "invalid choice: 'lucas' (choose from 'farneback', 'raft')",
        ),
        (["{clip}", "-o", "{tmp}/afile/o.mp4"], "cannot write '{tmp}/afile/o.mp4': the location is not writable"),
    ],
)
def test_mistakes_are_one_line_exit_2_and_write_nothing(capsys, clip, tmp_path, argv, says):
    (tmp_path / "text.mp4").write_text("not a video")
    (tmp_path / "afile").write_text("a file where a folder would be: a place nothing can be written")
    fill = {"text": tmp_path / "text.mp4", "tmp": tmp_path, "clip": clip}
    before = sorted(p.name for p in tmp_path.iterdir())
    code, _, err = run_cli(capsys, "video", *[a.format(**fill) for a in argv], "--model", "shapes", "-q")
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert says.format(**fill) in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before and clip.is_file()


def test_a_video_far_too_large_is_refused_before_the_model_loads(capsys, clip, tmp_path, monkeypatch):
    monkeypatch.setattr(frames, "MAX_FRAMES", 10)
    code, _, err = run_cli(
        capsys,
        "video",
        clip,
        "-o",
        tmp_path / "o.mp4",
        "--model",
        "inception_v3",
        "--weights",
        str(tmp_path / "never-read.pth"),
        "-q",
    )
    assert code == 2 and "has 12 frames, over 10: dream a part of it with max_frames" in err
    code, _, err = run_cli(
        capsys,
        "video",
        clip,
        "-o",
        tmp_path / "o.mp4",
        "--model",
        "shapes",
        "--max-frames",
        "2",
        "--steps",
        "1",
        "--first-steps",
        "1",
        "--octaves",
        "1",
        "-q",
    )
    assert code == 0, err
