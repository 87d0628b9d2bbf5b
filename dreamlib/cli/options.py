"""What the commands share: their options (each declared once), and the checks run before any work.

The dream options come from :class:`dreamlib.Recipe` (defaults and help); the model, device and objective
options are declared here once and read by every command that has them. Part of :mod:`dreamlib.cli`; nothing
here imports torch at module level, so ``dreamlib -h`` answers at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import DreamError
from ..recipe import PARAMS, Recipe, for_model, help_text

SAVE_FORMATS = (".png", ".jpg", ".jpeg")
PRECISIONS = ("auto", "fp32", "bf16")  # dreamlib.fast.precision.PRECISIONS, named here without importing torch
MODELS_PLACEHOLDER = "{models}"  # filled in when help is shown: listing the models imports torch


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own errors: one line too
        raise DreamError(message)


class Help(argparse.HelpFormatter):
    """``-h`` shows each option's default, except where there is none (None / False), and the model names."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if MODELS_PLACEHOLDER in text:
            from ..models import available_models

            text = text.replace(MODELS_PLACEHOLDER, ", ".join(available_models()))
        if (
            "%(default)" not in text
            and action.default not in (None, False, argparse.SUPPRESS)
            and action.option_strings
        ):
            text += " (default: %(default)s)"
        return text


