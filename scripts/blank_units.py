"""Count the shipped shapes model's blank units: channels whose render stays flat grey, with and without Lucid's
redirected ReLU gradient (``dl.render(..., redirect_relu=...)``, :mod:`dreamlib.vis.relu`).

``python scripts/blank_units.py [SIZE STEPS]`` (default: the catalogue's 96 px and 64 steps) renders every channel of
conv2-conv6, one channel per image of a batch, seed 0, and prints per layer: how many renders are flat (pixel
standard deviation below 0.01), how many of those channels fire on the model's training pictures, and how many
renders excite their channel above its mean activation over 1024 of those pictures.
"""

from __future__ import annotations

import sys
import time

import torch

import dreamlib as dl
from dreamlib.vis.catalogue import channels_objective


def measure(model, layer: str, natural: torch.Tensor, size: int, steps: int, redirect: int) -> tuple[int, ...]:
    with torch.no_grad():
        on_data = dl.forward_until(model, natural, [layer])[layer].mean((2, 3))
    n = on_data.shape[1]
    images = dl.render(
        model,
        channels_objective(layer, list(range(n))),
        size=size,
        steps=steps,
        batch=n,
        seed=0,
        progress=False,
        redirect_relu=redirect,
    )
    with torch.no_grad():
        own = dl.forward_until(model, images, [layer])[layer].mean((2, 3))[range(n), range(n)]
    flat = images.flatten(1).std(1) < 0.01
    fires = on_data.amax(0) > 0
    return n, int(flat.sum()), int((flat & fires).sum()), int((own > on_data.mean(0)).sum())


def main(argv: list[str]) -> int:
    size, steps = (int(argv[0]), int(argv[1])) if argv else (96, 64)
    model = dl.load_model("shapes")
    natural, _ = dl.shapes.make_batch(1024, torch.Generator().manual_seed(0))
    totals = {}
    for layer in ("conv2", "conv3", "conv4", "conv5", "conv6"):
        for redirect in (0, 16):
            start = time.perf_counter()
            n, flat, flat_firing, above = measure(model, layer, natural, size, steps, redirect)
            total = totals.setdefault(redirect, [0, 0, 0, 0])
            for i, v in enumerate((n, flat, flat_firing, above)):
                total[i] += v
            print(
                f"{layer} redirect_relu={redirect:2d}: {flat:3d}/{n} flat ({flat_firing} of them fire on data), "
                f"{above:3d}/{n} above their mean on data  [{time.perf_counter() - start:.0f} s]",
                flush=True,
            )
    for redirect, (n, flat, flat_firing, above) in totals.items():
        print(f"all   redirect_relu={redirect:2d}: {flat}/{n} flat ({flat_firing} fire on data), {above}/{n} above")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
