"""Winograd convolutions: the same 3x3 convolutions with a quarter of the multiplications, for fp32 on CPUs.

In fp32 on a CPU a dream step's convolutions already run at the machine's matrix
multiplication peak, so the only way to make them faster is to multiply less.
Winograd's F(4x4, 3x3) algorithm (Lavin & Gray 2016, arXiv:1509.09308) computes each
4x4 block of a 3x3 convolution's output with 36 multiplications per channel pair
instead of 144: transform 6x6 input blocks, do 36 matrix products (``torch.bmm``),
transform back. The transforms are a small C file (``_winograd.c``) compiled once per
machine with the system's C compiler and kept next to the precision cache
(``~/.cache/dreamlib``); the results agree with ``F.conv2d`` to about 1e-5 relative.

:func:`use_winograd` switches the eligible convolutions of :func:`dreamlib.fold.folded_twin`'s
copy to it (3x3, stride 1, no groups, float32 on the CPU), forward and input gradient,
where a one-time measurement (:func:`probe_winograd`, cached per machine like the
precision probe) finds it faster: narrow (fewer than 64 channels on a side) and wide
convolutions are judged separately. Under bf16 autocast, on other devices, or with no
C compiler the ordinary convolution runs; ``DREAMLIB_WINOGRAD=0`` turns it off (``=all``: on for every
eligible convolution, unmeasured).
:func:`status` says which, and why. Measured in ``benchmarks/README.md``; taught in notebook 03.
"""

from __future__ import annotations

import copy
import ctypes
import hashlib
import math
import os
import platform
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

from .precision import _disk_cache_on, _read_cache, _write_cache, cache_file, machine_key

ENV = "DREAMLIB_WINOGRAD"
SOURCE = Path(__file__).with_name("_winograd.c")
MIN_SPEEDUP = 1.1  # Winograd must take at most 1/1.1 of the direct convolution's time on the probe
WIDE = 64  # channels on both sides from which a convolution counts as wide

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
    """Compiler flags for the instruction sets torch's own kernels use here (AVX2 emulation stays AVX2)."""
    if platform.machine().lower() in {"x86_64", "amd64"}:
        capability = torch.backends.cpu.get_cpu_capability()
        return {"AVX512": ["-march=native"], "AVX2": ["-march=haswell", "-mtune=native"]}.get(capability, [])
    return []


def _compile() -> ctypes.CDLL:
    """Compile ``_winograd.c`` (once per machine, source and flags) and load it; raises ``OSError`` with the reason."""
    if sys.platform not in ("linux", "darwin"):
        raise OSError(f"not built on {sys.platform} (Linux and macOS only)")
    cc = os.environ.get("CC")
    if not cc and sys.platform == "darwin" and subprocess.run(["xcode-select", "-p"], capture_output=True).returncode:
        # without the command line tools, macOS's cc would open an installer window instead of compiling
        raise OSError("no C compiler found (install Xcode's command line tools: xcode-select --install, or set CC)")
    cc = cc or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        raise OSError("no C compiler found (install gcc, or set CC)")
    source = SOURCE.read_bytes()
    flags = ["-O3", "-shared", "-fPIC", *_flags()]
    # per machine too: a home folder shared by different CPUs must not hand one a library built for another
    what = " ".join([cc, *flags, machine_key(torch.device("cpu"))])
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
        build = Path(tempfile.mkdtemp(prefix=".winograd-", dir=folder))
    except OSError:  # no writable cache: build for this process only
        build = target = Path(tempfile.mkdtemp(prefix="dreamlib-winograd-"))
    try:
        out = build / "winograd.so"
        try:
            done = subprocess.run([cc, *flags, "-o", str(out), str(SOURCE)], capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.SubprocessError) as exc:
            raise OSError(f"compiling {SOURCE.name} with {cc} failed: {exc}") from None
        if done.returncode != 0 or not out.exists():
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise OSError(f"compiling {SOURCE.name} with {cc} failed: {last}")
        if target == build:
            return _load(out)  # loaded, so the file may go with its folder
        os.replace(out, target)  # atomic: another process sees no file or a whole one
        return _load(target)
    finally:
        shutil.rmtree(build, ignore_errors=True)


