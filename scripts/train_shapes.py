"""Reproduce the shipped weights of ``load_model("shapes")``: ``python scripts/train_shapes.py``.

Trains :class:`dreamlib.shapes.ShapesNet` twice on synthetic patterns, with the
same seed (0), steps and batch size: once on balanced classes
(``dreamlib/shapes/weights/shapes.pth``, ``weights="shipped"``) and once with "eyes" in
45% of the images (``dreamlib/shapes/weights/shapes_skewed.pth``, ``weights="skewed"``,
lesson 06's dataset bias). Prints each one's training time, its held-out accuracy
on balanced images (overall and per class) and the SHA-256 of the file written:
on one machine a re-run reproduces the files bit for bit.

Results on two AMD EPYC cores (``torch.set_num_threads(2)``, other work light)::

    shapes.pth: trained in 33 s; held-out accuracy 97.8% (stripes 99.0%, checkers 99.1%, dots 99.0%,
      grid 91.6%, squares 100.0%, triangles 98.1%, eyes 100.0%, faces 100.0%, waves 90.8%, spirals 100.0%);
      0.87 MB, sha256 bb61acaccfab327a...
    shapes_skewed.pth: trained in 27 s; held-out accuracy 95.3% (stripes 97.4%, checkers 95.9%, dots 96.6%,
      grid 83.8%, squares 99.0%, triangles 94.7%, eyes 99.5%, faces 99.5%, waves 86.6%, spirals 100.0%);
      0.87 MB, sha256 24d96b7576a7a62e...

(With both cores also busy with other work, each took up to about two minutes.)

``judge.pth`` is lesson 11's independent judge (:class:`dreamlib.shapes.judge.JudgeNet`, another architecture, seed 1),
made on a 2-core Intel Xeon (2026-12-02) while the other core was busy::

    judge.pth: trained in 169 s; held-out accuracy 96.6% (stripes 98.0%, checkers 97.7%, dots 97.1%, grid 86.6%,
      squares 100.0%, triangles 98.1%, eyes 99.5%, faces 99.0%, waves 89.9%, spirals 100.0%); 1.11 MB,
      sha256 9c49fb2903e50b7d...

``python scripts/train_shapes.py judge.pth`` remakes that file alone.
"""

import hashlib
import sys
import time
from pathlib import Path

import torch

from dreamlib import shapes
from dreamlib.models import DreamModel
from dreamlib.shapes.judge import JUDGE_SEED, JudgeNet

WEIGHTS = Path(__file__).resolve().parent.parent / "dreamlib" / "shapes" / "weights"
# file -> (class weights, seed, architecture): the judge of notebook 11 is another architecture from another seed
RUNS = {
    "shapes.pth": (None, 0, shapes.ShapesNet),
    "shapes_skewed.pth": (shapes.SKEWED_CLASS_WEIGHTS, 0, shapes.ShapesNet),
    "judge.pth": (None, JUDGE_SEED, JudgeNet),
}

if __name__ == "__main__":
    torch.set_num_threads(2)
    WEIGHTS.mkdir(exist_ok=True)
    only = sys.argv[1:]  # e.g. `python scripts/train_shapes.py judge.pth` remakes one file
    for filename, (class_weights, seed, architecture) in RUNS.items():
        if only and filename not in only:
            continue
        start = time.perf_counter()
        net = shapes.train(seed=seed, progress=False, class_weights=class_weights, architecture=architecture)
        took = time.perf_counter() - start
        out = WEIGHTS / filename
        torch.save(net.state_dict(), out)
        model = DreamModel(net, mean=shapes.MEAN, std=shapes.STD)
        overall = shapes.accuracy(model, n=2000)
        per_class = ", ".join(f"{name} {acc:.1%}" for name, acc in shapes.class_accuracy(model, n=2000).items())
        digest = hashlib.sha256(out.read_bytes()).hexdigest()[:16]
        print(
            f"{filename}: trained in {took:.0f} s; held-out accuracy {overall:.1%} ({per_class}); "
            f"{out.stat().st_size / 1e6:.2f} MB, sha256 {digest}..."
        )
