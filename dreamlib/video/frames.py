"""Video in and out: frames decoded and encoded with ffmpeg (imageio-ffmpeg, a dependency), sound kept.

:func:`video_info` reads what a file holds (frame rate, size, frame count, whether it has sound) and refuses what
is not a video, or is far too large, in one line. :func:`read_frames` yields its frames as uint8 arrays, resized to
a longest side if asked. :func:`write_video` writes frames as an MP4 (H.264, with the sound of another file, e.g.
the input) or a GIF, atomically: a finished file or none. :func:`sample_clip` makes a short clip from the bundled
photos (a pan or a zoom, with a tone), for lesson 07 and the tests: no download needed. Taught in notebook 07.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import DreamError
from ..io.files import atomic_path

MAX_SIDE = 8192  # pixels: frames larger than this are refused unless a smaller size is asked for
MAX_FRAMES = 20000  # frames: a longer video needs max_frames (20000 frames: 13 minutes at 25 fps)
VIDEO_FORMATS = (".mp4", ".gif")


@dataclass(frozen=True)
class VideoInfo:
    """What a video file holds: frames per second, (width, height), frame count, and whether it has sound."""

    fps: float
    size: tuple[int, int]
    frames: int
    audio: bool


def _ffmpeg():
    import imageio_ffmpeg

    return imageio_ffmpeg


def video_info(path: str | os.PathLike) -> VideoInfo:
    """Probe ``path``; a one-line :class:`DreamError` if it is missing, not a video, or has no frames.

    Taught in notebook 07.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise DreamError(f"no such video file: {path}")
    ffmpeg = _ffmpeg()
    try:
        reader = ffmpeg.read_frames(str(path))
        meta = next(reader)
        reader.close()
        frames, _ = ffmpeg.count_frames_and_secs(str(path))
    except (OSError, RuntimeError, StopIteration, ValueError) as exc:
        detail = str(exc).strip().splitlines()[-1][:120] if str(exc).strip() else type(exc).__name__
        if "output" in detail.lower():  # ffmpeg read the file but found no picture to write out: sound only, or empty
            raise DreamError(f"{path} holds no video frames") from None
        raise DreamError(f"{path} is not a video dreamlib can read ({detail})") from None
    if frames < 1 or not meta.get("size"):
        raise DreamError(f"{path} holds no video frames")
    fps = float(meta.get("fps") or 0.0)
    if not fps > 0:
        raise DreamError(f"{path} does not say its frame rate; give one with fps=")
    return VideoInfo(fps=fps, size=tuple(meta["size"]), frames=int(frames), audio="audio_codec" in meta)


def working_size(size: tuple[int, int], longest: int | None) -> tuple[int, int]:
    """(width, height) scaled so the longest side is ``longest`` (None: as it is), both even (what H.264 needs)."""
    w, h = size
    if longest is not None:
        scale = longest / max(w, h)
        w, h = max(2, round(w * scale)), max(2, round(h * scale))
    return w - w % 2, h - h % 2


def check_video(info: VideoInfo, path, longest: int | None, max_frames: int | None) -> None:
    """Refuse, in one line, a video too large to dream: frames over ``MAX_SIDE`` or more than ``MAX_FRAMES``."""
    if longest is None and max(info.size) > MAX_SIDE:
        raise DreamError(
            f"{path}'s frames are {info.size[0]}x{info.size[1]}, over {MAX_SIDE} px: ask for a smaller size"
        )
    count = info.frames if max_frames is None else min(info.frames, max_frames)
    if count > MAX_FRAMES:
        raise DreamError(f"{path} has {info.frames} frames, over {MAX_FRAMES}: dream a part of it with max_frames")


def read_frames(path: str | os.PathLike, size: tuple[int, int], max_frames: int | None = None) -> Iterator[np.ndarray]:
    """The frames of ``path`` as (height, width, 3) uint8 arrays of ``size`` (width, height), at most ``max_frames``.

    Taught in notebook 07.
    """
    reader = _ffmpeg().read_frames(str(Path(path).expanduser()))
    try:
        meta = next(reader)
        w, h = meta["size"]
        for i, data in enumerate(reader):
            if max_frames is not None and i >= max_frames:
                break
            frame = np.frombuffer(data, dtype=np.uint8).reshape(h, w, 3)
            if (w, h) != tuple(size):
                frame = np.asarray(Image.fromarray(frame).resize(size, Image.BICUBIC, reducing_gap=2.0))
            yield frame
    finally:
        reader.close()


