"""The ``render`` and ``catalogue`` commands (notebooks 09 and 10): their work is in dreamlib.render and dreamlib.catalogue.

Part of :mod:`dreamlib.cli`; heavy imports happen inside the commands.
"""

from __future__ import annotations

import argparse

from .cli_options import SAVE_FORMATS, check_output, class_objective, model_layers, model_options, number
from .errors import DreamError


def add_render_parsers(sub) -> None:
    """`render` and `catalogue` (notebooks 09 and 10); their work is in dreamlib.render and dreamlib.catalogue."""
    r = sub.add_parser("render", help="feature visualisation from noise (a layer, channel or class)")
    model_options(r)
    r.add_argument("--layer", help="layer to visualise (default: the model's)")
    goal = r.add_mutually_exclusive_group()
    goal.add_argument("--channel", type=int, help="one channel of --layer")
    goal.add_argument("--class", dest="class_index", type=int, help="one class logit")
    r.add_argument("--param", default="fft", choices=("fft", "pixel"), help="parameterisation (default fft)")
    r.add_argument("--no-decorrelate", action="store_true", help="plain RGB instead of decorrelated colour")
    r.add_argument("--no-transforms", action="store_true", help="no random pad/jitter/scale/rotate")
    r.add_argument("--lr", type=number, help="Adam learning rate")
    r.add_argument("-o", "--output", required=True, help="output .png / .jpg")
    c = sub.add_parser("catalogue", help="a web page of every channel's visualisation and top dataset examples")
    model_options(c)
    c.add_argument("--layer", required=True, help="layer whose channels to show")
    c.add_argument("--images", metavar="FOLDER", help="dataset examples from these images (needed except for shapes)")
    c.add_argument("--top", type=int, default=6, help="dataset examples per channel")
    c.add_argument("--channels", type=int, help="only the first N channels")
    c.add_argument("-o", "--output", required=True, help="output folder (new, empty, or an earlier catalogue)")


def load_for(args: argparse.Namespace):
    """The model and a valid layer, after the cheap checks."""
    from .device import resolve_device
    from .models import load_model

    resolve_device(args.device, allow_meta=False)  # a device this machine lacks -> error before any work
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


def cmd_render(args: argparse.Namespace) -> int:
    from .images import save_image
    from .objectives import channel, layer_mean
    from .render import LR, STEPS, render

    out = check_output(args.output, "", SAVE_FORMATS)
    if args.lr is not None and not 0 < args.lr < float("inf"):
        raise DreamError(f"lr must be a finite number > 0, got {args.lr}")
    model, layer = load_for(args)
    if args.class_index is not None:
        objective = class_objective(model, args.class_index)
    elif args.channel is not None:
        objective = channel(layer, args.channel)
    else:
        objective = layer_mean(layer)
    image = render(model, objective, size=args.size or 128, param=args.param, decorrelate=not args.no_decorrelate,
                   transforms=None if args.no_transforms else "standard", steps=args.steps or STEPS,
                   lr=args.lr or LR, seed=args.seed, progress=not args.quiet)
    print(save_image(image, out))
    return 0


def cmd_catalogue(args: argparse.Namespace) -> int:
    from .catalogue import catalogue, check_output_dir, example_images, write_catalogue

    out = check_output_dir(args.output)
    if args.top < 1:
        raise DreamError(f"top must be a whole number >= 1, got {args.top}")
    if args.channels is not None and args.channels < 1:
        raise DreamError(f"channels must be a whole number >= 1, got {args.channels}")
    if args.images is None and args.model != "shapes" and args.fallback != "shapes":
        raise DreamError(f"{args.model} has no data of its own: give a folder of images with --images FOLDER")
    model, layer = load_for(args)
    images = example_images(model, args.images)
    entries = catalogue(model, layer, images=images, top=args.top, size=args.size or 96, steps=args.steps or 64,
                        seed=args.seed, progress=not args.quiet,
                        channels=None if args.channels is None else range(args.channels))
    source = args.images or "its own training data (dreamlib.patterns)"
    print(write_catalogue(entries, out, title=f"{model.name} {layer}: {len(entries)} channels",
                          intro=f"Each card: the channel's feature visualisation (left, dreamlib.render) and its "
                                f"top {args.top} examples from {source} (right), with mean activations."))
    return 0
