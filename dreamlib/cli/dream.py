"""The ``dream`` and ``zoom`` commands (notebooks 04 and 06): an image, a folder of images, or an animation.

Their options are the :class:`dreamlib.Recipe`'s, with its defaults and help. Part of :mod:`dreamlib.cli`; heavy
imports happen inside the commands.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import DreamError
from ..recipe import DEFAULT, MODEL_FIELDS, ZOOM_RECIPE
from .options import (
    PRECISIONS,
    SAVE_FORMATS,
    add_model_options,
    add_objective_options,
    add_recipe_options,
    check_output,
    check_run_options,
    check_size,
    load_for,
    number,
    objective_of,
    recipe_of,
)

DREAM_RECIPE = DEFAULT.replace(seed=0)  # the command line always dreams with a seed: every PNG can be re-made
DREAM_FIELDS = ("octaves", "octave_scale", "steps", "lr", "jitter", "seed", "tile", "param")
ZOOM_FIELDS = ("steps", "lr", "jitter", "seed", "tile", "param")  # one octave per frame
INPUT_HELP = (
    "image file, http(s) URL or bundled sample:NAME (see `samples`); "
    "`dream` also takes a folder: every image in it, into the -o folder"
)


def add_parsers(sub) -> None:
    d = sub.add_parser("dream", help="dream on an image (or a folder of images) and write the result")
    d.add_argument("input", help=INPUT_HELP)
    d.add_argument(
        "-o",
        "--output",
        required=True,
        help="output .png / .jpg (never the input); a folder when the input is one (finished images "
        "there are skipped, so a stopped run resumes). PNGs keep their settings: see `info`",
    )
    _shared(d, DREAM_RECIPE, DREAM_FIELDS, MODEL_FIELDS)
    d.set_defaults(run=cmd_dream, fields=DREAM_FIELDS)

    z = sub.add_parser("zoom", help="a zoom animation: dream, zoom in, repeat")
    z.add_argument("input", help=INPUT_HELP.split(";")[0])
    z.add_argument("-o", "--output", required=True, help="output .gif or .mp4")
    z.add_argument("--frames", type=int, default=30, help="number of frames")
    z.add_argument("--zoom", type=number, default=1.05, help="zoom factor per frame (> 1)")
    z.add_argument("--fps", type=int, default=12, help="frames per second of the animation")
    _shared(z, ZOOM_RECIPE, ZOOM_FIELDS)
    z.set_defaults(run=cmd_zoom, fields=ZOOM_FIELDS)


def _shared(p: argparse.ArgumentParser, recipe, fields, model_fields=()) -> None:
    add_model_options(p)
    add_objective_options(p, guide=True)
    p.add_argument("--size", type=int, default=512, help="longest side of the working image")
    p.add_argument(
        "--precision",
        default="auto",
        choices=PRECISIONS,
        help="auto: $DREAMLIB_PRECISION if set, else bf16 where this machine computes it faster (measured once), "
        "else fp32",
    )
    add_recipe_options(p, recipe, fields, model_fields)


def _run_settings(args: argparse.Namespace, model, layer: str) -> dict:
    """``dream``'s keywords other than the recipe: layer or objective."""
    objective = objective_of(args, model, layer, size=args.size)
    return dict(layer=None if objective is not None else layer, objective=objective)


def _record_extra(args: argparse.Namespace, layer: str) -> dict:
    """The objective options, kept in each PNG so `dreamlib info` can give the command that re-makes it."""
    extra = {"channel": args.channel, "class": args.class_index, "guide": args.guide}
    if args.channel is not None or args.guide is not None:
        extra["layer"] = layer
    return {k: v for k, v in extra.items() if v is not None}


def _check_input(text: str) -> None:
    """A local input that is neither a file nor a folder: say so, naming it (a typo is the usual cause)."""
    from ..images import SAMPLE_PREFIX

    if "://" in text or text.startswith(SAMPLE_PREFIX):
        return
    path = Path(text).expanduser()
    if not path.exists():
        if text.endswith(("/", os.sep)):
            what = "folder"
        elif path.suffix:
            what = "image file"
        else:
            what = "image file or folder"
        raise DreamError(f"no such {what}: {text}")


def cmd_dream(args: argparse.Namespace) -> int:
    import torch

    from ..images import load_image, save_image
    from ..io.records import dream_record, png_text
    from ..octaves import dream

    _check_input(args.input)
    check_run_options(args)
    recipe_of(args, args.fields)  # checked before any work; unset options are the model's, once it is loaded
    check_size(args.size)
    if Path(args.input).expanduser().is_dir():
        return _dream_folder(args)
    out = check_output(args.output, args.input, SAVE_FORMATS)
    image = load_image(args.input, max_size=args.size, dtype=torch.uint8)  # dream() owns its float copy
    model, layer = load_for(args)
    recipe = recipe_of(args, args.fields, model)
    run = _run_settings(args, model, layer)
    record = dream_record(
        model, source=args.input, size=args.size, extra=_record_extra(args, layer), **run, **recipe.settings()
    )
    result = dream(model, image, progress=not args.quiet, **run, **recipe.settings())
    print(save_image(result, out, source=None if "://" in args.input else args.input, text=png_text(record)))
    return 0


def _dream_folder(args: argparse.Namespace) -> int:
    from ..io.folders import dream_folder, folder_images

    folder_images(args.input)  # no images -> one line, before the model loads
    out = _check_output_folder(args.output, args.input)
    model, layer = load_for(args)
    recipe = recipe_of(args, args.fields, model)
    report = dream_folder(
        model,
        args.input,
        out,
        recipe=recipe,
        size=args.size,
        progress=not args.quiet,
        record_extra=_record_extra(args, layer),
        **_run_settings(args, model, layer),
    )
    for path in report.dreamed:
        print(path)
    print(
        f"{len(report.dreamed)} dreamed, {len(report.skipped)} already complete (skipped), "
        f"{len(report.failed)} failed; in {out}",
        file=sys.stderr,
    )
    if report.failed:
        raise DreamError(f"{len(report.failed)} image(s) could not be read: {', '.join(p.name for p in report.failed)}")
    return 0


def _check_output_folder(output: str, input_: str) -> Path:
    out = Path(output).expanduser()
    if out.suffix.lower() in SAVE_FORMATS:
        raise DreamError(f"the input {input_!r} is a folder, so -o must be a folder too, not {output!r}")
    if out.exists() and not out.is_dir():
        raise DreamError(f"output {output!r} is a file; give a folder for the dreamed images")
    if os.path.realpath(out) == os.path.realpath(input_):
        raise DreamError(f"output {output!r} is the input folder; choose another")
    return out


def cmd_zoom(args: argparse.Namespace) -> int:
    from ..animate import check_animation_path, check_zoom, save_animation, zoom
    from ..images import load_image

    _check_input(args.input)
    check_run_options(args)
    check_zoom(args.frames, args.zoom)
    if args.fps < 1:
        raise DreamError(f"fps must be a whole number >= 1, got {args.fps}")
    recipe = recipe_of(args, args.fields).replace(octaves=1)
    check_size(args.size)
    out = check_output(args.output, args.input, (".gif", ".mp4"))
    check_animation_path(out)
    image = load_image(args.input, max_size=args.size)
    model, layer = load_for(args)
    frames = zoom(
        model,
        image,
        frames=args.frames,
        zoom=args.zoom,
        progress=not args.quiet,
        **_run_settings(args, model, layer),
        **recipe.settings(),
    )
    print(save_animation(frames, out, fps=args.fps))
    return 0
