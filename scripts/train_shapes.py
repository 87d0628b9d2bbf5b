"""Reproduce the shipped weights of ``load_model("shapes")``: ``python scripts/train_shapes.py``.

Trains :class:`dreamlib.shapes.ShapesNet` on synthetic patterns (seed 0) and
writes ``dreamlib/weights/shapes.pth``, then reports held-out accuracy.
"""

import time
from pathlib import Path

import torch

from dreamlib import shapes
from dreamlib.models import DreamModel

OUT = Path(__file__).resolve().parent.parent / "dreamlib" / "weights" / "shapes.pth"

if __name__ == "__main__":
    torch.set_num_threads(2)
    start = time.perf_counter()
    net = shapes.train(seed=0, progress=False)
    took = time.perf_counter() - start
    OUT.parent.mkdir(exist_ok=True)
    torch.save(net.state_dict(), OUT)
    model = DreamModel(net, mean=shapes.MEAN, std=shapes.STD)
    print(f"trained in {took:.0f} s; held-out accuracy {shapes.accuracy(model):.1%}; wrote {OUT}")
