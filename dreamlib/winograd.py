"""Winograd convolutions: the same 3x3 and 5x5 convolutions with fewer multiplications, for fp32 on CPUs.

In fp32 on a CPU a dream step's convolutions already run at the machine's matrix
multiplication peak, so the only way to make them faster is to multiply less.
Winograd's F(4x4, 3x3) algorithm (Lavin & Gray 2016, arXiv:1509.09308) computes each
4x4 block of a 3x3 convolution's output with 36 multiplications per channel pair
instead of 144 (F(2x2, 5x5): 36 instead of 100 per 2x2 block): transform 6x6 input
blocks, do 36 matrix products (``torch.bmm``), transform back. The transforms are a
small C file (``_winograd.c``) compiled once per machine with the system's C compiler
and kept next to the precision cache (``~/.cache/dreamlib``), after a trial run in a
child process; the results agree with ``F.conv2d`` to about 1e-5 relative.

:func:`use_winograd` switches the eligible convolutions of :func:`dreamlib.fold.folded_twin`'s
copy to it (3x3 or 5x5, stride 1, no groups, float32 on the CPU), forward and input
gradient, where a one-time measurement (:func:`probe_winograd`: a dream-like stack of
convolutions, with and without; cached per machine like the precision probe) finds a
step at least ``MIN_SPEEDUP`` times faster. Under bf16 autocast, on other devices, or
with no C compiler the ordinary convolution runs; ``DREAMLIB_WINOGRAD=0`` turns it off
(``=all``: on, unmeasured). :func:`status` says which, and why. Scratch memory: two
buffers of at most ``KEEP_BYTES`` per thread, kept for reuse. Measured in
``benchmarks/README.md``; taught in notebook 03.
"""

from __future__ import annotations

import copy
import ctypes
import hashlib
import math
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import torch
from torch import nn
from torch.autograd.function import once_differentiable

from .precision import _disk_cache_on, _read_cache, cache_file, he_conv, machine_key, remember

ENV = "DREAMLIB_WINOGRAD"
SOURCE = Path(__file__).with_name("_winograd.c")
MIN_SPEEDUP = 1.05  # the probe's step must take at most 1/1.05 of its time without Winograd
PROBE_VERSION = 2  # cached answers of another version of the probe are measured again

# Kernel transforms G (6 x r) for 6x6 tiles with the points 0, 1, -1, 2, -2 and infinity: row i is
# f_i * (1, p_i, p_i**2, ...), the last row picks the highest coefficient. The input and output transforms
# (B^T and A^T) are in _winograd.c; the input transform is the same for both kernel sizes.
_POINTS, _SCALES = (0, 1, -1, 2, -2), (1 / 4, -1 / 6, -1 / 6, 1 / 24, 1 / 24)
G = {r: torch.tensor([[f * p**j for j in range(r)] for p, f in zip(_POINTS, _SCALES)] + [[0] * (r - 1) + [1]],
                     dtype=torch.float64) for r in (3, 5)}
OUTPUTS = {3: 4, 5: 2}  # kernel size -> output tile size (6 - r + 1)

_lib: ctypes.CDLL | None = None
_why_not = ""  # why there is no compiled library, once we have tried
_tried = False
_lock = threading.Lock()


def _off() -> bool:
    return os.environ.get(ENV, "1").strip().lower() in {"0", "false", "no", "off"}


def _flags() -> list[str]:
    """AVX2 and FMA where torch's own kernels use them (the transforms work on 8 floats at a time): named
    instruction sets only, never ``-march=native``, so a library can only use what torch already relies on."""
    if platform.machine().lower() in {"x86_64", "amd64"} and torch.backends.cpu.get_cpu_capability() in {"AVX2", "AVX512"}:
        return ["-mavx2", "-mfma"]
    return []


# Runs the freshly built library once in a child process before this one loads it: a library that crashes
# (an instruction this CPU lacks, a broken compiler) costs a failed test run, not the user's Python session.
_SMOKE_TEST = """
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
p, i, l = ctypes.c_void_p, ctypes.c_int, ctypes.c_long
lib.input_transform.argtypes = [p, i, i, i, i, i, i, i, i, i, i, i, l, p, p]
lib.output_transform.argtypes = [p, i, i, i, i, i, i, i, i, i, l, p, p]
x, v, z = (ctypes.c_float * (6 * 6 * 9))(*range(324)), (ctypes.c_float * (36 * 9))(), (ctypes.c_float * 9)()
lib.input_transform(x, 6, 6, 9, 0, 0, 1, 1, 4, 0, 1, 0, 1, v, z)
y = (ctypes.c_float * (4 * 4 * 9))()
lib.output_transform(v, 4, 4, 9, 1, 1, 4, 0, 1, 0, 1, None, y)
lib.output_transform(v, 2, 2, 9, 1, 1, 2, 0, 1, 0, 1, None, y)
"""


