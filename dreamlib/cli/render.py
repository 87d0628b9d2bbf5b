"""The ``render``, ``accentuate`` and ``catalogue`` commands (notebooks 12, 16); the work is in :mod:`dreamlib.vis`.

Part of :mod:`dreamlib.cli`; heavy imports happen inside the commands.
"""

from __future__ import annotations

import argparse

from ..checks import check_positive
from ..errors import DreamError
from ..recipe import CATALOGUE, CATALOGUE_MACO_STEPS, RENDER, RENDER_PARAMS
from .options import SAVE_FORMATS, add_model_options, add_objective_options, check_output, check_size, load_for, number


def _render_options(p: argparse.ArgumentParser, defaults, steps: str = "optimisation steps") -> None:
    p.add_argument("--size", type=int, default=defaults.size, help="side of each rendered image in pixels")
    p.add_argument("--steps", type=int, default=defaults.steps, help=steps)
    p.add_argument("--seed", type=int, default=0, help="repeatable noise and transforms")


def add_parsers(sub) -> None:
    r = sub.add_parser("render", help="feature visualisation from noise (a layer, channel or class)")
    add_model_options(r)
    add_objective_options(r)
    _render_options(r, RENDER)
    r.add_argument("--lr", type=number, help=f"Adam learning rate (default {RENDER.lr}; 1.0 with --param maco)")
    r.add_argument(
        "--param", default="fft", choices=RENDER_PARAMS, help="parameterisation (maco: phase only, MACO, 2023)"
    )
    r.add_argument("--no-decorrelate", action="store_true", help="plain RGB instead of decorrelated colour")
    r.add_argument(
        "--no-transforms", action="store_true", help="no random transforms (pad/jitter/scale/rotate, or MACO's crops)"
    )
    r.add_argument("--attribution", metavar="FILE", help="also save where the gradient fell (a grey .png)")
    r.add_argument("-o", "--output", required=True, help="output .png / .jpg")
    r.set_defaults(run=cmd_render)

    a = sub.add_parser("accentuate", help="bring out what a channel or class responds to in a photo, near the photo")
    a.add_argument("input", help="a photo: file, URL or sample:NAME")
    add_model_options(a)
    add_objective_options(a)
    a.add_argument("--reg-layer", help="where the image must stay close to the photo (default: --layer)")
    a.add_argument("--alpha", type=number, default=1.0, help="how close: 0 = free, larger = closer")
    a.add_argument("--steps", type=int, default=64, help="optimisation steps")
    a.add_argument("--lr", type=number, default=RENDER.lr, help="Adam learning rate")
    a.add_argument("--size", type=int, help="longest side to work at (default: the photo's, at most 512)")
    a.add_argument("--seed", type=int, default=0, help="repeatable transforms")
    a.add_argument("--attribution", metavar="FILE", help="also save where the gradient fell (a grey .png)")
    a.add_argument("-o", "--output", required=True, help="output .png / .jpg")
    a.set_defaults(run=cmd_accentuate)

    c = sub.add_parser(
        "catalogue", help="a web page of every channel's visualisations, top dataset examples and accentuation"
    )
    add_model_options(c)
    _render_options(c, CATALOGUE, f"optimisation steps of each FFT render (MACO renders take {CATALOGUE_MACO_STEPS})")
    c.add_argument("--images", metavar="FOLDER", help="dataset examples from these images (needed except for shapes)")
    c.add_argument("--top", type=int, default=6, help="dataset examples per channel")
    c.add_argument("--channels", type=int, help="only the first N channels")
    c.add_argument(
        "--no-maco",
        action="store_true",
        help="leave out each channel's MACO render (phase only, Fel et al. 2023) and its attribution map",
    )
    c.add_argument(
        "--no-accentuate",
        action="store_true",
        help="leave out each channel's top example accentuated (Hamblin, Fel et al. 2024)",
    )
    c.add_argument("-o", "--output", required=True, help="output folder (new, empty, or an earlier catalogue)")
    c.set_defaults(run=cmd_catalogue, layer_required=True)


def _attribution_file(args: argparse.Namespace, out, input_: str = ""):
    """Where ``--attribution`` goes (None if not asked for): an image file, not the input and not ``-o``."""
    if not args.attribution:
        return None
    where = check_output(args.attribution, input_, SAVE_FORMATS)
    if where.resolve() == out.resolve():
        raise DreamError("--attribution must name another file than -o")
    return where


def _save_map(maps, where) -> None:
    from ..images import save_image

    print(save_image(maps.expand(-1, 3, -1, -1), where))


def cmd_render(args: argparse.Namespace) -> int:
    from ..images import save_image
    from ..objectives import layer_mean
    from ..vis.render import render, render_attribution
    from .options import objective_of

    out = check_output(args.output, "", SAVE_FORMATS)
    where = _attribution_file(args, out)
    if args.lr is not None:
        check_positive("lr", args.lr)
    check_size(args.size)
    check_size(args.steps, "steps")
    model, layer = load_for(args)
    objective = objective_of(args, model, layer) or layer_mean(layer)
    image = (render if where is None else render_attribution)(
        model,
        objective,
        size=args.size,
        param=args.param,
        decorrelate=not args.no_decorrelate,
        transforms=None if args.no_transforms else "auto",
        steps=args.steps,
        lr=args.lr,
        seed=args.seed,
        progress=not args.quiet,
    )
    if where is not None:
        image, maps = image
        _save_map(maps, where)
    print(save_image(image, out))
    return 0


def cmd_accentuate(args: argparse.Namespace) -> int:
    from ..images import save_image
    from ..objectives import layer_mean
    from ..vis.accentuate import accentuate
    from .options import objective_of

    out = check_output(args.output, args.input, SAVE_FORMATS)
    where = _attribution_file(args, out, args.input)
    check_positive("lr", args.lr)
    check_size(args.steps, "steps")
    if args.size is not None:
        check_size(args.size)
    if not args.alpha >= 0:
        raise DreamError(f"alpha must be a number >= 0, got {args.alpha}")
    model, layer = load_for(args)
    objective = objective_of(args, model, layer) or layer_mean(layer)
    result = accentuate(
        model,
        args.input,
        objective,
        reg_layer=args.reg_layer or layer,
        alpha=args.alpha,
        steps=args.steps,
        lr=args.lr,
        seed=args.seed,
        size=args.size,
        progress=not args.quiet,
    )
    if where is not None:
        _save_map(result.attribution, where)
    print(save_image(result.image, out))
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
    dissection = None
    if args.images is None:  # the shapes world's own pictures: it knows every pixel's part, so label each channel
        import torch

        from ..shapes.data import make_batch
        from ..units.dissection import dissect

        # the same pictures example_images drew (its seed 0), now with the part of every pixel
        _, _, parts = make_batch(len(images), torch.Generator().manual_seed(0), parts=True)
        dissection = dissect(model, layer, images, parts)
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
        maco=not args.no_maco,
        accentuate=not args.no_accentuate,
        dissection=dissection,
    )
    source = args.images or "its own training data (dreamlib.shapes.make_batch)"
    labels = (
        " Each title names the drawn part the channel's strongest activations overlap most, with that overlap "
        "(network dissection's IoU, dreamlib.dissect)."
        if dissection is not None
        else ""
    )
    print(
        write_catalogue(
            entries,
            out,
            title=f"{model.name} {layer}: {len(entries)} channels",
            intro=f"Each card: the channel's feature visualisation (left, dreamlib.render) and its "
            f"top {args.top} examples from {source} (right), with mean activations.{labels}",
        )
    )
    return 0
