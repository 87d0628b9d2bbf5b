"""Command line: ``python -m dreamlib dream|zoom IN -o OUT``, ``layers``, ``weights``, ``render`` and ``catalogue``.

Every user error prints one line ``error: ...`` on stderr and exits with status 2:
no traceback, and no output file is written unless the dream succeeded.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

from .errors import DreamError
from .images import SAVE_FORMATS
from .models import available_models, model_layers


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own errors: one line too
        raise DreamError(message)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _common(p: argparse.ArgumentParser) -> None:
    """Options shared by `dream` and `zoom`."""
    p.add_argument("input", help="image file or http(s) URL")
    p.add_argument("--model", default="inception_v3", help=f"one of {', '.join(available_models())}")
    p.add_argument("--layer", help="layer to amplify (default: the model's; see `layers`)")
    p.add_argument("--steps", type=int, default=20, help="steps per octave")
    p.add_argument("--lr", type=_number, default=0.01, help="step size, in [0, 1] pixel units")
    p.add_argument("--jitter", type=int, default=32, help="max random roll in pixels")
    p.add_argument("--size", type=int, default=512, help="longest side of the working image")
    p.add_argument("--seed", type=int, help="repeatable jitter")
    p.add_argument("--weights", help="imagenet | random | path/to/state_dict.pth (default: $DREAMLIB_WEIGHTS or imagenet)")
    p.add_argument("--fallback", metavar="MODEL",
                   help="if no --weights are given and the ImageNet weights cannot be had (offline), "
                        "say so and use this model instead, e.g. shapes")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | mps")
    p.add_argument("--precision", default="auto", help="auto | fp32 | bf16")
    p.add_argument("--tile", type=int, help="compute gradients in tiles of this many pixels (big images)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    goal = p.add_mutually_exclusive_group()
    goal.add_argument("--channel", type=int, help="amplify one channel of --layer")
    goal.add_argument("--class", dest="class_index", type=int, help="dream toward one class logit")
    goal.add_argument("--guide", help="dream toward the features of this guide image at --layer")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m dreamlib", description="DeepDream images from the command line.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    d = sub.add_parser("dream", help="dream on an image and write the result")
    _common(d)
    d.add_argument("-o", "--output", required=True, help="output .png / .jpg (never the input)")
    d.add_argument("--octaves", type=int, default=4)
    d.add_argument("--octave-scale", type=_number, default=1.4)

    z = sub.add_parser("zoom", help="a zoom animation: dream, zoom in, repeat")
    _common(z)
    z.add_argument("-o", "--output", required=True, help="output .gif (or .mp4 with ffmpeg)")
    z.add_argument("--frames", type=int, default=30)
    z.add_argument("--zoom", type=_number, default=1.05, help="zoom factor per frame (> 1)")
    z.add_argument("--fps", type=int, default=12)
    z.set_defaults(octaves=1, octave_scale=1.4)

    ls = sub.add_parser("layers", help="list the dreamable layers of a model")
    ls.add_argument("--model", default="inception_v3", help=f"one of {', '.join(available_models())}")

    w = sub.add_parser("weights", help="where each model's ImageNet weights are cached; --download fetches missing ones")
    w.add_argument("--model", action="append", help="only this model (repeatable); default: all")
    w.add_argument("--download", action="store_true", help="download the missing files (needs internet)")
    _render_parsers(sub)
    return p


def _check_output(output: str, input_: str, formats: dict | tuple) -> Path:
    out = Path(output).expanduser()
    if out.suffix.lower() not in formats:
        raise DreamError(f"output {output!r} must end in {', '.join(formats)}")
    if "://" not in input_ and os.path.realpath(out) == os.path.realpath(input_):
        raise DreamError(f"output {output!r} is the input image; choose another name")
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if out.is_dir() or not parent.is_dir() or not os.access(parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise DreamError(f"cannot write {output!r}: the location is not writable")
    return out


def _prepare(args: argparse.Namespace, formats) -> tuple:
    """Validate everything cheap first, then load the image and model; returns (out, image, model, settings)."""
    from .images import load_image
    from .models import load_model
    from .objectives import channel, class_logit, guide
    from .octaves import check_settings

    check_settings(octaves=args.octaves, octave_scale=args.octave_scale, steps=args.steps, lr=args.lr, jitter=args.jitter)
    if args.size < 1:
        raise DreamError(f"size must be a whole number >= 1, got {args.size}")
    layers, default = model_layers(args.model)
    if args.fallback is not None:
        model_layers(args.fallback)  # unknown fallback model -> error before any work
    layer = args.layer or default
    if layer not in layers:
        raise DreamError(f"unknown layer {layer!r} for {args.model}; valid layers: {', '.join(layers)}")
    out = _check_output(args.output, args.input, formats)
    image = load_image(args.input, max_size=args.size)
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
        count = len(model.categories or [])
        if not 0 <= args.class_index < count:
            raise DreamError(f"class {args.class_index} is out of range for {args.model} (valid: 0..{count - 1})")
        objective = class_logit(args.class_index)
    elif args.guide is not None:
        objective = guide(model, load_image(args.guide, max_size=args.size), layer)
    settings = dict(
        objective=objective, octaves=args.octaves, octave_scale=args.octave_scale, steps=args.steps, lr=args.lr,
        jitter=args.jitter, seed=args.seed, precision=args.precision, tile=args.tile,
    )
    if objective is None:
        settings["layer"] = layer
    return out, image, model, settings


def _cmd_dream(args: argparse.Namespace) -> int:
    from .images import save_image
    from .octaves import dream

    out, image, model, settings = _prepare(args, SAVE_FORMATS)
    result = dream(model, image, progress=not args.quiet, **settings)
    print(save_image(result, out, source=None if "://" in args.input else args.input))
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
    from .models import MODELS, fetch_imagenet_weights, weights_cache_path

    names = args.model or sorted(MODELS)
    for name in names:
        if name not in MODELS:
            raise DreamError(f"unknown model {name!r} for weights; choose one of: {', '.join(sorted(MODELS))}")
    for name in names:
        url = MODELS[name].weights().url
        path = weights_cache_path(url)
        if args.download and not path.is_file():
            fetch_imagenet_weights(name, url)
        print(f"{name:13s} {'cached ' if path.is_file() else 'missing'} {path}  <- {url}")
    return 0


def _model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="inception_v3", help=f"one of {', '.join(available_models())}")
    p.add_argument("--weights", help="imagenet | random | path/to/state_dict.pth (default: $DREAMLIB_WEIGHTS or imagenet)")
    p.add_argument("--fallback", metavar="MODEL", help="if the ImageNet weights cannot be had, say so and use this model")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | mps")
    p.add_argument("--size", type=int, help="side of each rendered image in pixels")
    p.add_argument("--steps", type=int, help="optimisation steps")
    p.add_argument("--seed", type=int, default=0, help="repeatable noise and transforms")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def _render_parsers(sub) -> None:
    """`render` and `catalogue` (notebooks 09 and 10); their work is in dreamlib.render and dreamlib.catalogue."""
    r = sub.add_parser("render", help="feature visualisation from noise (a layer, channel or class)")
    _model_options(r)
    r.add_argument("--layer", help="layer to visualise (default: the model's)")
    goal = r.add_mutually_exclusive_group()
    goal.add_argument("--channel", type=int, help="one channel of --layer")
    goal.add_argument("--class", dest="class_index", type=int, help="one class logit")
    r.add_argument("--param", default="fft", choices=("fft", "pixel"), help="parameterisation (default fft)")
    r.add_argument("--no-decorrelate", action="store_true", help="plain RGB instead of decorrelated colour")
    r.add_argument("--no-transforms", action="store_true", help="no random pad/jitter/scale/rotate")
    r.add_argument("--lr", type=_number, help="Adam learning rate")
    r.add_argument("-o", "--output", required=True, help="output .png / .jpg")
    c = sub.add_parser("catalogue", help="a web page of every channel's visualisation and top dataset examples")
    _model_options(c)
    c.add_argument("--layer", required=True, help="layer whose channels to show")
    c.add_argument("--images", metavar="FOLDER", help="dataset examples from these images (needed except for shapes)")
    c.add_argument("--top", type=int, default=6, help="dataset examples per channel")
    c.add_argument("--channels", type=int, help="only the first N channels")
    c.add_argument("-o", "--output", required=True, help="output folder (new, empty, or an earlier catalogue)")


def _load_for(args: argparse.Namespace):
    """The model and a valid layer, after the cheap checks."""
    from .models import load_model

    for key in ("size", "steps"):
        value = getattr(args, key)
        if value is not None and value < 1:
            raise DreamError(f"{key} must be a whole number >= 1, got {value}")
    layers, default = model_layers(args.model)
    if args.fallback is not None:
        model_layers(args.fallback)
    if args.layer is not None and args.layer not in layers and args.fallback is None:
        raise DreamError(f"unknown layer {args.layer!r} for {args.model}; valid layers: {', '.join(layers)}")
    model = load_model(args.model, weights=args.weights, device=args.device, fallback=args.fallback)
    layer = args.layer or model.default_layer
    if layer not in model.layers:
        raise DreamError(f"unknown layer {layer!r} for {model.name}; valid layers: {', '.join(model.layers)}")
    return model, layer


def _cmd_render(args: argparse.Namespace) -> int:
    from .images import save_image
    from .objectives import channel, class_logit, layer_mean
    from .render import LR, STEPS, render

    out = _check_output(args.output, "", SAVE_FORMATS)
    if args.lr is not None and args.lr <= 0:
        raise DreamError(f"lr must be a number > 0, got {args.lr}")
    model, layer = _load_for(args)
    if args.class_index is not None:
        count = len(model.categories or [])
        if not 0 <= args.class_index < count:
            raise DreamError(f"class {args.class_index} is out of range for {model.name} (valid: 0..{count - 1})")
        objective = class_logit(args.class_index)
    elif args.channel is not None:
        objective = channel(layer, args.channel)
    else:
        objective = layer_mean(layer)
    image = render(model, objective, size=args.size or 128, param=args.param, decorrelate=not args.no_decorrelate,
                   transforms=None if args.no_transforms else "standard", steps=args.steps or STEPS,
                   lr=args.lr or LR, seed=args.seed, progress=not args.quiet)
    print(save_image(image, out))
    return 0


def _cmd_catalogue(args: argparse.Namespace) -> int:
    from .catalogue import catalogue, check_output_dir, example_images, write_catalogue

    out = check_output_dir(args.output)
    if args.top < 1:
        raise DreamError(f"top must be a whole number >= 1, got {args.top}")
    if args.channels is not None and args.channels < 1:
        raise DreamError(f"channels must be a whole number >= 1, got {args.channels}")
    if args.images is None and args.model != "shapes" and args.fallback != "shapes":
        raise DreamError(f"{args.model} has no data of its own: give a folder of images with --images FOLDER")
    model, layer = _load_for(args)
    images = example_images(model, args.images)
    entries = catalogue(model, layer, images=images, top=args.top, size=args.size or 96, steps=args.steps or 64,
                        seed=args.seed, progress=not args.quiet,
                        channels=None if args.channels is None else range(args.channels))
    source = args.images or "its own training data (dreamlib.patterns)"
    print(write_catalogue(entries, out, title=f"{model.name} {layer}: {len(entries)} channels",
                          intro=f"Each card: the channel's feature visualisation (left, dreamlib.render) and its "
                                f"top {args.top} examples from {source} (right), with mean activations."))
    return 0


def _warn_one_line(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m dreamlib`` and the ``dreamlib`` script."""
    try:
        with warnings.catch_warnings():  # restored on exit: in-process callers keep their own warning display
            warnings.showwarning = _warn_one_line
            args = build_parser().parse_args(argv)
            commands = {"dream": _cmd_dream, "zoom": _cmd_zoom, "layers": _cmd_layers, "weights": _cmd_weights,
                        "render": _cmd_render, "catalogue": _cmd_catalogue}
            return commands[args.command](args)
    except DreamError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the disk filled up, a file vanished mid-run...: still one line, no traceback
        print(f"error: {exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