def _compile() -> ctypes.CDLL:
    """Compile ``_winograd.c`` (once per machine, source and flags) and load it; raises ``OSError`` with the reason."""
    if sys.platform not in ("linux", "darwin"):
        raise OSError(f"not built on {sys.platform} (Linux and macOS only)")
    cc = shlex.split(os.environ.get("CC", ""))  # may be a command with arguments ("ccache gcc")
    if not cc and sys.platform == "darwin" and subprocess.run(["xcode-select", "-p"], capture_output=True).returncode:
        # without the command line tools, macOS's cc would open an installer window instead of compiling
        raise OSError("no C compiler found (install Xcode's command line tools: xcode-select --install, or set CC)")
    cc = cc or [shutil.which("cc") or shutil.which("gcc") or shutil.which("clang") or ""]
    if not cc[0]:
        raise OSError("no C compiler found (install gcc, or set CC)")
    source = SOURCE.read_bytes()
    flags = ["-O3", "-shared", "-fPIC", *_flags()]
    # per machine too: a home folder shared by different CPUs must not hand one a library built for another
    what = " ".join([*cc, *flags, machine_key(torch.device("cpu"))])
    key = hashlib.sha256(source + what.encode()).hexdigest()[:16]
    folder = cache_file().parent
    target = folder / f"winograd-{key}.so"
    if target.exists():
        try:
            return _load(target)
        except (OSError, AttributeError):  # damaged: build it again
            pass
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(".winograd-*"):  # left by a process killed while compiling
            if time.time() - old.stat().st_mtime > 3600:
                shutil.rmtree(old, ignore_errors=True)
        build = Path(tempfile.mkdtemp(prefix=".winograd-", dir=folder))
    except OSError:  # no writable cache: build for this process only
        build = target = Path(tempfile.mkdtemp(prefix="dreamlib-winograd-"))
    try:
        out = build / "winograd.so"
        try:
            done = subprocess.run([*cc, *flags, "-o", str(out), str(SOURCE)], capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.SubprocessError) as exc:
            raise OSError(f"compiling {SOURCE.name} with {' '.join(cc)} failed: {exc}") from None
        if done.returncode != 0 or not out.exists():
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise OSError(f"compiling {SOURCE.name} with {' '.join(cc)} failed: {last}")
        try:
            ran = subprocess.run([sys.executable, "-c", _SMOKE_TEST, str(out)], capture_output=True, timeout=120)
        except (OSError, subprocess.SubprocessError) as exc:
            raise OSError(f"the compiled transforms could not be tried: {exc}") from None
        if ran.returncode != 0:
            raise OSError(f"the compiled transforms failed a trial run (exit status {ran.returncode})")
        if target == build:
            return _load(out)  # loaded, so the file may go with its folder
        os.replace(out, target)  # atomic: another process sees no file or a whole one
        return _load(target)
    finally:
        shutil.rmtree(build, ignore_errors=True)


def _load(path: Path) -> ctypes.CDLL:
    lib = ctypes.CDLL(str(path))
    p, i, n = ctypes.c_void_p, ctypes.c_int, ctypes.c_long
    lib.input_transform.argtypes = [p, i, i, i, i, i, i, i, i, i, i, i, n, p, p]
    lib.output_transform.argtypes = [p, i, i, i, i, i, i, i, i, i, n, p, p]
    lib.input_transform.restype = lib.output_transform.restype = None
    return lib


def library() -> ctypes.CDLL | None:
    """The compiled transforms, or None (then :func:`status` says why). Compiled at most once per process."""
    global _lib, _why_not, _tried
    if _tried:  # every convolution asks: no lock once the answer is known
        return _lib
    with _lock:
        if not _tried:
            try:
                _lib = _compile()
            except (OSError, AttributeError) as exc:
                _why_not = str(exc)
            _tried = True  # only now: a thread that skips the lock must see the finished answer
    return _lib


_pool: ThreadPoolExecutor | None = None
_pool_key: tuple[int, int] = (0, 0)


