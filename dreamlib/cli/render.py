"""The ``render`` and ``catalogue`` commands (notebooks 09 and 10); their work is in :mod:`dreamlib.vis`.

Part of :mod:`dreamlib.cli`; heavy imports happen inside the commands.
"""

from __future__ import annotations

import argparse

from ..errors import DreamError
from ..recipe import CATALOGUE, PARAMS, RENDER, check_positive
from .options import SAVE_FORMATS, add_model_options, add_objective_options, check_output, check_size, load_for, number


def _render_options(p: argparse.ArgumentParser, defaults) -> None:
    p.add_argument("--size", type=int, default=defaults.size, help="side of each rendered image in pixels")
    p.add_argument("--steps", type=int, default=defaults.steps, help="optimisation steps")
    p.add_argument("--seed", type=int, default=0, help="repeatable noise and transforms")


def add_parsers(sub) -> None:
    r = sub.add_parser("render", help="feature visualisation from noise (a layer, channel or class)")
    add_model_options(r)
    add_objective_options(r)
    _render_options(r, RENDER)
    r.add_argument("--lr", type=number, default=RENDER.lr, help="Adam learning rate")
    r.add_argument("--param", default="fft", choices=PARAMS, help="parameterisation")
    r.add_argument("--no-decorrelate", action="store_true", help="plain RGB instead of decorrelated colour")
    r.add_argument("--no-transforms", action="store_true", help="no random pad/jitter/scale/rotate")
    r.add_argument("-o", "--output", required=True, help="output .png / .jpg")
    r.set_defaults(run=cmd_render)

    c = sub.add_parser("catalogue", help="a web page of every channel's visualisation and top dataset examples")
    add_model_options(c)
    _render_options(c, CATALOGUE)
    c.add_argument("--images", metavar="FOLDER", help="dataset examples from these images (needed except for shapes)")
    c.add_argument("--top", type=int, default=6, help="dataset examples per channel")
    c.add_argument("--channels", type=int, help="only the first N channels")
    c.add_argument("-o", "--output", required=True, help="output folder (new, empty, or an earlier catalogue)")
    c.set_defaults(run=cmd_catalogue, layer_required=True)


def cmd_render(args: argparse.Namespace) -> int:
    from ..images import save_image
    from ..objectives import layer_mean
    from ..vis.render import render
    from .options import objective_of

    out = check_output(args.output, "", SAVE_FORMATS)
    check_positive("lr", args.lr)
    check_size(args.size)
    check_size(args.steps, "steps")
    model, layer = load_for(args)
    objective = objective_of(args, model, layer) or layer_mean(layer)
    image = render(
        model,
        objective,
        size=args.size,
        param=args.param,
        decorrelate=not args.no_decorrelate,
        transforms=None if args.no_transforms else "standard",
        steps=args.steps,
        lr=args.lr,
        seed=args.seed,
        progress=not args.quiet,
        fast=args.fast,
    )
    print(save_image(image, out))
    return 0


def cmd_catalogue(args: argparse.Namespace) -> int:
    from ..vis.catalogue import catalogue, check_output_dir, example_images, write_catalogue

    if args.layer is None:
        raise DreamError("catalogue needs --layer: the layer whose channels to show (see `layers`)")
    out = check_output_dir(args.output)
    check_size(args.top, "top")
    check_size(args.channels, "channels")
    check_size(args.size)
    check_size(args.steps, "steps")
    if args.images is None and args.model != "shapes" and args.fallback != "shapes":
        raise DreamError(f"{args.model} has no data of its own: give a folder of images with --images FOLDER")
    model, layer = load_for(args)
    images = example_images(model, args.images)
    entries = catalogue(
        model,
        layer,
        images=images,
        top=args.top,
        size=args.size,
        steps=args.steps,
        seed=args.seed,
        progress=not args.quiet,
        channels=None if args.channels is None else range(args.channels),
        fast=args.fast,
    )
    source = args.images or "its own training data (dreamlib.shapes.make_batch)"
    print(
        write_catalogue(
            entries,
            out,
            title=f"{model.name} {layer}: {len(entries)} channels",
            intro=f"Each card: the channel's feature visualisation (left, dreamlib.render) and its "
            f"top {args.top} examples from {source} (right), with mean activations.",
        )
    )
    return 0
