"""Which precision is faster *here*: a short, one-time measurement behind ``precision="auto"`` (part of ``fast``).

Capability flags do not say which precision is faster. On an AVX2-only CPU bf16
convolutions are emulated and run many times slower than fp32; on a CPU with
AVX512-BF16 (AMD Zen4) or AMX (Intel Sapphire Rapids and later) they are faster;
on NVIDIA GPUs from Ampere (sm80) on they use tensor cores. So ``"auto"`` asks
the machine: :func:`probe_precision` runs a few InceptionV3-like convolutions
forward and backward (to the input, as a dream step does) in fp32 and in bf16
autocast, alternating, and compares the times and the input gradients.
:func:`choose_precision` picks bf16 only when it is clearly faster
(``fp32 time / bf16 time >= BF16_MIN_SPEEDUP``) **and** its input gradient points
the same way as fp32's (cosine >= ``BF16_MIN_COSINE``).

The answer is cached for the process, and on disk per machine (CPU model and
flags or GPU name, torch version) in ``$XDG_CACHE_HOME/dreamlib``
(default ``~/.cache/dreamlib``), so the probe runs once per machine; a missing,
unreadable or corrupt cache file is ignored and rewritten. ``DREAMLIB_PROBE_CACHE=0``
turns the disk cache off; ``DREAMLIB_PRECISION=fp32`` (or ``bf16``) skips the probe and makes ``"auto"`` that
precision. Measured in ``benchmarks/README.md``.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from ..config import cache_dir, cpu_isa_limit, forced_precision, probe_cache_on
from ..errors import DreamError

PRECISIONS = ("auto", "fp32", "bf16")
BF16_MIN_SPEEDUP = 1.2  # bf16 must take at most 1/1.2 of fp32's time: a clear gain, not noise
BF16_MIN_COSINE = 0.9  # its input gradient must agree with fp32's
CACHE_VERSION = 1


@dataclass(frozen=True)
class ProbeResult:
    """What :func:`probe_precision` measured: best fp32 and bf16 step times (s), gradient cosine."""

    fp32_s: float
    bf16_s: float
    cosine: float

    @property
    def speedup(self) -> float:
        """How many times faster bf16 is than fp32 (below 1: slower)."""
        return self.fp32_s / self.bf16_s if self.bf16_s > 0 else 0.0


def choose_precision(result: ProbeResult) -> str:
    """``"bf16"`` if it is clearly faster and its gradient agrees with fp32's, else ``"fp32"``."""
    ok = result.speedup >= BF16_MIN_SPEEDUP and result.cosine >= BF16_MIN_COSINE
    return "bf16" if ok else "fp32"


def he_conv(cin: int, cout: int, kernel: tuple[int, int], generator: torch.Generator, **options) -> nn.Conv2d:
    """A probe's convolution: He-initialised from ``generator`` (activations keep their scale through a stack; the
    global random numbers are untouched), zero bias. ``options``: ``stride``, ``padding``."""
    conv = nn.utils.skip_init(nn.Conv2d, cin, cout, kernel, **options)
    with torch.no_grad():
        conv.weight.copy_(
            torch.randn(conv.weight.shape, generator=generator) * (2.0 / (cin * kernel[0] * kernel[1])) ** 0.5
        )
        conv.bias.zero_()
    return conv


