"""Peak resident memory of a tiled dream on a huge image, in a fresh process.

``python benchmarks/huge.py --size 8192 --tile 512`` dreams ``--steps`` step(s) of
``--octaves`` octave(s) on a size x size image with random-init InceptionV3
(Mixed_6c), shows a progress bar per tile, and prints the process's peak resident
set size (``ru_maxrss``: everything — Python, torch, weights, the image and its buffers).
"""

import argparse
import resource
import time
import warnings

import torch

import dreamlib as dl

if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=8192)
    p.add_argument("--tile", type=int, default=512)
    p.add_argument("--layer", default="Mixed_6c")
    p.add_argument("--steps", type=int, default=1)
    p.add_argument("--octaves", type=int, default=1)
    p.add_argument("--precision", default="auto")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    args = p.parse_args()
    warnings.simplefilter("ignore", dl.DreamWarning)
    model = dl.load_model("inception_v3", weights="random", device="cpu")
    image = dl.resize(dl.sample_image("hubble_deep_field", max_size=None), (args.size, args.size))
    precision = dl.resolve_precision(args.precision, model.device)
    start = time.perf_counter()
    out = dl.dream(model, image, args.layer, octaves=args.octaves, steps=args.steps, tile=args.tile, seed=0,
                   progress=not args.quiet, precision=precision)
    took = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # kB -> GiB
    print(f"{args.size}x{args.size}, tile {args.tile}, {args.layer}, {args.octaves} octave(s) x {args.steps} step(s), "
          f"{precision}: {took:.0f} s, peak resident memory {peak:.2f} GiB ({peak * 2**30 / 1e9:.2f} GB)")