def _load(path: Path) -> ctypes.CDLL:
    lib = ctypes.CDLL(str(path))
    p, i = ctypes.c_void_p, ctypes.c_int
    lib.input_transform.argtypes = [p, i, i, i, i, i, i, i, i, i, i, i, p, p]
    lib.output_transform.argtypes = lib.output_transform2.argtypes = [p, i, i, i, i, i, i, i, i, p, p]
    lib.input_transform.restype = lib.output_transform.restype = lib.output_transform2.restype = None
    return lib


def library() -> ctypes.CDLL | None:
    """The compiled transforms, or None (then :func:`status` says why). Compiled at most once per process."""
    global _lib, _why_not, _tried
    with _lock:
        if not _tried:
            _tried = True
            try:
                _lib = _compile()
            except (OSError, AttributeError) as exc:
                _why_not = str(exc)
    return _lib


_pool: ThreadPoolExecutor | None = None
_pool_key: tuple[int, int] = (0, 0)


PARALLEL_FROM = 2**19  # values; smaller transforms run on one thread (handing work over costs more than it saves)


def _parallel(fn, rows: int, size: int) -> None:
    """Run ``fn(r0, r1)`` over ``rows`` tile rows, split across torch's thread count (ctypes releases the GIL)
    when the tensor has at least ``PARALLEL_FROM`` values."""
    n = max(1, min(torch.get_num_threads(), rows)) if size >= PARALLEL_FROM else 1
    if n == 1:
        fn(0, rows)
        return
    global _pool, _pool_key
    if _pool is None or _pool_key != (os.getpid(), n):  # a forked child gets a pool of its own
        _pool, _pool_key = ThreadPoolExecutor(n, thread_name_prefix="dreamlib-winograd"), (os.getpid(), n)
    step = math.ceil(rows / n)
    for future in [_pool.submit(fn, r, min(rows, r + step)) for r in range(0, rows, step)]:
        future.result()


KEEP_BYTES = 64 * 2**20  # workspace buffers up to this size are kept between calls (fresh pages cost time)
_workspace = threading.local()


