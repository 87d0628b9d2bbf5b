"""Zoom animations: dream, zoom in a little, dream again — each frame feeds the next.

:func:`zoom` returns the frames; :func:`save_animation` writes an animated GIF
(Pillow) or an MP4 (ffmpeg, which the ``imageio-ffmpeg`` dependency installs with
dreamlib on Linux, macOS and Windows). Taught in notebook 06.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import torch

from .checks import check_whole
from .errors import DreamError
from .images import as_batch, resize, tensor_to_pil
from .io.files import atomic_path
from .models import as_dream_model
from .octaves import dream
from .recipe import ZOOM_RECIPE


def zoom_in(image: torch.Tensor, factor: float) -> torch.Tensor:
    """Crop the centre ``1/factor`` of the image and enlarge it back to full size. Taught in notebook 06."""
    h, w = image.shape[-2:]
    ch, cw = max(1, round(h / factor)), max(1, round(w / factor))
    top, left = (h - ch) // 2, (w - cw) // 2
    return resize(image[..., top : top + ch, left : left + cw], (h, w))


def check_zoom(frames: int, zoom: float) -> None:
    """Validate zoom settings with one-line errors (the CLI calls this before loading anything). Notebook 06."""
    check_whole("frames", frames)
    if isinstance(zoom, bool) or not isinstance(zoom, (int, float)) or not 1.0 <= zoom < math.inf:
        raise DreamError(f"zoom must be a number >= 1 (1.05 = 5% closer per frame), got {zoom!r}")


def ffmpeg_path() -> str:
    """The ffmpeg program that writes MP4s: imageio-ffmpeg's own (a pip dependency of dreamlib), else one on the PATH.

    Raises :class:`DreamError` when there is neither. Notebook 06.
    """
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):  # not installed, or no binary for this platform
        pass
    found = shutil.which("ffmpeg")
    if found is None:
        raise DreamError("writing .mp4 needs ffmpeg: pip install imageio-ffmpeg (or install ffmpeg), or save a .gif")
    return found


def check_animation_path(path: str | os.PathLike) -> Path:
    """The animation file to write: a .gif, or an .mp4 when ffmpeg can be found (:func:`ffmpeg_path`). Notebook 06."""
    path = Path(path).expanduser()
    if path.suffix.lower() not in (".gif", ".mp4"):
        raise DreamError(f"cannot save an animation as {path.name!r}: use a .gif or .mp4 file name")
    if path.suffix.lower() == ".mp4":
        ffmpeg_path()
    return path


def zoom(  # noqa: PLR0913 (keyword settings, each with a default)
    model: torch.nn.Module,
    image: torch.Tensor,
    frames: int = 30,
    zoom: float = 1.05,
    layer: str | None = None,
    *,
    steps: int = ZOOM_RECIPE.steps,
    octaves: int = ZOOM_RECIPE.octaves,
    seed: int | None = ZOOM_RECIPE.seed,
    progress: bool = True,
    **settings,
) -> list[torch.Tensor]:
    """Make ``frames`` frames: each is the previous one zoomed in by ``zoom`` and dreamed a few steps.

    ``image``: a (1, 3, H, W) tensor in [0, 1] or anything :func:`load_image` accepts.
    ``settings``: the rest of :func:`dream`'s keywords (the :class:`dreamlib.Recipe`'s
    ``lr``, ``jitter``, ..., and ``objective``); frame ``i`` is dreamed with seed ``seed + i``.
    The frames are dreamed and zoomed on the model's device and returned as float32 tensors on
    ``image``'s device. Taught in notebook 06.
    """
    check_zoom(frames, zoom)
    from tqdm.auto import tqdm

    dm = as_dream_model(model)
    frame = as_batch(image)
    out_device = frame.device
    frame = frame.to(dm.device)  # one copy in; every frame then feeds the next on the model's device
    out = []
    for i in tqdm(range(frames), desc="frames", disable=not progress):
        frame = dream(
            dm,
            frame,
            layer,
            steps=steps,
            octaves=octaves,
            progress=False,
            seed=None if seed is None else seed + i,
            **settings,
        )
        out.append(frame.to(out_device))
        frame = zoom_in(frame, zoom)
    return out


def save_animation(frames: Sequence[torch.Tensor], path: str | os.PathLike, fps: int = 12) -> Path:
    """Write frames as ``.gif`` (Pillow) or ``.mp4`` (ffmpeg, see :func:`ffmpeg_path`), atomically.

    Frames may be on any device and in any dtype (see :func:`tensor_to_pil`). Taught in notebook 06.
    """
    path = check_animation_path(path)
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not math.isfinite(fps) or not 0 < fps <= 1000:
        raise DreamError(f"fps must be a number of frames per second in (0, 1000], got {fps!r}")
    suffix = path.suffix.lower()
    if not frames:
        raise DreamError("no frames to save")
    images = [tensor_to_pil(f) for f in frames]
    with atomic_path(path) as tmp:
        if suffix == ".gif":
            images[0].save(
                tmp, format="GIF", save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0
            )
        else:
            with tempfile.TemporaryDirectory() as d:
                for i, im in enumerate(images):
                    im.save(Path(d) / f"{i:05d}.png")
                w, h = images[0].size
                subprocess.run(
                    [
                        ffmpeg_path(),
                        "-y",
                        "-loglevel",
                        "error",
                        "-framerate",
                        str(fps),
                        "-i",
                        str(Path(d) / "%05d.png"),
                        "-vf",
                        f"scale={w - w % 2}:{h - h % 2}",
                        "-pix_fmt",
                        "yuv420p",
                        "-c:v",
                        "libx264",
                        tmp,
                    ],
                    check=True,
                )
    return path