PARALLEL_FROM = 2**20  # transformed values; fewer run on one thread (handing work over costs more than it saves)


def _parallel(fn, first: int, last: int, size: int) -> None:
    """Run ``fn(r0, r1)`` over tile rows ``[first, last)``, split across torch's thread count (ctypes releases
    the GIL) when they hold at least ``PARALLEL_FROM`` transformed values (``size``)."""
    rows = last - first
    n = max(1, min(torch.get_num_threads(), rows)) if size >= PARALLEL_FROM else 1
    if n == 1:
        fn(first, last)
        return
    global _pool, _pool_key
    if _pool is None or _pool_key != (os.getpid(), n):  # a forked child gets a pool of its own
        _pool, _pool_key = ThreadPoolExecutor(n, thread_name_prefix="dreamlib-winograd"), (os.getpid(), n)
    step = math.ceil(rows / n)
    for future in [_pool.submit(fn, r, min(last, r + step)) for r in range(first, last, step)]:
        future.result()


KEEP_BYTES = 64 * 2**20  # the largest workspace buffer: bigger convolutions go through in chunks of tile rows
_workspace = threading.local()


def _buffer(slot: int, shape: tuple[int, ...]) -> torch.Tensor:
    """A float32 scratch tensor of ``shape`` (at most ``KEEP_BYTES``), reused between calls (per thread): freshly
    allocated pages are zeroed by the kernel on first touch, which costs a dream step several percent."""
    numel = math.prod(shape)
    buffers = getattr(_workspace, "buffers", None)
    if buffers is None:
        buffers = _workspace.buffers = [torch.empty(0), torch.empty(0)]
    if buffers[slot].numel() < numel:
        buffers[slot] = torch.empty(numel)
    return buffers[slot][:numel].view(shape)


def kernel_transform(weight: torch.Tensor) -> torch.Tensor:
    """3x3 or 5x5 kernels ``(out, in, r, r)`` -> the 36 matrices ``(36, in, out)`` the products multiply by
    (``G g G^T``)."""
    g = G[weight.shape[-1]]
    u = g @ weight.detach().double().cpu() @ g.T
    return u.permute(2, 3, 1, 0).reshape(36, weight.shape[1], weight.shape[0]).float().contiguous()


