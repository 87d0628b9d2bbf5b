"""The commands that answer questions: ``layers``, ``weights``, ``samples`` and ``info``.

Part of :mod:`dreamlib.cli`; heavy imports happen inside the commands.
"""

from __future__ import annotations

import argparse

from ..errors import DreamError
from .options import MODELS_PLACEHOLDER


def add_parsers(sub) -> None:
    ls = sub.add_parser("layers", help="list the dreamable layers of a model (and its own dream settings)")
    ls.add_argument("--model", default="inception_v3", help=f"one of {MODELS_PLACEHOLDER}")
    ls.set_defaults(run=cmd_layers)

    w = sub.add_parser(
        "weights", help="where each model's ImageNet weights are cached; --download fetches missing ones"
    )
    w.add_argument("--model", action="append", help="only this model (repeatable); default: all")
    w.add_argument("--download", action="store_true", help="download the missing files (needs internet)")
    w.set_defaults(run=cmd_weights)

    s = sub.add_parser("samples", help="list the bundled sample images, to use as sample:NAME inputs")
    s.set_defaults(run=cmd_samples)

    i = sub.add_parser(
        "info", help="the settings stored in a PNG that dreamlib wrote, and the command that re-makes it"
    )
    i.add_argument("file", help="a .png written by `dream`")
    i.set_defaults(run=cmd_info)


def cmd_layers(args: argparse.Namespace) -> int:
    from ..models import model_layers, model_recipe

    layers, default = model_layers(args.model)
    for name in layers:
        print(name + ("  (default)" if name == default else ""))
    chosen = [f"--{f.replace('_', '-')} {value}" for f, value in model_recipe(args.model).changes().items()]
    if chosen:  # the settings `dream` uses for this model unless told otherwise
        print(f"its own dream settings: {' '.join(chosen)}")
    return 0


def cmd_weights(args: argparse.Namespace) -> int:
    """For instructors: check (and fill) the weights cache before a workshop without internet."""
    from ..io.weights import cache_status, fetch_imagenet_weights, weights_cache_path
    from ..models import MODELS

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


def cmd_samples(args: argparse.Namespace) -> int:
    from ..images import SAMPLE_PREFIX, list_samples, sample_image_path

    for name in list_samples():
        print(f"{SAMPLE_PREFIX + name:20s} {sample_image_path(name)}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from ..io.records import read_record, rerun_command
    from .options import program_name

    record = read_record(args.file)
    width = max(len(k) for k in record)
    for key, value in record.items():
        print(f"{key:{width}s}  {value}")
    try:
        print(f"\nre-make it with:\n  {rerun_command(record, output='again.png', program=program_name())}")
    except DreamError as exc:
        print(f"\n(cannot give a command that re-makes it: {exc})")
    return 0