def number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def add_model_options(p: argparse.ArgumentParser) -> None:
    """``--model``, ``--layer``, ``--weights``, ``--fallback``, ``--device``, ``--no-fast``, ``-q``: every command that
    dreams or renders."""
    p.add_argument("--model", default="inception_v3", help=f"one of {MODELS_PLACEHOLDER}")
    p.add_argument("--layer", help="layer to work on (default: the model's; see `layers`)")
    p.add_argument(
        "--weights", help="imagenet | random | path/to/state_dict.pth (default: $DREAMLIB_WEIGHTS or imagenet)"
    )
    p.add_argument(
        "--fallback",
        metavar="MODEL",
        help="if no --weights are given and the ImageNet weights cannot be had (offline), "
        "say so and use this model instead, e.g. shapes",
    )
    p.add_argument("--device", default="auto", help="auto | cpu | cuda[:N] | mps | xpu (the GPUs where present)")
    p.add_argument(
        "--no-fast",
        dest="fast",
        action="store_false",
        help="run the network exactly as built (no channels-last twin, no BatchNorm folding, float32)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def add_objective_options(p: argparse.ArgumentParser, guide: bool = False) -> None:
    """``--channel`` / ``--class`` (/ ``--guide``): what to amplify instead of a whole layer."""
    goal = p.add_mutually_exclusive_group()
    goal.add_argument("--channel", type=int, help="one channel of --layer")
    goal.add_argument("--class", dest="class_index", type=int, help="one class logit")
    if guide:
        goal.add_argument("--guide", help="the features of this guide image at --layer")


def add_recipe_options(
    p: argparse.ArgumentParser, recipe: Recipe, fields: tuple[str, ...], model_fields: tuple[str, ...] = ()
) -> None:
    """One option per :class:`dreamlib.Recipe` field in ``fields``, with ``recipe``'s value as its default; those in
    ``model_fields`` default to the model's own (:data:`dreamlib.recipe.MODEL_FIELDS`), ``recipe``'s for most."""
    for name in fields:
        default = getattr(recipe, name)
        kind = {"lr": number, "octave_scale": number, "param": str}.get(name, int)
        extra = {"choices": PARAMS} if name == "param" else {}
        text = help_text(name)
        if name in model_fields:
            text += f" (default: the model's own; {default} for most models, see `layers`)"
            default = None
        p.add_argument("--" + name.replace("_", "-"), type=kind, default=default, help=text, **extra)


def recipe_of(args: argparse.Namespace, fields: tuple[str, ...], model=None) -> Recipe:
    """The recipe the options give (checked: one-line errors name the valid ranges); options left unset take
    ``model``'s own settings (:func:`dreamlib.recipe.for_model`; the defaults before the model is loaded)."""
    return for_model(model, **{name: getattr(args, name) for name in fields})


def check_size(value, name: str = "size") -> None:
    if value is not None and value < 1:
        raise DreamError(f"{name} must be a whole number >= 1, got {value}")


def check_output(output: str, input_: str, formats: tuple) -> Path:
    """The file to write: its suffix one of ``formats``, a legal name, writable, and never the input."""
    out = Path(output).expanduser()
    if out.suffix.lower() not in formats:
        raise DreamError(f"output {output!r} must end in {', '.join(formats)}")
    from ..io.files import check_file_name, existing_parent

    check_file_name(out)
    if "://" not in input_ and os.path.realpath(out) == os.path.realpath(input_):
        raise DreamError(f"output {output!r} is the input image; choose another name")
    parent = existing_parent(out)
    if (
        out.is_dir()
        or not parent.is_dir()
        or not os.access(parent, os.W_OK)
        or (out.exists() and not os.access(out, os.W_OK))
    ):
        raise DreamError(f"cannot write {output!r}: the location is not writable")
    return out


def check_run_options(args: argparse.Namespace) -> None:
    """Options that cannot go together, refused before any work, in the command line's words."""
    if not getattr(args, "fast", True) and getattr(args, "precision", "auto") == "bf16":
        raise DreamError("--precision bf16 runs on the fast path: drop --no-fast, or use --precision fp32")
    if getattr(args, "class_index", None) is not None and args.layer is not None:
        raise DreamError("--class dreams toward a class logit, the network's output: --layer does not apply to it")


def check_device(device: str) -> None:
    """A device this machine lacks (or ``meta``, which holds no data) -> a one-line error before any work."""
    from ..device import resolve_device

    resolve_device(device, allow_meta=False)


def load_for(args: argparse.Namespace):
    """The model and the layer to use, after the cheap checks: ``(model, layer)``; the model is
    :func:`dreamlib.faster`'s unless ``--no-fast``."""
    from ..models import load_model, model_layers

    check_run_options(args)
    check_device(args.device)
    layers, default = model_layers(args.model)
    if args.fallback is not None:
        model_layers(args.fallback)  # unknown fallback model -> error before any work
    if args.layer is not None and args.layer not in layers and args.fallback is None:
        raise DreamError(f"unknown layer {args.layer!r} for {args.model}; valid layers: {', '.join(layers)}")
    model = load_model(args.model, weights=args.weights, device=args.device, fallback=args.fallback)
    if model.name != args.model and args.layer is not None and args.layer not in model.layers:
        raise DreamError(
            f"layer {args.layer!r} is not in the fallback model {model.name}; valid layers: {', '.join(model.layers)}"
        )
    layer = args.layer or model.default_layer
    if layer not in model.layers:
        raise DreamError(f"unknown layer {layer!r} for {model.name}; valid layers: {', '.join(model.layers)}")
    if getattr(args, "fast", True):  # speed is decided here, once: the library runs what it is given
        from ..fast import faster

        model = faster(model, getattr(args, "precision", "fp32"))  # commands without --precision stay in fp32
    return model, layer


def objective_of(args: argparse.Namespace, model, layer: str, size: int | None = None):
    """The objective the options ask for: ``--class``, ``--channel``, ``--guide``, or None (the layer's mean)."""
    from ..objectives import channel, class_logit, guide

    if args.class_index is not None:
        count = len(model.categories or [])
        if not 0 <= args.class_index < count:
            raise DreamError(f"class {args.class_index} is out of range for {model.name} (valid: 0..{count - 1})")
        return class_logit(args.class_index)
    if args.channel is not None:
        return channel(layer, args.channel)
    if getattr(args, "guide", None) is not None:
        from ..images import load_image

        return guide(model, load_image(args.guide, max_size=size), layer)
    return None


def program_name(argv0: str | None = None) -> str:
    """``dreamlib`` when run as the console script, ``python -m dreamlib`` otherwise (as a module, in tests)."""
    name = Path(sys.argv[0] if argv0 is None else argv0).name.lower()
    return "dreamlib" if name in ("dreamlib", "dreamlib.exe", "dreamlib-script.py") else "python -m dreamlib"