def winograd_conv2d(
    x: torch.Tensor, u: torch.Tensor, bias: torch.Tensor | None, padding: tuple[int, int], size: int = 3
) -> torch.Tensor:
    """A 3x3 or 5x5 (``size``), stride-1 convolution of ``x`` (N, C, H, W; float32, CPU) by the transformed
    kernels ``u``.

    The same as ``F.conv2d(x, weight, bias, padding=padding)`` with ``u = kernel_transform(weight)``, up to
    float rounding; the output is channels-last when ``x`` is, else contiguous. Needs :func:`library`.
    """
    lib = library()
    if lib is None:
        raise RuntimeError(f"Winograd convolutions are not available: {_why_not}")
    n, c, h, w = x.shape
    k = u.shape[2]
    ph, pw = padding
    step = OUTPUTS[size]
    ho, wo = h + 2 * ph - size + 1, w + 2 * pw - size + 1
    layout = torch.channels_last if x.is_contiguous(memory_format=torch.channels_last) else torch.contiguous_format
    x = x.contiguous(memory_format=torch.channels_last)
    th, tw = -(-ho // step), -(-wo // step)
    rows = n * th
    chunk = max(1, min(rows, KEEP_BYTES // (36 * tw * max(c, k) * 4)))  # tile rows per pass: bounded scratch
    y = torch.empty(n, k, ho, wo, memory_format=torch.channels_last)
    zeros = torch.zeros(c)
    b = bias.detach().float().contiguous() if bias is not None else None
    for r0 in range(0, rows, chunk):
        r1 = min(rows, r0 + chunk)
        t = (r1 - r0) * tw
        v = _buffer(0, (36, t, c))
        _parallel(lambda a, z: lib.input_transform(x.data_ptr(), h, w, c, ph, pw, th, tw, step, a, z, r0, t,
                                                   v.data_ptr(), zeros.data_ptr()), r0, r1, 36 * t * c)
        m = torch.bmm(v, u, out=_buffer(1, (36, t, k)))
        _parallel(lambda a, z: lib.output_transform(m.data_ptr(), ho, wo, k, th, tw, step, a, z, r0, t,
                                                    b.data_ptr() if b is not None else None, y.data_ptr()),
                  r0, r1, 36 * t * k)
    return y if layout == torch.channels_last else y.contiguous()


class _WinogradConv(torch.autograd.Function):
    """Forward and input gradient by Winograd (the input gradient of an r x r convolution is one too: the kernels
    flipped and transposed, padding ``r - 1 - p``); weight and bias gradients, if ever asked for, the usual way."""

    @staticmethod
    def forward(ctx, x, weight, bias, conv):
        # what backward needs, as it is now: the weights may change before it runs
        ctx.u_back, ctx.padding, ctx.size, ctx.weight_shape = conv._winograd[1], conv.padding, conv.kernel_size[0], weight.shape
        ctx.save_for_backward(x if weight.requires_grad else None)
        return winograd_conv2d(x, conv._winograd[0], bias, conv.padding, conv.kernel_size[0])

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        gx = gw = gb = None
        r, (ph, pw) = ctx.size, ctx.padding
        if ctx.needs_input_grad[0]:
            gx = winograd_conv2d(grad, ctx.u_back, None, (r - 1 - ph, r - 1 - pw), r)
        if ctx.needs_input_grad[1]:
            gw = torch.nn.grad.conv2d_weight(x, ctx.weight_shape, grad, padding=ctx.padding)
        if ctx.needs_input_grad[2]:
            gb = grad.sum((0, 2, 3))
        return gx, gw, gb, None


def _autocast_on() -> bool:
    try:
        return torch.is_autocast_enabled("cpu")
    except TypeError:  # torch before 2.4
        return torch.is_autocast_cpu_enabled()


def _forward(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    w = conv.weight
    if (x.dim() != 4 or x.device.type != "cpu" or x.dtype != torch.float32 or w.dtype != torch.float32
            or w.device.type != "cpu" or w.is_inference() or _autocast_on()
            or min(x.shape[2] + 2 * conv.padding[0], x.shape[3] + 2 * conv.padding[1]) < conv.kernel_size[0]):
        return type(conv).forward(conv, x)
    if conv._winograd_key != _weights_key(w):  # first call, or the weights were changed or replaced: transform
        _transform(conv)
    return _WinogradConv.apply(x, w, conv.bias, conv)


def _weights_key(w: torch.Tensor) -> tuple:
    return id(w), w.data_ptr(), w._version  # ``weight.data = ...`` keeps the version but changes the pointer


def _transform(conv: nn.Conv2d) -> None:
    w = conv.weight.detach()
    conv._winograd = (kernel_transform(w), kernel_transform(w.flip(2, 3).transpose(0, 1)))
    conv._winograd_key = _weights_key(conv.weight)


def eligible(module: nn.Module) -> bool:
    """A convolution these Winograd transforms compute: 3x3 or 5x5, stride 1, no dilation or groups, zero padding
    of at most ``size - 1``, float32 weights on the CPU, at least 8 channels in and out."""
    return (type(module) is nn.Conv2d and module.kernel_size in ((3, 3), (5, 5)) and module.stride == (1, 1)
            and module.dilation == (1, 1) and module.groups == 1 and module.padding_mode == "zeros"
            and isinstance(module.padding, tuple) and all(0 <= p < module.kernel_size[0] for p in module.padding)
            and module.weight.dtype == torch.float32 and module.weight.device.type == "cpu"
            and min(module.in_channels, module.out_channels) >= 8)


def use_winograd(net: nn.Module, skip: set[int] = frozenset(), on: bool | None = None) -> int:
    """Make the eligible convolutions of ``net`` (in place; meant for a copy) run by Winograd; returns how many.

    ``on``: whether to (default: where :func:`enabled` finds it faster). Modules whose ``id`` is in ``skip``
    are left alone; nothing changes when the library cannot be compiled. Kernels are transformed at a
    convolution's first Winograd call, so convolutions that never run (or run in bf16) cost no memory.
    """
    if not (enabled() if on is None else on) or library() is None:
        return 0
    count = 0
    for module in net.modules():
        if id(module) not in skip and eligible(module):
            module._winograd_key = None
            module.forward = types.MethodType(_forward, module)
            count += 1
    return count


def _probe_net() -> nn.Module:
    """InceptionV3's stem and a Mixed_5 block's 3x3 and 5x5 convolutions, with their pooling and 1x1 convolutions
    between (what a dream step's fp32 time goes to), He-initialised."""
    g = torch.Generator().manual_seed(0)

    def conv(cin, cout, k, stride=1, padding=0):
        return [he_conv(cin, cout, (k, k), g, stride=stride, padding=padding), nn.ReLU()]

    pool = [nn.MaxPool2d(3, 2)]
    layers = [*conv(3, 32, 3, 2), *conv(32, 32, 3), *conv(32, 64, 3, padding=1), *pool, *conv(64, 80, 1),
              *conv(80, 192, 3), *pool, *conv(192, 64, 1), *conv(64, 96, 3, padding=1), *conv(96, 96, 3, padding=1),
              *conv(96, 48, 1), *conv(48, 64, 5, padding=2)]
    return nn.Sequential(*layers).requires_grad_(False).eval().to(memory_format=torch.channels_last)


def probe_winograd(size: int = 192, repeats: int = 9, budget_s: float = 2.0) -> float:
    """How many times faster a dream-like step is with Winograd convolutions than without: forward and input
    gradient through :func:`_probe_net` on a ``size`` px image, best of alternating runs, with torch's thread
    count (the transforms share it). A whole stack, not one convolution: what counts is the step, and a
    convolution that wins alone can lose in a network (its scratch evicts its neighbours' data from the cache)."""
    direct = _probe_net()
    fast = copy.deepcopy(direct)
    if not use_winograd(fast, on=True):
        return 0.0
    x0 = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(1))
    x0 = x0.contiguous(memory_format=torch.channels_last)

    def run(net):
        x = x0.clone().requires_grad_(True)
        start = time.perf_counter()
        torch.autograd.grad(net(x).square().mean(), x)
        return time.perf_counter() - start

    run(direct), run(fast)  # set-up costs (kernel selection, scratch) not counted
    times: dict[str, list[float]] = {"direct": [], "winograd": []}
    start = time.perf_counter()
    for i in range(repeats):
        if i >= 3 and time.perf_counter() - start > budget_s:
            break
        times["direct"].append(run(direct))
        times["winograd"].append(run(fast))
    return min(times["direct"]) / min(times["winograd"])


def _cache_path() -> Path:
    return cache_file().with_name("winograd.json")


_decided: dict[str, bool] = {}
_probe_failed = ""  # why the probe failed, if it did


def enabled(probe: Callable[[], float] | None = None) -> bool:
    """Whether Winograd convolutions pay on this machine: :func:`probe_winograd` finds a step at least
    ``MIN_SPEEDUP`` times faster with them. Measured once, cached for the process and on disk per machine (as the
    precision probe is). ``DREAMLIB_WINOGRAD=0``: no; ``=all``: yes, unmeasured. A ``probe`` passed in (tests
    inject timings this way) is always called and nothing is cached."""
    global _probe_failed
    if _off() or library() is None:
        return False
    if os.environ.get(ENV, "").strip().lower() == "all":
        return True
    if probe is not None:
        return probe() >= MIN_SPEEDUP
    key = machine_key(torch.device("cpu"))
    if key in _decided:
        return _decided[key]
    path, disk = _cache_path(), _disk_cache_on()
    entry = _read_cache(path).get(key) if disk else None
    if isinstance(entry, dict) and isinstance(entry.get("speedup"), (int, float)) and entry.get("version") == PROBE_VERSION:
        speedup = float(entry["speedup"])
    else:
        try:
            speedup = probe_winograd()
        except Exception as exc:  # noqa: BLE001 - whatever went wrong, the ordinary convolutions still work
            _probe_failed = f"{type(exc).__name__}: {exc}"
            _decided[key] = False
            return False
        if disk:
            remember(path, key, {"speedup": round(speedup, 3), "version": PROBE_VERSION})
    _decided[key] = speedup >= MIN_SPEEDUP
    return _decided[key]


def status() -> str:
    """One line: whether fp32 convolutions on this CPU use Winograd, and why (or why not)."""
    if _off():
        return f"off ({ENV}={os.environ[ENV]})"
    if library() is None:
        return f"off: {_why_not}"
    if enabled():
        return "on: 3x3 and 5x5 convolutions in fp32 on the CPU" + ("" if os.environ.get(ENV, "").strip().lower() == "all"
                                                                    else " (measured faster here)")
    if _probe_failed:
        return f"off: its measurement failed ({_probe_failed})"
    return "off: not faster than torch's convolutions on this CPU (measured)"
