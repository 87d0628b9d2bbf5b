"""Benchmark dreamlib against the tutorial's method: ``make bench`` (or ``python benchmarks/run.py``).

Both dream the same image (a bundled sample, 512 px on the long side) with the
same random-init InceptionV3 weights, layers, octaves and steps, in one process,
alternating runs; the median of several is reported. dreamlib runs the network as
built, on its fast path (``dl.faster(model)``), and on the fast path with each of its
tricks left out in turn, so each trick's gain is measured end to end.
Prints a markdown table for benchmarks/README.md. No timing is asserted anywhere:
this is a measurement.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import torch
import torchvision
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from baseline import TutorialDreamer  # noqa: E402

import dreamlib as dl  # noqa: E402
import dreamlib.prepare  # noqa: E402
from dreamlib.fast import FastModel, autocast, fast_model  # noqa: E402
from dreamlib.fast.fold import conv_bn_pairs, fold_pairs  # noqa: E402
from dreamlib.fast.precision import cpu_info  # noqa: E402
from dreamlib.models import DreamModel  # noqa: E402


def say(message: str) -> None:
    """Progress on stderr (the table goes to stdout)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakMemory:
    """Peak extra memory while the block runs: CUDA allocator peak, or sampled resident set size on CPU."""

    def __init__(self, device: torch.device) -> None:
        self.device, self.peak = device, 0

    def __enter__(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.start = torch.cuda.memory_allocated()
        else:
            self.start, self.top, self.running = rss_bytes(), rss_bytes(), True
            self.thread = threading.Thread(target=self._sample, daemon=True)
            self.thread.start()
        return self

    def _sample(self) -> None:
        while self.running:
            self.top = max(self.top, rss_bytes())
            time.sleep(0.002)

    def __exit__(self, *exc):
        if self.device.type == "cuda":
            torch.cuda.synchronize()
            self.peak = torch.cuda.max_memory_allocated() - self.start
        else:
            self.running = False
            self.thread.join()
            self.peak = max(self.top, rss_bytes()) - self.start


SPEED_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16")


def cpu_description() -> str:
    """The CPU's model name and the instruction-set flags that decide fp32/bf16 speed (Linux; else the platform)."""
    fields = cpu_info()
    if not fields:
        return platform.processor() or platform.machine()
    flags = set(fields.get("flags", "").split())
    have = [f for f in SPEED_FLAGS if f in flags]
    family = (
        f", family {fields['cpu family']} model {fields['model']}"
        if "cpu family" in fields and "model" in fields
        else ""
    )
    flags = ", ".join(have) or "none of " + "/".join(SPEED_FLAGS)
    return f"{fields.get('model name', platform.machine())}{family} ({flags})"


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(fn, device):
    sync(device)
    t = time.perf_counter()
    out = fn()
    sync(device)
    return time.perf_counter() - t, out


def matmul_peak(dtype: torch.dtype, device: torch.device) -> float:
    """Measured GFLOP/s of a square matrix product: the machine's practical peak for this dtype."""
    a = torch.randn(512, 512, device=device, dtype=dtype)
    t, _ = timed(lambda: a @ a, device)
    slow = 2 * 512**3 / t / 1e9 < 20  # emulated (e.g. bf16 without native units): a small one is enough
    n, reps = (512, 1) if slow else (2048 if device.type == "cpu" else 8192, 5)
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
    a @ b
    t, _ = timed(lambda: [a @ b for _ in range(reps)], device)
    return 2 * n**3 * reps / t / 1e9


def flops_of(fn) -> int:
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def gradient_flops(model, image, objective) -> int:
    """FLOPs of dreamlib's gradient computation (FlopCounterMode cannot follow autograd.grad, so use backward)."""
    x = image.detach().requires_grad_(True)

    def run():
        objective(dl.forward_until(model, x, objective.layers)).sum().backward(inputs=[x])

    return flops_of(run)


AVX2_ENV = {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"}


class RowMajor(FastModel):
    """The fast twin without channels-last images (to measure what they buy)."""

    def forward(self, images):
        with autocast(self.precision, self.device):
            return DreamModel.forward(self, images)


def folded_row_major(model, layer: str, trial) -> RowMajor:
    """BatchNorm folded as the fast twin folds it, but every tensor kept in the row-major (NCHW) layout."""
    shared = {id(t): t for t in (*model.net.parameters(), *model.net.buffers())}
    net = fold_pairs(copy.deepcopy(model.net, shared), conv_bn_pairs(model, trial, [layer]), channels_last=False)
    return RowMajor(model, net, "fp32")


@contextlib.contextmanager
def stepping_on(twin):
    """dream(dl.faster(model)) stepping on ``twin`` instead of the fast twin it would make."""
    real = dreamlib.prepare.twin_for
    dreamlib.prepare.twin_for = lambda *args, **kwargs: twin
    try:
        yield
    finally:
        dreamlib.prepare.twin_for = real


def cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    return torch.nn.functional.cosine_similarity(a.flatten().double(), b.flatten().double(), dim=0).item()


def main() -> None:  # noqa: C901 (one branch per command-line option)
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--steps", type=int, default=10, help="steps per octave")
    p.add_argument("--octaves", type=int, default=4)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--layers", nargs="+", default=["Mixed_6c"])
    p.add_argument("--device", default="auto")
    p.add_argument(
        "--huge",
        type=int,
        default=8192,
        help="also measure `dreamlib dream` on a JPEG of this size, tiled, 4 octaves x 1 step (0: skip)",
    )
    p.add_argument(
        "--emulate-avx2",
        action="store_true",
        help="run torch's CPU kernels as on an AVX2-only CPU (oneDNN, ATen and MKL limited to AVX2)",
    )
    args = p.parse_args()
    if args.emulate_avx2 and any(os.environ.get(k) != v for k, v in AVX2_ENV.items()):
        os.execve(
            sys.executable, [sys.executable, *sys.argv], {**os.environ, **AVX2_ENV}
        )  # must be set before torch loads
    device = dl.resolve_device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True

    torch.manual_seed(0)
    reference = torchvision.models.inception_v3(weights=None, aux_logits=True, init_weights=True)
    state = reference.state_dict()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "random_inception_v3.pth"
        torch.save(state, path)
        model = dl.load_model("inception_v3", weights=str(path), device=str(device))
    baseline = TutorialDreamer(state)
    baseline.net.to(device)
    photo = dl.sample_image("chelsea", max_size=None)  # 451x300, enlarged to --size on the long side
    h, w = photo.shape[2:]
    h, w = (round(h * args.size / max(h, w)), round(w * args.size / max(h, w)))
    image = dl.resize(photo, (h, w)).to(device)
    say("probing precision (precision='auto')")
    auto = dl.resolve_precision("auto", device)
    mean, std = dl.models.IMAGENET_MEAN, dl.models.IMAGENET_STD
    normalised = ((image.cpu() - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)).to(device)

    print(
        f"# machine: {cpu_description()}, {os.cpu_count()} cores, torch {torch.__version__}, "
        f"device {device} ({torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu'}), "
        f"threads {torch.get_num_threads()}, auto precision = {auto}, CPU kernels: "
        f"{torch.backends.cpu.get_cpu_capability()}{' (AVX2 emulated)' if args.emulate_avx2 else ''}"
    )
    print(f"# image {w}x{h}, {args.octaves} octaves x 1.4, {args.steps} steps per octave, median of {args.repeats}")
    say("measuring the matmul peak")
    peaks = {dt: matmul_peak(dt, device) for dt in (torch.float32, torch.bfloat16)}
    print(f"# matmul peak: fp32 {peaks[torch.float32]:.0f} GFLOP/s, bf16 {peaks[torch.bfloat16]:.1f} GFLOP/s\n")
    emulated = peaks[torch.bfloat16] < peaks[torch.float32] / 4  # no native bf16: its dreams would take many minutes
    if emulated:
        print(
            "# bf16 is emulated here (matmul peak under a quarter of fp32's): bf16 is timed per step only, "
            "and auto is checked against the step times"
        )

    rows = []
    for layer in args.layers:
        objective = dl.layer_mean(layer)
        trial = image[:, :, :64, :64]
        fast = fast_model(model, [layer], trial, "fp32")
        # name: (what a step runs on, what dream() runs: True = dl.faster(model) stepping on it, False = model)
        variants = {
            "dreamlib, the network as built (fp32)": (model, False),
            "dreamlib, dl.faster, fp32": (fast, True),
            "faster, fp32, without BatchNorm folding": (FastModel(model, model.net, "fp32"), True),
            "faster, fp32, without channels-last": (folded_row_major(model, layer, trial), True),
            "dreamlib, dl.faster, bf16": (fast_model(model, [layer], trial, "bf16"), True),
        }
        dream_variants = {
            k: v for k, v in variants.items() if not (emulated and v[0].__dict__.get("precision") == "bf16")
        }

        def step_of(net, _):
            return lambda: dl.ascent_step(net, image, objective)

        def dream_of(net, fast_on):
            def run():
                with stepping_on(net) if fast_on else contextlib.nullcontext():
                    return dl.dream(
                        dl.faster(model, net.precision) if fast_on else model,
                        image,
                        layer,
                        octaves=args.octaves,
                        steps=args.steps,
                        seed=0,
                        progress=False,
                    )

            return run

        steps = {"baseline": lambda: baseline.step(normalised, layer), **{k: step_of(*v) for k, v in variants.items()}}
        dreams = {
            "baseline": lambda: baseline.dream(image, layer, args.octaves, 1.4, args.steps),
            **{k: dream_of(*v) for k, v in dream_variants.items()},
        }
        say(f"{layer}: timing one step of each method ({max(5, args.repeats)} alternating rounds)")
        step_times = {k: [] for k in steps}
        for fn in steps.values():
            fn()  # warm-up
        for r in range(max(5, args.repeats)):
            for k, fn in steps.items():
                if r == 0 or not (emulated and "bf16" in k):  # emulated bf16: one timed step is plenty
                    step_times[k].append(timed(fn, device)[0])
        flops = {k: gradient_flops(v[0], image, objective) for k, v in variants.items()}
        flops["baseline"] = flops_of(steps["baseline"])
        e2e = {k: [] for k in dreams}
        mem = {k: 0 for k in dreams}
        outputs = {}
        for r in range(args.repeats):
            for k, fn in dreams.items():  # alternating runs
                say(f"{layer}: end-to-end round {r + 1}/{args.repeats}: {k}")
                t, outputs[k] = timed(fn, device)
                e2e[k].append(t)
        for k, fn in dreams.items():  # memory in a run of its own: the sampling thread would slow the timed ones
            say(f"{layer}: peak memory: {k}")
            with PeakMemory(device) as pm:
                fn()
            mem[k] = pm.peak
        base_t = statistics.median(e2e["baseline"])
        grads = {k: dl.image_gradient(v[0], image, objective)[0] for k, v in variants.items()}
        plain_key, fast_key, bf16_key = list(variants)[0], list(variants)[1], list(variants)[4]
        for k in steps:
            st = statistics.median(step_times[k])
            t = statistics.median(e2e[k]) if k in e2e else float("nan")
            peak = peaks[torch.bfloat16 if "bf16" in k else torch.float32]
            rows.append((layer, k, st, t, base_t / t, mem.get(k, 0) / 2**20, flops[k] / st / 1e9, peak))
        if emulated:
            how, fp32_t, bf16_t = (
                "per step",
                statistics.median(step_times[fast_key]),
                statistics.median(step_times[bf16_key]),
            )
        else:
            how, fp32_t, bf16_t = "end to end", statistics.median(e2e[fast_key]), statistics.median(e2e[bf16_key])
        faster = "bf16" if bf16_t < fp32_t else "fp32"
        print(
            f"# {layer}: auto chose {auto}; measured {how} here fp32 {fp32_t:.2f} s, bf16 {bf16_t:.2f} s: "
            f"faster = {faster} -> auto {'AGREES' if auto == faster else 'DISAGREES'}"
        )
        print(
            f"# {layer}: dl.faster buys {statistics.median(e2e[plain_key]) / statistics.median(e2e[fast_key]):.2f}x "
            f"end to end in fp32; input-gradient cosine vs the network as built: fast fp32 "
            f"{cosine(grads[fast_key], grads[plain_key]):.6f}, bf16 {cosine(grads[bf16_key], grads[plain_key]):.4f}; "
            f"mean |pixel difference| of the fp32 dreams, fast vs not: "
            f"{(outputs[fast_key] - outputs[plain_key]).abs().mean().item():.2e}"
        )

    print(
        "\n| layer | method | step (full size) | end-to-end | speed-up vs baseline | peak extra memory "
        "| step GFLOP/s (of matmul peak) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for layer, k, st, t, ratio, mb, gflops, peak in rows:
        e2e_cells = f"{t:.1f} s | {ratio:.2f}x | {mb:.0f} MiB" if t == t else "not run (emulated bf16) | - | -"
        print(
            f"| {layer} | {k} | {st * 1000:.0f} ms | {e2e_cells} | {gflops:.0f} ({gflops / peak:.0%} of {peak:.0f}) |"
        )
    best = max((r for r in rows if r[3] == r[3]), key=lambda r: r[4])
    print(
        f"\n# fastest: {best[1]} at {best[0]}, {best[4]:.2f}x the tutorial's method end to end, "
        f"{best[6] / best[7]:.0%} of the measured {('bf16' if 'bf16' in best[1] else 'fp32')} matmul peak per step"
    )
    if args.huge:
        import subprocess

        say(f"`dreamlib dream` on a {args.huge}x{args.huge} JPEG, tiled, 4 octaves x 1 step (progress per tile below)")
        huge = Path(__file__).resolve().parent / "huge.py"
        done = subprocess.run(
            [sys.executable, str(huge), "--size", str(args.huge), "--octaves", "4", "--precision", auto],
            stdout=subprocess.PIPE,
            text=True,
        )
        print(
            "# tiled dream (fresh process, peak resident memory = ru_maxrss):",
            (done.stdout or f"failed with exit code {done.returncode}").strip().splitlines()[-1],
        )
    say("done")


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dl.DreamWarning)
        start = time.perf_counter()
        main()
        print(f"# benchmark took {time.perf_counter() - start:.0f} s")
