"""Peak resident memory of a tiled dream on a huge image: ``python benchmarks/huge.py --size 8192 --tile 512``.

Two ways in, because who holds the input decides what dreamlib can free:

- ``--input file`` (default): the print-size workflow. A size x size JPEG is written to a temporary folder
  and ``dreamlib dream big.jpg --size N --tile T -o out.png`` runs as a child process, exactly as a user
  would type it (load, dream, save a PNG); its peak resident set size is the child's ``ru_maxrss``.
- ``--input tensor``: in this process, ``dl.dream`` on a float32 tensor the caller keeps (the caller's
  800 MB stay alive throughout, so the process holds one full-size float image more).

Random-init InceptionV3 (Mixed_6c), ``--steps`` step(s) of ``--octaves`` octave(s): one step is enough for the
peak, since every step and octave reuses the same buffers. Progress per tile is shown unless ``--quiet``.
``ru_maxrss`` counts everything: Python, torch (0.5 GiB resident here after ``import torch``), weights, images.
"""

import argparse
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from PIL import Image

import dreamlib as dl
from dreamlib.images import sample_image_path


def gib(kib: int) -> str:
    return f"{kib / 2**20:.2f} GiB ({kib * 1024 / 1e9:.2f} GB)"


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=8192)
    p.add_argument("--tile", type=int, default=512)
    p.add_argument("--layer", default="Mixed_6c")
    p.add_argument("--steps", type=int, default=1)
    p.add_argument("--octaves", type=int, default=1)
    p.add_argument("--precision", default="auto")
    p.add_argument("--input", choices=("file", "tensor"), default="file")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    args = p.parse_args()
    what = (
        f"{args.size}x{args.size}, tile {args.tile}, {args.layer}, {args.octaves} octave(s) x {args.steps} step(s), "
        f"precision {args.precision}"
    )
    if args.input == "file":
        with tempfile.TemporaryDirectory() as tmp:
            big = Path(tmp) / "big.jpg"
            with Image.open(sample_image_path("hubble_deep_field")) as im:
                im.convert("RGB").resize((args.size, args.size), Image.BILINEAR).save(big, quality=92)
            cmd = [
                sys.executable,
                "-m",
                "dreamlib",
                "dream",
                str(big),
                "--size",
                str(args.size),
                "--tile",
                str(args.tile),
                "--layer",
                args.layer,
                "--steps",
                str(args.steps),
                "--octaves",
                str(args.octaves),
                "--seed",
                "0",
                "--weights",
                "random",
                "--precision",
                args.precision,
                "-o",
                str(Path(tmp) / "out.png"),
            ]
            start = time.perf_counter()
            done = subprocess.run(cmd + (["-q"] if args.quiet else []), stdout=subprocess.DEVNULL)
            took = time.perf_counter() - start
            if done.returncode:
                sys.exit(f"dreamlib dream failed with exit code {done.returncode}")
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(
            f"file in, PNG out (the dreamlib command, load + dream + save): {what}: {took:.0f} s, "
            f"peak resident memory {gib(peak)}"
        )
    else:
        warnings.simplefilter("ignore", dl.DreamWarning)
        model = dl.load_model("inception_v3", weights="random", device="cpu")
        image = dl.resize(dl.sample_image("hubble_deep_field", max_size=None), (args.size, args.size))
        precision = dl.resolve_precision(args.precision, model.device)
        start = time.perf_counter()
        out = dl.dream(
            dl.faster(model, precision),
            image,
            args.layer,
            octaves=args.octaves,
            steps=args.steps,
            tile=args.tile,
            seed=0,
            progress=not args.quiet,
        )
        took = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(
            f"float32 tensor in (kept by the caller), tensor out: {what} ({precision}): {took:.0f} s, "
            f"peak resident memory {gib(peak)}"
        )
