"""Reproduce the shipped weights of ``load_model("shapes")`` and its judge: ``python scripts/train_shapes.py``.

Trains :class:`dreamlib.shapes.ShapesNet` twice on the synthetic world of objects with the same recipe
(:data:`dreamlib.shapes.net.ROBUST_RECIPE`: adversarial training, seed 0): once on balanced classes
(``dreamlib/shapes/weights/shapes.pth``, ``weights="shipped"``) and once with dog faces in 45% of the images
(``shapes_skewed.pth``, ``weights="skewed"``, lesson 06's dataset bias); then lesson 11's independent judge
(``judge.pth``: :class:`dreamlib.shapes.judge.JudgeNet`, another architecture, seed 1, adversarial training too). Prints
each one's training time, its held-out accuracy on balanced images (overall and per class) and the SHA-256 of the
file written: on one machine a re-run reproduces the files bit for bit. ``python scripts/train_shapes.py judge.pth``
remakes one file.

RESULTS
"""

import hashlib
import sys
import time
from pathlib import Path

import torch

from dreamlib import shapes
from dreamlib.models import DreamModel
from dreamlib.shapes.judge import JUDGE_RECIPE, JUDGE_SEED, JudgeNet
from dreamlib.shapes.net import ROBUST_RECIPE

WEIGHTS = Path(__file__).resolve().parent.parent / "dreamlib" / "shapes" / "weights"
# file -> how to train it: the judge of notebook 11 is another architecture from another seed
RUNS = {
    "shapes.pth": dict(ROBUST_RECIPE, seed=0),
    "shapes_skewed.pth": dict(ROBUST_RECIPE, seed=0, class_weights=shapes.SKEWED_CLASS_WEIGHTS),
    "judge.pth": dict(JUDGE_RECIPE, seed=JUDGE_SEED, architecture=JudgeNet),
}

if __name__ == "__main__":
    torch.set_num_threads(2)
    WEIGHTS.mkdir(exist_ok=True)
    only = sys.argv[1:]  # e.g. `python scripts/train_shapes.py judge.pth` remakes one file
    total = time.perf_counter()
    for filename, recipe in RUNS.items():
        if only and filename not in only:
            continue
        start = time.perf_counter()
        net = shapes.train(progress=False, **recipe)
        took = time.perf_counter() - start
        out = WEIGHTS / filename
        torch.save(net.state_dict(), out)
        model = DreamModel(net, mean=shapes.MEAN, std=shapes.STD)
        overall = shapes.accuracy(model, n=2000)
        per_class = ", ".join(f"{name} {acc:.1%}" for name, acc in shapes.class_accuracy(model, n=2000).items())
        digest = hashlib.sha256(out.read_bytes()).hexdigest()[:16]
        print(
            f"{filename}: trained in {took:.0f} s; held-out accuracy {overall:.1%} ({per_class}); "
            f"{out.stat().st_size / 1e6:.2f} MB, sha256 {digest}...",
            flush=True,
        )
    print(f"all done in {time.perf_counter() - total:.0f} s")
