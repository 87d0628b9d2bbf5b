"""Dreaming a video whose dreams stay put: each frame starts from the one before's dream, carried along the flow.

Dream every frame on its own and the video flickers: each frame grows its own patterns. The 2015 animation scripts
(DeepDreamAnim's optical-flow mode) carry the dream forward instead: take the previous frame's *hallucination* (its
dream minus its undreamed frame), move it along the optical flow onto the current frame (:func:`dreamlib.video.warp`),
add it there, and dream again. dreamlib adds a share (``blend``, as later forks of those scripts did), estimates the
backward flow instead of negating the forward one, carries nothing onto pixels the flow cannot follow (hidden or
newly uncovered, found with the test that video style transfer uses, Ruder, Dosovitskiy and Brox, 2016:
:func:`dreamlib.video.occlusion_mask`), and dreams the carried frames with fewer steps than the first.

:func:`dream_video` keeps every finished frame in a work folder beside the output (``OUT.frames/``, with the run's
settings), so a stopped run picks up at the first missing frame and makes exactly the video an uninterrupted run
makes; the video itself is written whole or not at all, with the input's frame rate, size (or ``size``) and sound.
Taught in notebook 08 (dreaming in time).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..errors import DreamError
from ..hooks import OUTPUT
from ..io.files import atomic_path
from ..io.records import file_sha256
from ..models import as_dream_model
from ..objectives import as_objective
from ..octaves import dream
from ..recipe import VIDEO_BLEND, VIDEO_FIRST_STEPS, VIDEO_RECIPE, check_video_settings
from .flow import METHODS, optical_flow
from .frames import VIDEO_FORMATS, check_video, read_frames, video_info, working_size, write_video
from .warp import flicker_sums, occlusion_mask, warp

SETTINGS_FILE = "settings.json"


@dataclass
class VideoReport:
    """What :func:`dream_video` did: the video written, its frames, how many were picked up from an earlier run,
    and the flicker of the dreamed frames and of the undreamed ones (:func:`dreamlib.video.flicker`)."""

    path: Path
    frames: int
    resumed: int
    flicker: float
    source_flicker: float
    fps: float
    size: tuple[int, int]
    audio: bool
    seconds: dict = field(default_factory=dict)


def _as_tensor(frame: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(frame, copy=True)).permute(2, 0, 1).unsqueeze(0).float().div_(255)


def _as_pixels(image: torch.Tensor) -> np.ndarray:
    return image[0].detach().float().cpu().clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).numpy()


def work_folder(out: Path) -> Path:
    """Where a run keeps its finished frames: ``OUT.frames/`` beside the output."""
    return out.with_name(out.name + ".frames")


def _start(folder: Path, settings: dict) -> int:
    """Prepare the work folder for ``settings``; returns how many frames an earlier run of them finished."""
    record = folder / SETTINGS_FILE
    if folder.exists():
        if not folder.is_dir() or not record.is_file():
            raise DreamError(
                f"{folder} exists and is not a work folder of dreamlib's; move it or choose another output"
            )
        try:
            earlier = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            earlier = None
        if earlier != settings:  # another run's frames: they cannot be reused
            shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if not record.is_file():
        with atomic_path(record) as tmp:
            Path(tmp).write_text(json.dumps(settings, indent=1, sort_keys=True), encoding="utf-8")
    done = 0
    while (folder / f"{done:06d}.png").is_file():
        done += 1
    return done


def dream_video(  # noqa: PLR0913, C901 (keyword settings; the frame loop: flow, occlusion, blend)
    model: torch.nn.Module,
    source: str | os.PathLike,
    out: str | os.PathLike,
    layer: str | None = None,
    *,
    objective=None,
    steps: int = VIDEO_RECIPE.steps,
    first_steps: int = VIDEO_FIRST_STEPS,
    blend: float = VIDEO_BLEND,
    flow: str | None = "farneback",
    size: int | None = None,
    max_frames: int | None = None,
    fps: float | None = None,
    octaves: int = VIDEO_RECIPE.octaves,
    seed: int = VIDEO_RECIPE.seed,
    progress: bool = True,
    keep_frames: bool = False,
    **settings,
) -> VideoReport:
    """Dream every frame of the video ``source`` into ``out`` (.mp4, with the source's sound, or .gif).

    The first frame is dreamed from scratch with ``first_steps`` steps per octave. Each later frame starts from its
    undreamed frame plus ``blend`` times the previous frame's hallucination carried along the optical flow
    (``flow``: ``"farneback"``, ``"raft"``, or None to dream every frame from scratch, as ``first_steps``), and is
    dreamed ``steps`` more steps per octave; frame ``t`` uses seed ``seed + t``. ``size``: the longest side to dream
    at (default: the video's own); ``max_frames``: only the first frames; ``fps``: the output's frame rate
    (default: the input's). ``layer``/``objective``, ``octaves`` and the other
    :class:`dreamlib.Recipe` settings (``lr``, ``jitter``, ...) are :func:`dreamlib.dream`'s. A stopped run, called
    again with the same settings, picks up where it stopped (``OUT.frames/`` holds the finished frames; removed at
    the end unless ``keep_frames``). Returns a :class:`VideoReport`. Taught in notebook 08.
    """
    import time

    from tqdm.auto import tqdm

    from ..io.records import dream_record

    recipe = VIDEO_RECIPE.replace(octaves=octaves, seed=seed, steps=steps, **settings)
    check_video_settings(first_steps, blend, fps, max_frames, size)
    if flow is not None and flow not in METHODS:
        raise DreamError(f"unknown flow {flow!r}; use one of {', '.join(METHODS)}, or None to dream frame by frame")
    source, out = Path(source).expanduser(), Path(out).expanduser()
    if out.suffix.lower() not in VIDEO_FORMATS:
        raise DreamError(f"cannot write a video as {out.name!r}: use a .mp4 or .gif file name")
    if out.resolve() == source.resolve():
        raise DreamError(f"the output {out} is the input video; choose another name")
    dm = as_dream_model(model)
    for name in (objective or as_objective(layer or dm.default_layer)).layers:
        if name != OUTPUT:
            dm.module(name)  # an unknown layer: one line, before any work
    info = video_info(source)
    check_video(info, source, size, max_frames)
    dims = working_size(info.size, size)
    count = info.frames if max_frames is None else min(info.frames, max_frames)
    record = dream_record(
        dm,
        source=source.resolve(),
        size=size,
        layer=layer,
        objective=objective,
        **recipe.settings(),
    )
    run = {
        "record": record,
        "source_sha256": file_sha256(source),
        "first_steps": first_steps,
        "blend": blend,
        "flow": flow,
        "frames": count,
        "working_size": list(dims),
    }
    folder = work_folder(out)
    resumed = _start(folder, run)
    method = flow or "farneback"  # frame by frame, the flow is still what flicker is measured along
    flow_device = dm.device if dm.device.type in ("cuda", "mps", "xpu") else "cpu"  # RAFT beside the model
    seconds = {"dream": 0.0, "flow": 0.0}
    totals = {"dreams": 0.0, "sources": 0.0, "pixels": 0.0}
    previous = None  # (undreamed frame, dreamed frame), as uint8 pixels
    frames_done = 0
    bar = tqdm(total=count, initial=resumed, desc="frames", unit="frame", disable=not progress)
    try:
        for t, frame in enumerate(read_frames(source, dims, count)):
            raw = _as_tensor(frame)
            if t:
                began = time.perf_counter()
                back = optical_flow(frame, previous[0], method, flow_device)
                mask = occlusion_mask(back, optical_flow(previous[0], frame, method, flow_device))
                seconds["flow"] += time.perf_counter() - began
            path = folder / f"{t:06d}.png"
            if t < resumed:
                pixels = np.asarray(Image.open(path).convert("RGB"))
            else:
                began = time.perf_counter()
                if t and flow is not None:
                    hallucination = _as_tensor(previous[1]) - _as_tensor(previous[0])
                    start, n = (raw + blend * warp(hallucination, back) * mask).clamp(0, 1), recipe.steps
                else:
                    start, n = raw, first_steps
                image = dream(
                    dm,
                    start,
                    layer,
                    objective=objective,
                    progress=False,
                    **recipe.replace(steps=n, seed=recipe.seed + t).settings(),
                )
                pixels = _as_pixels(image)
                with atomic_path(path) as tmp:
                    Image.fromarray(pixels).save(tmp, format="PNG")
                seconds["dream"] += time.perf_counter() - began
                bar.update(1)
            if t:  # flicker: how far this frame is from the one before carried along the flow, dreamed and not
                for key, now, before in (("dreams", pixels, previous[1]), ("sources", frame, previous[0])):
                    total, followed = flicker_sums(_as_tensor(now), _as_tensor(before), back, mask)
                    totals[key] += total
                totals["pixels"] += followed
            previous = (frame, pixels)
            frames_done += 1
    finally:
        bar.close()
    if frames_done < count:
        raise DreamError(f"{source} ended after {frames_done} of its {count} frames")
    began = time.perf_counter()
    audio = source if info.audio and out.suffix.lower() == ".mp4" else None
    pixels = (np.asarray(Image.open(folder / f"{t:06d}.png").convert("RGB")) for t in range(count))
    write_video(pixels, out, fps or info.fps, dims, audio_from=audio)
    seconds["write"] = time.perf_counter() - began
    if not keep_frames:
        shutil.rmtree(folder, ignore_errors=True)
    share = totals["pixels"] or 1.0
    return VideoReport(
        path=out,
        frames=count,
        resumed=resumed,
        flicker=totals["dreams"] / share,
        source_flicker=totals["sources"] / share,
        fps=fps or info.fps,
        size=dims,
        audio=audio is not None,
        seconds=seconds,
    )
