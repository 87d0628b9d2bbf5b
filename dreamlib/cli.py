"""Command line: ``dreamlib dream|zoom IN -o OUT``, ``layers``, ``weights``, ``samples``, ``info``, ``render`` and ``catalogue``.

Every user error prints one line ``error: ...`` on stderr and exits with status 2:
no traceback, and no output file is written unless the dream succeeded.
Interruptions are clean too: Ctrl-C (from the first instant: torch is imported
only inside :func:`main`) and SIGTERM print one line and leave no temporary file;
a closed or full standard output (``dreamlib layers | head``) is not an error story.
"""

from __future__ import annotations

import argparse
import functools
import os
import signal
import sys
import warnings
from pathlib import Path

from .cli_options import (SAVE_FORMATS, Help, Parser, available_models, check_output, class_objective, model_layers,
                          number)
from .cli_process import Terminated, handled_signals, silence_stdout, stdout_failed, warn_one_line
from .cli_render import add_render_parsers, cmd_catalogue, cmd_render
from .errors import DreamError

# Heavy imports (torch, torchvision) happen inside the commands, after main() has set up
# its handlers, so an early Ctrl-C is still one clean line.


def program_name(argv0: str | None = None) -> str:
    """``dreamlib`` when run as the console script, ``python -m dreamlib`` otherwise (as a module, in tests)."""
    name = Path(sys.argv[0] if argv0 is None else argv0).name.lower()
    return "dreamlib" if name in ("dreamlib", "dreamlib.exe", "dreamlib-script.py") else "python -m dreamlib"


