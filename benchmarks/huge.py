"""Peak resident memory of a tiled dream on a huge image, in a fresh process.

``python benchmarks/huge.py --size 4096 --tile 512`` dreams one step of one octave
on a size x size image with random-init InceptionV3 (Mixed_6c) and prints the
process's peak resident set size (everything: Python, torch, weights, image).
"""

import argparse
import resource
import time
import warnings

import torch

import dreamlib as dl

if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=4096)
    p.add_argument("--tile", type=int, default=512)
    p.add_argument("--layer", default="Mixed_6c")
    p.add_argument("--steps", type=int, default=1)
    args = p.parse_args()
    warnings.simplefilter("ignore", dl.DreamWarning)
    model = dl.load_model("inception_v3", weights="random", device="cpu")
    image = dl.resize(dl.sample_image("hubble_deep_field", max_size=None), (args.size, args.size))
    start = time.perf_counter()
    out = dl.dream(model, image, args.layer, octaves=1, steps=args.steps, tile=args.tile, seed=0, progress=False)
    took = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # kB -> GiB
    print(f"{args.size}x{args.size}, tile {args.tile}, {args.layer}, {args.steps} step(s): "
          f"{took:.0f} s, peak resident memory {peak:.2f} GiB")
