"""Frames per second and peak memory of `dreamlib video`: ``python benchmarks/video.py [--seconds 10 --compare]``.

A panning clip with sound is made from a bundled photo (``dl.video.sample_clip``: ``--seconds`` at ``--fps``, of
``--size``), then ``dreamlib video clip.mp4 -o out.mp4 --model M`` runs as a child process, exactly as a user would
type it (decode, optical flow, dream, encode with the sound); with ``--compare``, the same with ``--no-flow`` too.
Reported: wall time, dreamed frames per second, the child's peak resident set size (``ru_maxrss``: Python, torch,
the model and the frames in flight; ffmpeg runs as its own, smaller process) and the flicker the command prints.
Nothing here is asserted by the tests; this is a measurement (benchmarks/README.md).
"""

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dreamlib as dl


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def run(clip: Path, out: Path, extra: list[str], args) -> dict:
    cmd = [sys.executable, "-m", "dreamlib", "video", str(clip), "-o", str(out), "--model", args.model]
    cmd += ["--device", args.device, *extra]
    with tempfile.TemporaryFile("w+") as err:
        began = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, text=True)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak memory
        seconds = time.perf_counter() - began
        child.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read()
    if child.returncode:
        sys.exit(f"error: {' '.join(cmd)} failed: {stderr.strip().splitlines()[-1]}")
    found = re.search(r"(\d+) frames.*flicker (\d+\.\d+) \(the undreamed video: (\d+\.\d+)", stderr)
    frames, flicker, source = int(found.group(1)), float(found.group(2)), float(found.group(3))
    peak_kib = usage.ru_maxrss
    return {"seconds": seconds, "frames": frames, "flicker": flicker, "source": source, "peak_kib": peak_kib}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--fps", type=float, default=25.0)
    p.add_argument("--size", default="640x360", help="WIDTHxHEIGHT")
    p.add_argument("--model", default="shapes")
    p.add_argument("--device", default="auto")
    p.add_argument("--compare", action="store_true", help="also run --no-flow (frame by frame)")
    args = p.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    frames = round(args.seconds * args.fps)
    with tempfile.TemporaryDirectory() as tmp:
        clip = dl.video.sample_clip(
            Path(tmp) / "clip.mp4", "pan", frames=frames, fps=args.fps, size=(width, height), speed=2.0
        )
        runs = {"carried along the flow": run(clip, Path(tmp) / "flow.mp4", ["-q"], args)}
        if args.compare:
            runs["frame by frame (--no-flow)"] = run(clip, Path(tmp) / "alone.mp4", ["--no-flow", "-q"], args)
    print(
        f"{args.seconds:g} s clip, {width}x{height} at {args.fps:g} fps ({frames} frames), model {args.model}, "
        f"device {dl.resolve_device(args.device)}, {cpu_name()}, torch threads {__import__('torch').get_num_threads()}"
    )
    print("\n| run | wall time | frames/s | peak RSS | flicker (undreamed) |\n| --- | --- | --- | --- | --- |")
    for name, r in runs.items():
        print(
            f"| {name} | {r['seconds']:.0f} s | {r['frames'] / r['seconds']:.2f} | "
            f"{r['peak_kib'] / 2**20:.2f} GiB | {r['flicker']:.4f} ({r['source']:.4f}) |"
        )