def _common(p: argparse.ArgumentParser) -> None:
    """Options shared by `dream` and `zoom`."""
    p.add_argument("input", help="image file, http(s) URL or bundled sample:NAME (see `samples`); "
                                 "`dream` also takes a folder: every image in it, into the -o folder")
    p.add_argument("--model", default="inception_v3", help=f"one of {', '.join(available_models())}")
    p.add_argument("--layer", help="layer to amplify (default: the model's; see `layers`)")
    p.add_argument("--steps", type=int, default=20, help="steps per octave")
    p.add_argument("--lr", type=number, default=0.01, help="step size, in [0, 1] pixel units")
    p.add_argument("--jitter", type=int, default=32, help="max random roll in pixels")
    p.add_argument("--size", type=int, default=512, help="longest side of the working image")
    p.add_argument("--seed", type=int, default=0, help="seed of the random jitter (same seed, same picture)")
    p.add_argument("--weights", help="imagenet | random | path/to/state_dict.pth (default: $DREAMLIB_WEIGHTS or imagenet)")
    p.add_argument("--fallback", metavar="MODEL",
                   help="if no --weights are given and the ImageNet weights cannot be had (offline), "
                        "say so and use this model instead, e.g. shapes")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda[:N] | mps | xpu (the GPUs where present)")
    p.add_argument("--precision", default="auto", help="auto | fp32 | bf16")
    p.add_argument("--tile", type=int, help="compute gradients in tiles of this many pixels (big images)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    goal = p.add_mutually_exclusive_group()
    goal.add_argument("--channel", type=int, help="amplify one channel of --layer")
    goal.add_argument("--class", dest="class_index", type=int, help="dream toward one class logit")
    goal.add_argument("--guide", help="dream toward the features of this guide image at --layer")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    p = Parser(prog=program_name(), description="DeepDream images from the command line.", formatter_class=Help)
    p.add_argument("--version", action="version", version=f"dreamlib {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser, metavar="COMMAND",
                           title="commands (`COMMAND -h` for its options)")
    sub.add_parser = functools.partial(sub.add_parser, formatter_class=Help)  # every subcommand shows defaults

    d = sub.add_parser("dream", help="dream on an image and write the result")
    _common(d)
    d.add_argument("-o", "--output", required=True,
                   help="output .png / .jpg (never the input); a folder when the input is one (finished images "
                        "there are skipped, so a stopped run resumes). PNGs keep their settings: see `info`")
    d.add_argument("--octaves", type=int, default=4, help="how many image scales to dream at, smallest first")
    d.add_argument("--octave-scale", type=number, default=1.4, help="size ratio between one octave and the next (> 1)")

    z = sub.add_parser("zoom", help="a zoom animation: dream, zoom in, repeat")
    _common(z)
    z.add_argument("-o", "--output", required=True, help="output .gif or .mp4")
    z.add_argument("--frames", type=int, default=30, help="number of frames")
    z.add_argument("--zoom", type=number, default=1.05, help="zoom factor per frame (> 1)")
    z.add_argument("--fps", type=int, default=12, help="frames per second of the animation")
    z.set_defaults(octaves=1, octave_scale=1.4)

    ls = sub.add_parser("layers", help="list the dreamable layers of a model")
    ls.add_argument("--model", default="inception_v3", help=f"one of {', '.join(available_models())}")

    w = sub.add_parser("weights", help="where each model's ImageNet weights are cached; --download fetches missing ones")
    w.add_argument("--model", action="append", help="only this model (repeatable); default: all")
    w.add_argument("--download", action="store_true", help="download the missing files (needs internet)")

    sub.add_parser("samples", help="list the bundled sample images, to use as sample:NAME inputs")

    i = sub.add_parser("info", help="the settings stored in a PNG that dreamlib wrote, and the command that re-makes it")
    i.add_argument("file", help="a .png written by `dream`")
    add_render_parsers(sub)
    return p


def _prepare(args: argparse.Namespace, formats) -> tuple:
    """Validate everything cheap first, then load the image and model; returns (out, image, model, settings)."""
    import torch

    from .images import load_image
    from .models import load_model
    from .objectives import channel, guide
    from .octaves import check_settings

    from .device import resolve_device

    check_settings(octaves=args.octaves, octave_scale=args.octave_scale, steps=args.steps, lr=args.lr, jitter=args.jitter)
    resolve_device(args.device, allow_meta=False)  # a device this machine lacks -> error before any work
    if args.size < 1:
        raise DreamError(f"size must be a whole number >= 1, got {args.size}")
    layers, default = model_layers(args.model)
    if args.fallback is not None:
        model_layers(args.fallback)  # unknown fallback model -> error before any work
    layer = args.layer or default
    if layer not in layers:
        raise DreamError(f"unknown layer {layer!r} for {args.model}; valid layers: {', '.join(layers)}")
    if formats is None:  # a folder in, a folder out: each image is loaded later, by dreamlib.batch
        out, image = _check_output_folder(args.output, args.input), None
    else:
        out = check_output(args.output, args.input, formats)
        image = load_image(args.input, max_size=args.size, dtype=torch.uint8)  # dream() owns its float copy
    model = load_model(args.model, weights=args.weights, device=args.device, fallback=args.fallback)
    if model.name != args.model:  # the fallback model was loaded
        if args.layer is not None and args.layer not in model.layers:
            raise DreamError(f"layer {args.layer!r} is not in the fallback model {model.name}; "
                             f"valid layers: {', '.join(model.layers)}")
        layer = args.layer or model.default_layer
    objective = None
    if args.channel is not None:
        objective = channel(layer, args.channel)
    elif args.class_index is not None:
        objective = class_objective(model, args.class_index)
    elif args.guide is not None:
        objective = guide(model, load_image(args.guide, max_size=args.size), layer)
    settings = dict(
        objective=objective, octaves=args.octaves, octave_scale=args.octave_scale, steps=args.steps, lr=args.lr,
        jitter=args.jitter, seed=args.seed, precision=args.precision, tile=args.tile,
    )
    if objective is None:
        settings["layer"] = layer
    args.resolved_layer = layer  # recorded in the PNG even when an objective (channel, guide) uses it
    return out, image, model, settings


def _check_output_folder(output: str, input_: str) -> Path:
    out = Path(output).expanduser()
    if out.suffix.lower() in SAVE_FORMATS:
        raise DreamError(f"the input {input_!r} is a folder, so -o must be a folder too, not {output!r}")
    if out.exists() and not out.is_dir():
        raise DreamError(f"output {output!r} is a file; give a folder for the dreamed images")
    if os.path.realpath(out) == os.path.realpath(input_):
        raise DreamError(f"output {output!r} is the input folder; choose another")
    return out


def _record_extra(args: argparse.Namespace) -> dict:
    """The objective options, kept in each PNG so `dreamlib info` can give the command that re-makes it."""
    extra = {"channel": args.channel, "class": args.class_index, "guide": args.guide}
    if args.channel is not None or args.guide is not None:
        extra["layer"] = args.resolved_layer
    return {k: v for k, v in extra.items() if v is not None}


def _cmd_dream(args: argparse.Namespace) -> int:
    from .images import save_image
    from .metadata import dream_record, png_text
    from .octaves import dream

    if Path(args.input).expanduser().is_dir():
        return _cmd_dream_folder(args)
    out, image, model, settings = _prepare(args, SAVE_FORMATS)
    record = dream_record(model, source=args.input, size=args.size, **settings, **_record_extra(args))
    result = dream(model, image, progress=not args.quiet, **settings)
    print(save_image(result, out, source=None if "://" in args.input else args.input, text=png_text(record)))
    return 0


def _cmd_dream_folder(args: argparse.Namespace) -> int:
    from .batch import dream_folder, folder_images

    folder_images(args.input)  # no images -> one line, before the model loads
    out, _, model, settings = _prepare(args, None)
    report = dream_folder(model, args.input, out, size=args.size, progress=not args.quiet,
                          record_extra=_record_extra(args), **settings)
    for path in report.dreamed:
        print(path)
    print(f"{len(report.dreamed)} dreamed, {len(report.skipped)} already complete (skipped), "
          f"{len(report.failed)} failed; in {out}", file=sys.stderr)
    if report.failed:
        raise DreamError(f"{len(report.failed)} image(s) could not be read: {', '.join(p.name for p in report.failed)}")
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from .metadata import read_record, rerun_command

    record = read_record(args.file)
    width = max(len(k) for k in record)
    for key, value in record.items():
        print(f"{key:{width}s}  {value}")
    try:
        print(f"\nre-make it with:\n  {rerun_command(record, output='again.png', program=program_name())}")
    except DreamError as exc:
        print(f"\n(cannot give a command that re-makes it: {exc})")
    return 0


def _cmd_zoom(args: argparse.Namespace) -> int:
    from .animate import check_animation_path, check_zoom, save_animation, zoom

    check_zoom(args.frames, args.zoom)
    if args.fps < 1:
        raise DreamError(f"fps must be a whole number >= 1, got {args.fps}")
    out, image, model, settings = _prepare(args, (".gif", ".mp4"))
    check_animation_path(out)
    layer = settings.pop("layer", None)
    frames = zoom(model, image, frames=args.frames, zoom=args.zoom, layer=layer, progress=not args.quiet, **settings)
    print(save_animation(frames, out, fps=args.fps))
    return 0


def _cmd_layers(args: argparse.Namespace) -> int:
    layers, default = model_layers(args.model)
    for name in layers:
        print(name + ("  (default)" if name == default else ""))
    return 0


def _cmd_weights(args: argparse.Namespace) -> int:
    """For instructors: check (and fill) the weights cache before a workshop without internet."""
    from .cache import cache_status, fetch_imagenet_weights, weights_cache_path
    from .models import MODELS

    names = args.model or sorted(MODELS)
    for name in names:
        if name not in MODELS:
            raise DreamError(f"unknown model {name!r} for weights; choose one of: {', '.join(sorted(MODELS))}")
    for name in names:
        url = MODELS[name].weights().url
        path = weights_cache_path(url)
        status = cache_status(url)
        if args.download and status != "cached":
            if status == "damaged":
                path.unlink()  # only with --download: replace a damaged copy with a fresh one
            fetch_imagenet_weights(name, url)
            status = cache_status(url)
        print(f"{name:13s} {status:7s} {path}  <- {url}")
    return 0


def _cmd_samples(args: argparse.Namespace) -> int:
    from .images import SAMPLE_PREFIX, list_samples, sample_image_path

    for name in list_samples():
        print(f"{SAMPLE_PREFIX + name:20s} {sample_image_path(name)}")
    return 0


def _run(argv: list[str] | None) -> int:
    with warnings.catch_warnings():  # restored on exit: in-process callers keep their own warning display
        warnings.showwarning = warn_one_line
        parser = build_parser()
        if not (sys.argv[1:] if argv is None else argv):  # bare `dreamlib`: the usage, not a bare error
            print(parser.format_help(), end="", file=sys.stderr)
            return 2
        args = parser.parse_args(argv)
        commands = {"dream": _cmd_dream, "zoom": _cmd_zoom, "layers": _cmd_layers, "weights": _cmd_weights,
                    "samples": _cmd_samples, "info": _cmd_info, "render": cmd_render, "catalogue": cmd_catalogue}
        code = commands[args.command](args)
        sys.stdout.flush()  # a closed or full stdout fails here, inside our handlers, not at exit
        return code


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m dreamlib`` and the ``dreamlib`` script."""
    try:
        with handled_signals():
            return _run(argv)
    except SystemExit:  # argparse after --help / usage: its output must reach a closed pipe quietly too
        if stdout_failed():
            silence_stdout()
        raise
    except BrokenPipeError:  # `dreamlib layers | head`: the reader has what it wanted
        silence_stdout()
        return 141  # what a shell reports for a command stopped by SIGPIPE
    except DreamError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the disk filled up, a file vanished mid-run...: still one line, no traceback
        where = exc.filename or ("standard output" if stdout_failed() else None)
        if where == "standard output":
            silence_stdout()
        print(f"error: {exc.strerror or exc}{f': {where}' if where else ''}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Terminated as exc:
        name = signal.Signals(exc.signum).name
        print(f"error: stopped by {name}", file=sys.stderr)
        return 128 + exc.signum

