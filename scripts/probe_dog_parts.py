"""Which parts of a dog face do the shapes networks need? ``python scripts/probe_dog_parts.py [name=weights.pth ...]``

Draws 200 dog faces with the world's own generator (:mod:`dreamlib.shapes.objects`), leaving some parts unpainted
(ears; muzzle, nose and mouth; the eyes; everything but the eyes), and prints the share of them each network still
calls dogs: the shipped ``shapes``, its 45% twin, ``shapes_dreamer``, both judges, and any ``ShapesNet`` weights given
as ``name=path``. The table in docs/results.md ("Why no ears?") is its output. Offline, about ten seconds on a CPU.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from unittest import mock

import torch

import dreamlib as dl
from dreamlib.shapes import objects

LEFT_OUT = [
    (),
    ("ear",),
    ("muzzle", "nose", "mouth"),
    ("ear", "muzzle", "nose", "mouth"),
    ("pupil", "glint"),
    ("ear", "muzzle", "nose", "mouth", "dog head"),
]


@contextmanager
def without(parts):
    """While inside, the generator paints every part except ``parts``."""
    paint = objects.paint

    def skipping(canvas, f, distance, colour, part=None):
        return canvas if part in parts else paint(canvas, f, distance, colour, part)

    with mock.patch.object(objects, "paint", skipping):
        yield


def main(extra: list[str]) -> None:
    models = {
        "shapes": dl.load_model("shapes"),
        "45% twin": dl.load_model("shapes", weights="skewed"),
        "shapes_dreamer": dl.load_model("shapes_dreamer"),
        "robust judge": dl.shapes.judge(),
        "ordinary judge": dl.shapes.judge("ordinary"),
    }
    for arg in extra:
        name, path = arg.split("=", 1)
        models[name] = dl.load_model("shapes", weights=path)  # a state dict of the same network
    dog = dl.shapes.CLASSES.index("dogs")
    only_dogs = [1.0 if i == dog else 0.0 for i in range(len(dl.shapes.CLASSES))]
    print(f"{'dog faces drawn without':40s}" + "".join(f"{name:>16s}" for name in models))
    for parts in LEFT_OUT:
        with without(parts):
            images, _ = dl.shapes.make_batch(200, torch.Generator().manual_seed(1), weights=only_dogs)
        shares = [(dl.shapes.verdicts(m, images) == dog).float().mean().item() for m in models.values()]
        print(f"{', '.join(parts) or 'nothing':40s}" + "".join(f"{s:>16.0%}" for s in shares))


if __name__ == "__main__":
    main(sys.argv[1:])
