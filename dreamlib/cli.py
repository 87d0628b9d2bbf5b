"""Command line: ``python -m dreamlib dream IN -o OUT`` and ``python -m dreamlib layers``.

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


def _positive_float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m dreamlib", description="DeepDream images from the command line.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    d = sub.add_parser("dream", help="dream on an image and write the result")
    d.add_argument("input", help="image file or http(s) URL")
    d.add_argument("-o", "--output", required=True, help="output .png / .jpg (never the input)")
    d.add_argument("--model", default="inception_v3", help=f"one of {', '.join(available_models())}")
    d.add_argument("--layer", help="layer to amplify (default: the model's; see `layers`)")
    d.add_argument("--octaves", type=int, default=4)
    d.add_argument("--octave-scale", type=_positive_float, default=1.4)
    d.add_argument("--steps", type=int, default=20, help="steps per octave")
    d.add_argument("--lr", type=_positive_float, default=0.01, help="step size, in [0, 1] pixel units")
    d.add_argument("--jitter", type=int, default=32, help="max random roll in pixels")
    d.add_argument("--size", type=int, default=512, help="longest side of the working image")
    d.add_argument("--seed", type=int, help="repeatable jitter")
    d.add_argument("--weights", help="imagenet | random | path/to/state_dict.pth (default: $DREAMLIB_WEIGHTS or imagenet)")
    d.add_argument("--device", default="auto", help="auto | cpu | cuda | mps")
    d.add_argument("--precision", default="auto", help="auto | fp32 | bf16")
    d.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    ls = sub.add_parser("layers", help="list the dreamable layers of a model")
    ls.add_argument("--model", default="inception_v3", help=f"one of {', '.join(available_models())}")
    return p


def _check_output(output: str, input_: str) -> Path:
    out = Path(output).expanduser()
    if out.suffix.lower() not in SAVE_FORMATS:
        raise DreamError(f"output {output!r} must end in .png, .jpg or .jpeg")
    if "://" not in input_ and os.path.realpath(out) == os.path.realpath(input_):
        raise DreamError(f"output {output!r} is the input image; choose another name")
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if out.is_dir() or not os.access(parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise DreamError(f"cannot write {output!r}: the location is not writable")
    return out


def _cmd_dream(args: argparse.Namespace) -> int:
    from .images import load_image, save_image
    from .models import load_model
    from .octaves import check_settings, dream

    check_settings(octaves=args.octaves, octave_scale=args.octave_scale, steps=args.steps, lr=args.lr, jitter=args.jitter)
    if args.size < 1:
        raise DreamError(f"size must be a whole number >= 1, got {args.size}")
    layers, default = model_layers(args.model)
    layer = args.layer or default
    if layer not in layers:
        raise DreamError(f"unknown layer {layer!r} for {args.model}; valid layers: {', '.join(layers)}")
    out = _check_output(args.output, args.input)
    image = load_image(args.input, max_size=args.size)
    model = load_model(args.model, weights=args.weights, device=args.device)
    result = dream(
        model, image, layer, octaves=args.octaves, octave_scale=args.octave_scale, steps=args.steps,
        lr=args.lr, jitter=args.jitter, seed=args.seed, progress=not args.quiet, precision=args.precision,
    )
    written = save_image(result, out, source=None if "://" in args.input else args.input)
    print(written)
    return 0


def _cmd_layers(args: argparse.Namespace) -> int:
    layers, default = model_layers(args.model)
    for name in layers:
        print(name + ("  (default)" if name == default else ""))
    return 0


def _warn_one_line(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m dreamlib`` and the ``dreamlib`` script."""
    warnings.showwarning = _warn_one_line
    try:
        args = build_parser().parse_args(argv)
        return {"dream": _cmd_dream, "layers": _cmd_layers}[args.command](args)
    except DreamError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