def write_video(
    frames: Iterable[np.ndarray], out: str | os.PathLike, fps: float, size: tuple[int, int], audio_from=None
) -> Path:
    """Write uint8 (height, width, 3) ``frames`` of ``size`` as ``out`` (.mp4 or .gif), atomically.

    An MP4 takes the sound of ``audio_from`` (a video or audio file; None: silent). Taught in notebook 08.
    """
    out = Path(out).expanduser()
    if out.suffix.lower() not in VIDEO_FORMATS:
        raise DreamError(f"cannot write a video as {out.name!r}: use a .mp4 or .gif file name")
    with atomic_path(out) as tmp:
        if out.suffix.lower() == ".gif":
            images = [Image.fromarray(f) for f in frames]
            if not images:
                raise DreamError("no frames to write")
            images[0].save(
                tmp, format="GIF", save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0
            )
            return out
        # the sound of ``audio_from``, cut where the pictures end (a part of a video, another frame rate)
        audio = (
            {}
            if audio_from is None
            else {"audio_path": str(audio_from), "audio_codec": "aac", "output_params": ["-shortest"]}
        )
        writer = _ffmpeg().write_frames(
            tmp,
            size,
            fps=Fraction(fps).limit_denominator(1001),
            macro_block_size=2,
            quality=8,
            ffmpeg_log_level="error",
            **audio,
        )
        writer.send(None)
        count = 0
        try:
            for frame in frames:
                writer.send(np.ascontiguousarray(frame))
                count += 1
        finally:
            writer.close()
        if not count:
            raise DreamError("no frames to write")
    return out


def sample_clip(
    out: str | os.PathLike,
    motion: str = "pan",
    *,
    photo: str = "coffee",
    frames: int = 24,
    fps: float = 12.0,
    size: tuple[int, int] = (160, 120),
    speed: float = 3.0,
    tone: bool = True,
) -> Path:
    """A short clip made from a bundled photo: ``motion="pan"`` slides a window across it by ``speed`` pixels per
    frame; ``"zoom"`` moves in by ``speed`` percent per frame. With ``tone``, a 440 Hz sound track as long as the
    clip. For lesson 07 and the tests: a motion whose flow is known. Taught in notebook 07.
    """
    from ..images import sample_image_path

    if motion not in ("pan", "zoom"):
        raise DreamError(f"motion must be 'pan' or 'zoom', got {motion!r}")
    w, h = size
    with Image.open(sample_image_path(photo)) as im:
        source = im.convert("RGB")
    scale = max((w + speed * frames) / source.width, h / source.height) * 1.05
    source = source.resize((round(source.width * scale), round(source.height * scale)), Image.LANCZOS)
    shots = []
    for t in range(frames):
        if motion == "pan":
            box = (speed * t, (source.height - h) / 2, speed * t + w, (source.height + h) / 2)
        else:
            z = (1 + speed / 100) ** t
            cx, cy, half_w, half_h = source.width / 2, source.height / 2, w / 2 / z, h / 2 / z
            box = (cx - half_w, cy - half_h, cx + half_w, cy + half_h)
        shots.append(np.asarray(source.resize((w, h), Image.BILINEAR, box=box)))
    out = Path(out).expanduser()
    if not tone or out.suffix.lower() == ".gif":
        return write_video(shots, out, fps, (w, h))
    with tempfile.TemporaryDirectory() as folder:
        sound = os.path.join(folder, "tone.m4a")
        tone_source = f"sine=frequency=440:duration={frames / fps}"
        subprocess.run(
            [
                _ffmpeg().get_ffmpeg_exe(),
                "-y",
                "-loglevel",
                "error",
                "-f",
                "lavfi",
                "-i",
                tone_source,
                "-c:a",
                "aac",
                sound,
            ],
            check=True,
        )
        return write_video(shots, out, fps, (w, h), audio_from=sound)
