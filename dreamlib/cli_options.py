"""What the command line's commands share: option types, help layout, and the checks run before any work.

Part of :mod:`dreamlib.cli` (the ``dreamlib`` program); nothing here imports torch at module level.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from .errors import DreamError

SAVE_FORMATS = (".png", ".jpg", ".jpeg")


def available_models() -> list[str]:
    from .models import available_models as names

    return names()


def model_layers(name: str):
    from .models import model_layers as layers

    return layers(name)


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own errors: one line too
        raise DreamError(message)


class Help(argparse.HelpFormatter):
    """``-h`` shows each option's default, except where there is none (None / False)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "%(default)" not in text and action.default not in (None, False, argparse.SUPPRESS) and action.option_strings:
            text += " (default: %(default)s)"
        return text


def number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def class_objective(model, index: int):
    """``--class K``: the logit of class K, checked against the model's classes before any work."""
    from .objectives import class_logit

    count = len(model.categories or [])
    if not 0 <= index < count:
        raise DreamError(f"class {index} is out of range for {model.name} (valid: 0..{count - 1})")
    return class_logit(index)


def check_output(output: str, input_: str, formats: dict | tuple) -> Path:
    out = Path(output).expanduser()
    if out.suffix.lower() not in formats:
        raise DreamError(f"output {output!r} must end in {', '.join(formats)}")
    from .images import check_file_name, existing_parent

    check_file_name(out)
    if "://" not in input_ and os.path.realpath(out) == os.path.realpath(input_):
        raise DreamError(f"output {output!r} is the input image; choose another name")
    parent = existing_parent(out)
    if out.is_dir() or not parent.is_dir() or not os.access(parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise DreamError(f"cannot write {output!r}: the location is not writable")
    return out


def model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="inception_v3", help=f"one of {', '.join(available_models())}")
    p.add_argument("--weights", help="imagenet | random | path/to/state_dict.pth (default: $DREAMLIB_WEIGHTS or imagenet)")
    p.add_argument("--fallback", metavar="MODEL", help="if the ImageNet weights cannot be had, say so and use this model")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda[:N] | mps | xpu (the GPUs where present)")
    p.add_argument("--size", type=int, help="side of each rendered image in pixels")
    p.add_argument("--steps", type=int, help="optimisation steps")
    p.add_argument("--seed", type=int, default=0, help="repeatable noise and transforms")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
