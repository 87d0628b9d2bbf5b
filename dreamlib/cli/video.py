"""The ``video`` command (notebook 08): dream every frame of a video, each carried along the optical flow.

Part of :mod:`dreamlib.cli`; heavy imports happen inside the command.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..checks import check_whole
from ..errors import DreamError
from ..recipe import VIDEO_BLEND, VIDEO_FIRST_STEPS, VIDEO_RECIPE, check_video_settings
from .options import (
    PRECISIONS,
    add_model_options,
    add_objective_options,
    add_recipe_options,
    check_output,
    check_run_options,
    load_for,
    number,
    objective_of,
    recipe_of,
)

FIELDS = ("octaves", "octave_scale", "lr", "jitter", "seed", "tile", "param")
FLOW_METHODS = ("farneback", "raft")  # dreamlib.video.flow.METHODS, named here without importing torch


def add_parsers(sub) -> None:
    v = sub.add_parser("video", help="dream a video, each frame carried along the optical flow (sound kept)")
    v.add_argument("input", help="a video file (anything ffmpeg reads)")
    v.add_argument("-o", "--output", required=True, help="output .mp4 (with the input's sound) or .gif")
    add_model_options(v)
    add_objective_options(v)
    v.add_argument(
        "--steps", type=int, default=VIDEO_RECIPE.steps, help="steps per octave of each frame after the first"
    )
    v.add_argument("--first-steps", type=int, default=VIDEO_FIRST_STEPS, help="steps per octave of the first frame")
    v.add_argument(
        "--blend", type=number, default=VIDEO_BLEND, help="share of the previous frame's dream carried over (0-1)"
    )
    v.add_argument(
        "--flow", default="farneback", choices=FLOW_METHODS, help="optical flow: OpenCV's, or RAFT (cached weights)"
    )
    v.add_argument("--no-flow", action="store_true", help="dream every frame on its own (it flickers: for comparison)")
    v.add_argument("--size", type=int, help="longest side to dream at (default: the video's own)")
    v.add_argument("--max-frames", type=int, help="only the first N frames")
    v.add_argument("--fps", type=number, help="frame rate of the output (default: the input's)")
    v.add_argument("--keep-frames", action="store_true", help="keep the dreamed frames (OUT.frames/) after the video")
    v.add_argument(
        "--precision",
        default="auto",
        choices=PRECISIONS,
        help="auto: $DREAMLIB_PRECISION if set, else bf16 where this machine is faster",
    )
    add_recipe_options(v, VIDEO_RECIPE, FIELDS)
    v.set_defaults(run=cmd_video)


def cmd_video(args: argparse.Namespace) -> int:
    from ..video.dream import dream_video
    from ..video.frames import VIDEO_FORMATS, check_video, video_info

    source = Path(args.input).expanduser()
    if not source.exists():
        raise DreamError(f"no such video file: {args.input}")
    check_run_options(args)
    recipe = recipe_of(args, FIELDS)
    check_whole("steps", args.steps)
    check_video_settings(args.first_steps, args.blend, args.fps, args.max_frames, args.size)
    out = check_output(args.output, args.input, VIDEO_FORMATS)
    info = video_info(source)  # not a video, no frames: one line, before the model loads
    check_video(info, source, args.size, args.max_frames)
    model, layer = load_for(args)
    objective = objective_of(args, model, layer)
    report = dream_video(
        model,
        source,
        out,
        None if objective is not None else layer,
        objective=objective,
        steps=args.steps,
        first_steps=args.first_steps,
        blend=args.blend,
        flow=None if args.no_flow else args.flow,
        size=args.size,
        max_frames=args.max_frames,
        fps=args.fps,
        progress=not args.quiet,
        keep_frames=args.keep_frames,
        **{name: getattr(recipe, name) for name in FIELDS},
    )
    print(report.path)
    picked = f", {report.resumed} picked up from an earlier run" if report.resumed else ""
    print(
        f"{report.frames} frames{picked}, {report.size[0]}x{report.size[1]} at {report.fps:g} fps, "
        f"{'with' if report.audio else 'no'} sound; flicker {report.flicker:.4f} (the undreamed video: "
        f"{report.source_flicker:.4f}; mean |change| along the flow, lower is steadier)",
        file=sys.stderr,
    )
    return 0