def _buffer(slot: int, shape: tuple[int, ...]) -> torch.Tensor:
    """A float32 scratch tensor of ``shape``, reused between calls (per thread) when it is small enough: freshly
    allocated pages are zeroed by the kernel on first touch, which costs a dream step several percent."""
    numel = math.prod(shape)
    if numel * 4 > KEEP_BYTES:
        return torch.empty(shape)
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
    float rounding; channels-last output. Needs :func:`library`.
    """
    lib = library()
    if lib is None:
        raise RuntimeError(f"Winograd convolutions are not available: {_why_not}")
    n, c, h, w = x.shape
    k = u.shape[2]
    ph, pw = padding
    step = OUTPUTS[size]
    ho, wo = h + 2 * ph - size + 1, w + 2 * pw - size + 1
    x = x.contiguous(memory_format=torch.channels_last)
    th, tw = -(-ho // step), -(-wo // step)
    v = _buffer(0, (36, n * th * tw, c))
    zeros = torch.zeros(c)
    _parallel(lambda r0, r1: lib.input_transform(x.data_ptr(), n, h, w, c, ph, pw, th, tw, step, r0, r1,
                                                 v.data_ptr(), zeros.data_ptr()), n * th, x.numel())
    m = torch.bmm(v, u, out=_buffer(1, (36, n * th * tw, k)))
    y = torch.empty(n, k, ho, wo, memory_format=torch.channels_last)
    b = bias.detach().float().contiguous() if bias is not None else None
    out = lib.output_transform if step == 4 else lib.output_transform2
    _parallel(lambda r0, r1: out(m.data_ptr(), n, ho, wo, k, th, tw, r0, r1, b.data_ptr() if b is not None else None,
                                 y.data_ptr()), n * th, y.numel())
    return y


class _WinogradConv(torch.autograd.Function):
    """Forward and input gradient by Winograd (the input gradient of an r x r convolution is one too: the kernels
    flipped and transposed, padding ``r - 1 - p``); weight and bias gradients, if ever asked for, the usual way."""

    @staticmethod
    def forward(ctx, x, weight, bias, conv):
        ctx.conv = conv
        ctx.save_for_backward(x if weight.requires_grad else None)
        ctx.weight_shape = weight.shape
        return winograd_conv2d(x, conv._winograd[0], bias, conv.padding, conv.kernel_size[0])

    @staticmethod
    def backward(ctx, grad):
        conv = ctx.conv
        (x,) = ctx.saved_tensors
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            r = conv.kernel_size[0]
            gx = winograd_conv2d(grad, conv._winograd[1], None, (r - 1 - conv.padding[0], r - 1 - conv.padding[1]), r)
        if ctx.needs_input_grad[1]:
            gw = torch.nn.grad.conv2d_weight(x, ctx.weight_shape, grad, padding=conv.padding)
        if ctx.needs_input_grad[2]:
            gb = grad.sum((0, 2, 3))
        return gx, gw, gb, None


def _forward(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    w = conv.weight
    if (x.device.type != "cpu" or x.dtype != torch.float32 or w.dtype != torch.float32 or w.device.type != "cpu"
            or torch.is_autocast_enabled("cpu")
            or min(x.shape[2] + 2 * conv.padding[0], x.shape[3] + 2 * conv.padding[1]) < conv.kernel_size[0]):
        return type(conv).forward(conv, x)
    if conv._winograd_version != w._version:  # the weights were changed in place: transform them again
        _transform(conv)
    return _WinogradConv.apply(x, w, conv.bias, conv)


def _transform(conv: nn.Conv2d) -> None:
    w = conv.weight.detach()
    conv._winograd = (kernel_transform(w), kernel_transform(w.flip(2, 3).transpose(0, 1)))
    conv._winograd_version = conv.weight._version


def eligible(module: nn.Module) -> bool:
    """A convolution these Winograd transforms compute: 3x3 or 5x5, stride 1, no dilation or groups, zero padding
    of at most ``size - 1``, float32 weights on the CPU, at least 8 channels in and out."""
    return (type(module) is nn.Conv2d and module.kernel_size in ((3, 3), (5, 5)) and module.stride == (1, 1)
            and module.dilation == (1, 1) and module.groups == 1 and module.padding_mode == "zeros"
            and isinstance(module.padding, tuple) and all(0 <= p < module.kernel_size[0] for p in module.padding)
            and module.weight.dtype == torch.float32 and module.weight.device.type == "cpu"
            and min(module.in_channels, module.out_channels) >= 8)


def size_class(conv: nn.Conv2d) -> str:
    """``"5x5"``, or for 3x3 kernels ``"wide"`` (at least ``WIDE`` channels in and out) or ``"narrow"``: the probe
    judges them apart."""
    if conv.kernel_size[0] == 5:
        return "5x5"
    return "wide" if min(conv.in_channels, conv.out_channels) >= WIDE else "narrow"


def use_winograd(net: nn.Module, skip: set[int] = frozenset(), classes: set[str] | None = None) -> int:
    """Make the eligible convolutions of ``net`` (in place; meant for a copy) run by Winograd; returns how many.

    ``classes``: which of ``"narrow"``, ``"wide"``, ``"5x5"`` to switch (default: where :func:`enabled` finds it faster).
    Modules whose ``id`` is in ``skip`` are left alone. Nothing changes when the library cannot be compiled.
    """
    classes = enabled() if classes is None else classes
    if not classes or library() is None:
        return 0
    count = 0
    for module in net.modules():
        if id(module) not in skip and eligible(module) and size_class(module) in classes:
            _transform(module)
            module.forward = types.MethodType(_forward, module)
            count += 1
    return count


# size class -> (in channels, out channels, kernel size, image side) of the probe's convolution, like InceptionV3's
# Conv2d_2b_3x3, Conv2d_4a_3x3 and Mixed_5b.branch5x5_2 in a 256-350 px dream
PROBES = {"narrow": (32, 64, 3, 96), "wide": (80, 192, 3, 48), "5x5": (48, 64, 5, 40)}


def probe_winograd(repeats: int = 7, budget_s: float = 1.5) -> dict[str, float]:
    """How many times faster Winograd is than ``F.conv2d`` here, forward + input gradient, for each size class
    (:data:`PROBES`): best of alternating runs, with torch's thread count (the transforms share it)."""
    g = torch.Generator().manual_seed(0)
    speedups = {}
    for name, (cin, cout, k, size) in PROBES.items():
        conv = nn.utils.skip_init(nn.Conv2d, cin, cout, k, padding=k // 2).requires_grad_(False)
        with torch.no_grad():
            conv.weight.copy_(torch.randn(conv.weight.shape, generator=g) * (2 / (cin * k * k)) ** 0.5)
            conv.bias.zero_()
        conv = conv.to(memory_format=torch.channels_last)
        fast = copy.deepcopy(conv)
        if not use_winograd(fast, classes={name}):
            return {}
        x0 = torch.randn(1, cin, size, size, generator=g).contiguous(memory_format=torch.channels_last)

        def run(m):
            x = x0.clone().requires_grad_(True)
            start = time.perf_counter()
            torch.autograd.grad(m(x).relu().sum(), x)
            return time.perf_counter() - start

        run(conv), run(fast)  # set-up costs not counted
        times: dict[str, list[float]] = {"direct": [], "winograd": []}
        start = time.perf_counter()
        for i in range(repeats):
            if i >= 3 and time.perf_counter() - start > budget_s / len(PROBES):
                break
            times["direct"].append(run(conv))
            times["winograd"].append(run(fast))
        speedups[name] = min(times["direct"]) / min(times["winograd"])
    return speedups


def _cache_path() -> Path:
    return cache_file().with_name("winograd.json")


_decided: dict[str, set[str]] = {}


def enabled(probe: Callable[[], dict[str, float]] | None = None) -> set[str]:
    """The size classes Winograd runs for on this machine (``set()``: none): those :func:`probe_winograd` finds at
    least ``MIN_SPEEDUP`` times faster, measured once and cached for the process and on disk per machine (as the
    precision probe is). ``DREAMLIB_WINOGRAD=0``: none; ``=all``: every class, unmeasured. A ``probe`` passed in
    (tests inject timings this way) is always called and nothing is cached."""
    if _off() or library() is None:
        return set()
    if os.environ.get(ENV, "").strip().lower() == "all":
        return set(PROBES)
    if probe is not None:
        return {k for k, v in probe().items() if k in PROBES and v >= MIN_SPEEDUP}
    key = machine_key(torch.device("cpu"))
    if key in _decided:
        return _decided[key]
    path, disk = _cache_path(), _disk_cache_on()
    entry = _read_cache(path).get(key) if disk else None
    if isinstance(entry, dict) and isinstance(entry.get("speedup"), dict) and set(entry["speedup"]) == set(PROBES):
        speedups = entry["speedup"]
    else:
        speedups = probe_winograd()
        if disk:
            machines = _read_cache(path)
            machines[key] = {"speedup": {k: round(v, 3) for k, v in speedups.items()}, "torch": torch.__version__,
                             "measured": time.strftime("%Y-%m-%d %H:%M:%S")}
            _write_cache(path, machines)
    _decided[key] = {k for k, v in speedups.items() if k in PROBES and isinstance(v, (int, float)) and v >= MIN_SPEEDUP}
    return _decided[key]


def status() -> str:
    """One line: whether fp32 convolutions on this CPU use Winograd, and why (or why not)."""
    if _off():
        return f"off ({ENV}={os.environ[ENV]})"
    if library() is None:
        return f"off: {_why_not}"
    classes = enabled()
    names = {"narrow": "narrow 3x3", "wide": "wide 3x3", "5x5": "5x5"}
    if not classes:
        return "off: not faster than torch's convolutions on this CPU (measured)"
    return f"on for {', '.join(names[c] for c in names if c in classes)} convolutions (fp32, CPU)"