def _probe_net() -> nn.Module:
    """A few convolutions with the channel counts and kernel shapes of InceptionV3's middle blocks."""
    g = torch.Generator().manual_seed(0)
    layers = []
    for cin, cout, k, stride in (
        (3, 32, 3, 2),
        (32, 64, 3, 1),
        (64, 80, 1, 1),
        (80, 192, 3, 1),
        (192, 64, 1, 1),
        (64, 96, 3, 1),
        (96, 128, (1, 7), 1),
        (128, 192, (7, 1), 1),
    ):
        kh, kw = (k, k) if isinstance(k, int) else k
        layers += [he_conv(cin, cout, (kh, kw), g, stride=stride, padding=(kh // 2, kw // 2)), nn.ReLU()]
    for p in (net := nn.Sequential(*layers)).parameters():
        p.requires_grad_(False)
    return net.eval()


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def probe_precision(device: torch.device, size: int = 64, repeats: int = 15, budget_s: float = 1.0) -> ProbeResult:
    """Time a few convolutions forward + input-gradient backward in fp32 and bf16 autocast on ``device``.

    ``size``: the probe image's side (64 px: feature maps of 32x32, the size class of
    a 512 px dream's middle layers). Runs alternate between the precisions, up to ``repeats``
    pairs or ``budget_s`` seconds, and the best time of each counts (other programs on the
    machine only ever add time); when bf16 is over 10x slower on its first run (emulated),
    the probe stops early. Takes about a second.
    """
    device = torch.device(device)
    net = _probe_net().to(device=device, memory_format=torch.channels_last)
    image = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(0))
    image = image.to(device).contiguous(memory_format=torch.channels_last)

    def step(precision: str) -> tuple[float, torch.Tensor]:
        x = image.detach().requires_grad_(True)
        _sync(device)
        start = time.perf_counter()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
            out = net(x)
        (grad,) = torch.autograd.grad(out.float().pow(2).mean(), x)
        _sync(device)
        return time.perf_counter() - start, grad

    threads = torch.get_num_threads()
    if device.type == "cpu":
        torch.set_num_threads(1)  # per-core speed: the ratio we need, and far less upset by other busy programs
    try:
        with torch.enable_grad():  # the first dream asks from inside torch.no_grad() (prepare's probe of the model)
            return _measure(step, repeats, budget_s)
    finally:
        torch.set_num_threads(threads)


def _measure(step, repeats: int, budget_s: float) -> ProbeResult:
    times: dict[str, list[float]] = {"fp32": [], "bf16": []}
    grads = {}
    for precision in times:  # first runs: set-up costs (kernel selection), not counted
        t, grads[precision] = step(precision)
        times[precision].append(t)
    if times["bf16"][0] > 10 * times["fp32"][0]:  # emulated bf16: no need to measure it any further
        return ProbeResult(times["fp32"][0], times["bf16"][0], _cosine(grads["bf16"], grads["fp32"]))
    times = {"fp32": [], "bf16": []}
    start = time.perf_counter()
    for i in range(repeats):
        if i >= 3 and time.perf_counter() - start > budget_s:
            break
        for precision in times:
            times[precision].append(step(precision)[0])
    return ProbeResult(min(times["fp32"]), min(times["bf16"]), _cosine(grads["bf16"], grads["fp32"]))


def _cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.flatten().double(), b.flatten().double()
    denom = a.norm() * b.norm()
    return float((a @ b) / denom) if denom > 0 else 0.0


def cpu_info() -> dict[str, str]:
    """The first processor's fields from ``/proc/cpuinfo`` (``model name``, ``flags``, ...); ``{}`` where there is
    none (not Linux)."""
    fields: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    return fields


def machine_key(device: torch.device) -> str:
    """What the probe's answer depends on: the processor (model and flags) or GPU, the instruction sets torch's
    kernels are allowed to use, and the torch version."""
    device = torch.device(device)
    if device.type == "cuda":
        what = f"{torch.cuda.get_device_name(device)}|sm{''.join(map(str, torch.cuda.get_device_capability(device)))}"
    else:
        fields = cpu_info()
        what = f"{fields.get('model name', platform.processor() or platform.machine())}|{fields.get('flags', '')}"
        # the instruction sets torch's kernels may use (ATEN_CPU_CAPABILITY, ONEDNN_MAX_CPU_ISA can lower them)
        what += f"|{torch.backends.cpu.get_cpu_capability()}|{cpu_isa_limit()}"
    digest = hashlib.sha256(f"{what}|torch {torch.__version__}".encode()).hexdigest()[:16]
    return f"{device.type}-{digest}"


def cache_file() -> Path:
    """Where the per-machine answers are kept: ``$XDG_CACHE_HOME/dreamlib/precision.json``."""
    return cache_dir() / "precision.json"


def _read_cache(path: Path) -> dict:
    """The cache file's entries, or ``{}`` if it is missing, unreadable, or not what we wrote."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION or not isinstance(data.get("machines"), dict):
        return {}
    return data["machines"]


def _cached_choice(entry) -> str | None:
    if isinstance(entry, dict) and entry.get("choice") in ("fp32", "bf16"):
        return entry["choice"]
    return None


def _write_cache(path: Path, machines: dict) -> None:
    """Write atomically (temporary file, then rename); a read-only home just means no disk cache."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".precision-", suffix=".json", dir=path.parent)
        with os.fdopen(fd, "w") as f:
            json.dump({"version": CACHE_VERSION, "machines": machines}, f, indent=1)
        os.replace(tmp, path)
    except OSError:
        pass


def remember(path: Path, key: str, answer: dict) -> None:
    """Add one machine's measured ``answer`` to the cache file at ``path`` (with the torch version and the time),
    keeping what other processes wrote meanwhile."""
    machines = _read_cache(path)
    machines[key] = {**answer, "torch": torch.__version__, "measured": time.strftime("%Y-%m-%d %H:%M:%S")}
    _write_cache(path, machines)


_process_cache: dict[str, str] = {}


def measured_precision(device: torch.device, probe: Callable[[torch.device], ProbeResult] | None = None) -> str:
    """The faster precision on ``device`` (cpu or cuda), by :func:`probe_precision`, cached.

    Without ``probe``, the answer is cached for the process and on disk (keyed by
    :func:`machine_key`), so the probe runs once per machine. A ``probe`` passed in
    (tests inject timings this way) is always called and nothing is cached.
    """
    device = torch.device(device)
    if probe is not None:
        return choose_precision(probe(device))
    key = machine_key(device)
    if key in _process_cache:
        return _process_cache[key]
    path, disk = cache_file(), probe_cache_on()
    choice = _cached_choice(_read_cache(path).get(key)) if disk else None
    if choice is None:
        result = probe_precision(device)
        choice = choose_precision(result)
        if disk:
            remember(path, key, {"choice": choice, **asdict(result), "speedup": round(result.speedup, 3)})
    _process_cache[key] = choice
    return choice


def resolve_precision(precision: str, device: torch.device) -> str:
    """Turn ``"auto"`` into ``"bf16"`` or ``"fp32"`` for ``device``; validate the others.

    ``"auto"`` on a CPU or a CUDA GPU is what ``DREAMLIB_PRECISION`` says where it is set to ``fp32`` or ``bf16``
    (one precision for every run, whatever the machine). Otherwise, on a CPU, or on a CUDA GPU of compute
    capability 8.0 or later (bf16 tensor cores; older GPUs stay in fp32 without asking), it is decided by
    :func:`measured_precision`: bf16 only where a short probe finds it clearly faster
    and its input gradient agrees with fp32's. Other devices (mps, meta) use fp32.
    ``"fp32"`` and ``"bf16"`` are taken as given. Behind ``dream(precision=...)`` (notebook 04's
    :func:`dreamlib.dream`); measured in ``benchmarks/README.md``.
    """
    if precision not in PRECISIONS:
        raise DreamError(f"unknown precision {precision!r}; use one of {', '.join(PRECISIONS)}")
    if precision != "auto":
        return precision
    forced, device = forced_precision(), torch.device(device)
    if device.type not in ("cpu", "cuda"):
        return "fp32"
    if forced is not None:
        return forced
    if device.type == "cuda" and torch.cuda.get_device_capability(device)[0] < 8:
        return "fp32"
    return measured_precision(device)


def autocast(precision: str, device: torch.device):
    """A context that runs a forward pass in bf16 autocast, or does nothing for fp32."""
    if precision == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return nullcontext()
