"""Winograd convolutions: the same convolutions with fewer multiplications, for fp32 on CPUs.

In fp32 on a CPU a dream step's convolutions already run at the machine's matrix multiplication peak, so
the only way to make them faster is to multiply less. Winograd's minimal filtering algorithms (Lavin & Gray
2016, arXiv:1509.09308) transform blocks of input pixels, multiply them by transformed kernels -- one matrix
product per point of the block, summed over input channels (``torch.bmm``) -- and transform the results back:

- *square* kernels: F(4x4, 3x3) computes each 4x4 block of a 3x3 convolution's output from a 6x6 block of
  input with 36 multiplications per channel pair instead of 144; F(2x2, 5x5) the same 6x6 blocks, 36
  instead of 100;
- *line* kernels (InceptionV3's 1x7 and 7x1): F(4, 7) computes 4 outputs along the row (or column) from
  10 inputs with 10 multiplications instead of 28.

The transforms are the C functions of ``_winograd.c`` (:mod:`dreamlib.compiled`); results agree with
``F.conv2d`` to about 1e-5 relative. :func:`kind` says which convolutions can run this way; the input
gradient of each is itself such a convolution (kernels flipped and transposed). When they are used is
decided in :mod:`dreamlib.winograd`. Scratch memory: two buffers of about ``KEEP_BYTES`` at most per thread
(more only for a single row of tiles that needs it), kept for reuse. Measured in ``benchmarks/README.md``; taught in notebook 03.
"""

from __future__ import annotations

import functools
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import torch
from torch import nn
from torch.autograd.function import once_differentiable

from . import compiled

# Square kernels: G (6 x r) for 6x6 tiles with the points 0, 1, -1, 2, -2 and infinity; row i is
# f_i * (1, p_i, p_i**2, ...), the last row picks the highest coefficient. The input and output transforms
# (B^T and A^T) are written out in _winograd.c; the input transform is the same for both kernel sizes.
_POINTS, _SCALES = (0, 1, -1, 2, -2), (1 / 4, -1 / 6, -1 / 6, 1 / 24, 1 / 24)
G = {r: torch.tensor([[f * p**j for j in range(r)] for p, f in zip(_POINTS, _SCALES)] + [[0] * (r - 1) + [1]],
                     dtype=torch.float64) for r in (3, 5)}
OUTPUTS = {3: 4, 5: 2}  # square kernel size -> output tile size (6 - r + 1)

LINE_OUTPUTS = {7: 4}  # line kernel length -> outputs per tile: F(4, 7), 10 points
LINE_POINTS = (0, 1, -1, 2, -2, 1 / 2, -1 / 2, 3 / 2, -3 / 2)  # and infinity: the most accurate set we measured


def toom_cook(m: int, r: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A^T (m x n), G (n x r), B^T (n x n), float64, for F(m, r) on the first ``n - 1 = m + r - 2`` of
    ``LINE_POINTS`` and infinity: ``A^T [(G g) * (B^T d)]`` is the correlation of ``d`` (n values) with ``g``.
    A^T and G are Vandermonde rows (G's scaled by 1 / prod(p_j - p_l)); B^T is the one that makes the
    algorithm exact, solved for (least squares, float64) and checked."""
    n = m + r - 1
    points = LINE_POINTS[: n - 1]
    at, g = torch.zeros(m, n, dtype=torch.float64), torch.zeros(n, r, dtype=torch.float64)
    for j, p in enumerate(points):
        scale = math.prod(p - q for q in points if q != p)
        at[:, j] = torch.tensor([p**i for i in range(m)], dtype=torch.float64)
        g[j] = torch.tensor([p**k / scale for k in range(r)], dtype=torch.float64)
    at[m - 1, n - 1] = g[n - 1, r - 1] = 1
    # exact when sum_j at[i, j] g[j, k] bt[j, q] = [q == i + k] for every output i, kernel tap k and input q
    system = torch.einsum("ij,jk,jp,qs->ikqps", at, g, torch.eye(n, dtype=torch.float64), torch.eye(n, dtype=torch.float64))
    system = system.reshape(m * r * n, n * n)
    want = torch.stack([torch.eye(n, dtype=torch.float64)[i + k] for i in range(m) for k in range(r)]).reshape(-1, 1)
    bt = torch.linalg.lstsq(system, want, driver="gelsd").solution.reshape(n, n)
    bt[bt.abs() < 1e-12] = 0
    if (system @ bt.reshape(-1, 1) - want).abs().max() > 1e-9:
        raise ArithmeticError(f"no exact F({m}, {r}) on these points")
    return at, g, bt


@functools.lru_cache(maxsize=None)
def _line_g(r: int) -> torch.Tensor:
    """G of F(LINE_OUTPUTS[r], r), derived at the first line convolution (its A^T and B^T are written out in C)."""
    return toom_cook(LINE_OUTPUTS[r], r)[1]


def kind(module: nn.Module) -> str | None:
    """``"square"`` (3x3 or 5x5), ``"line"`` (1x7 or 7x1) or None: a convolution these transforms compute has
    stride 1, no dilation or groups, zero padding of less than the kernel (none across a line kernel),
    float32 weights on the CPU and at least 8 channels in and out."""
    if not (type(module) is nn.Conv2d and module.stride == (1, 1) and module.dilation == (1, 1)
            and module.groups == 1 and module.padding_mode == "zeros" and isinstance(module.padding, tuple)
            and module.weight.dtype == torch.float32 and module.weight.device.type == "cpu"
            and min(module.in_channels, module.out_channels) >= 8):
        return None
    (kh, kw), (ph, pw) = module.kernel_size, module.padding
    if kh == kw and kh in OUTPUTS and 0 <= ph < kh and 0 <= pw < kw:
        return "square"
    if (kh == 1 and kw in LINE_OUTPUTS and ph == 0 and 0 <= pw < kw) or (kw == 1 and kh in LINE_OUTPUTS and pw == 0 and 0 <= ph < kh):
        return "line"
    return None


def kernel_transform(weight: torch.Tensor) -> torch.Tensor:
    """Kernels ``(out, in, kh, kw)`` -> the matrices the products multiply by, ``(points, in, out)``: ``G g G^T``
    for square kernels (36 points), ``G g`` along a line kernel."""
    w = weight.detach().double().cpu()
    if w.shape[2] == w.shape[3]:
        g = G[w.shape[-1]]
        u = (g @ w @ g.T).permute(2, 3, 1, 0)
    else:
        u = torch.einsum("jr,kcr->jck", _line_g(w.shape[2] * w.shape[3]), w.flatten(2))
    return u.reshape(-1, weight.shape[1], weight.shape[0]).float().contiguous()


_pool: ThreadPoolExecutor | None = None
_pool_key: tuple[int, int] = (0, 0)
PARALLEL_FROM = 2**20  # transformed values; fewer run on one thread (handing work over costs more than it saves)


def _parallel(fn, first: int, last: int, size: int) -> None:
    """Run ``fn(r0, r1)`` over tile rows ``[first, last)``, split across torch's thread count (ctypes releases
    the GIL) when they hold at least ``PARALLEL_FROM`` transformed values (``size``)."""
    rows = last - first
    threads = torch.get_num_threads()
    n = max(1, min(threads, rows)) if size >= PARALLEL_FROM else 1
    if n == 1:
        fn(first, last)
        return
    global _pool, _pool_key
    if _pool is None or _pool_key != (os.getpid(), threads):  # a forked child gets a pool of its own
        _pool, _pool_key = ThreadPoolExecutor(threads, thread_name_prefix="dreamlib-winograd"), (os.getpid(), threads)
    step = math.ceil(rows / n)
    for future in [_pool.submit(fn, r, min(last, r + step)) for r in range(first, last, step)]:
        future.result()


KEEP_BYTES = 64 * 2**20  # the largest workspace buffer: bigger convolutions go through in chunks of tile rows
_workspace = threading.local()


def _buffer(slot: int, shape: tuple[int, ...]) -> torch.Tensor:
    """A float32 scratch tensor of ``shape`` (about ``KEEP_BYTES`` at most), reused between calls (per thread): freshly
    allocated pages are zeroed by the kernel on first touch, which costs a dream step several percent."""
    numel = math.prod(shape)
    buffers = getattr(_workspace, "buffers", None)
    if buffers is None:
        buffers = _workspace.buffers = [torch.empty(0), torch.empty(0)]
    if buffers[slot].numel() < numel:
        buffers[slot] = torch.empty(numel)
    return buffers[slot][:numel].view(shape)


def _library():
    lib = compiled.library()
    if lib is None:
        raise RuntimeError(f"Winograd convolutions are not available: {compiled.why_not()}")
    return lib


def _tiled(x: torch.Tensor, u: torch.Tensor, bias: torch.Tensor | None, out_size: tuple[int, int], rows: int, tiles: int,
           transform_in, transform_out) -> torch.Tensor:
    """The shared part of both kinds: ``x`` made channels-last, the output allocated, then rows of ``tiles``
    tiles in chunks that keep the scratch under ``KEEP_BYTES``; per chunk the input transform
    (``transform_in(x, zeros, r0, r1, rbase, T, V)``, on threads), the products, the output transform
    (``transform_out(M, r0, r1, rbase, T, bias, y)``, on threads) -- pointers, for the C functions. The output
    (``out_size`` = (Ho, Wo)) is channels-last when ``x`` is, else contiguous."""
    layout = torch.channels_last if x.is_contiguous(memory_format=torch.channels_last) else torch.contiguous_format
    x = x.contiguous(memory_format=torch.channels_last)
    points, c, k = u.shape
    y = torch.empty(x.shape[0], k, *out_size, memory_format=torch.channels_last)
    zeros = torch.zeros(c)
    b = bias.detach().float().contiguous() if bias is not None else None
    pointers = (x.data_ptr(), zeros.data_ptr(), b.data_ptr() if b is not None else None, y.data_ptr())
    chunk = max(1, min(rows, KEEP_BYTES // (points * tiles * max(c, k) * 4)))
    for first in range(0, rows, chunk):
        last = min(rows, first + chunk)
        t = (last - first) * tiles
        v = _buffer(0, (points, t, c))
        _parallel(lambda a, z: transform_in(pointers[0], pointers[1], a, z, first, t, v.data_ptr()),
                  first, last, points * t * c)
        m = torch.bmm(v, u, out=_buffer(1, (points, t, k)))
        _parallel(lambda a, z: transform_out(m.data_ptr(), a, z, first, t, pointers[2], pointers[3]),
                  first, last, points * t * k)
    return y if layout == torch.channels_last else y.contiguous()


def winograd_conv2d(
    x: torch.Tensor, u: torch.Tensor, bias: torch.Tensor | None, padding: tuple[int, int], size: int = 3
) -> torch.Tensor:
    """A 3x3 or 5x5 (``size``), stride-1 convolution of ``x`` (N, C, H, W; float32, CPU) by the transformed
    kernels ``u``.

    The same as ``F.conv2d(x, weight, bias, padding=padding)`` with ``u = kernel_transform(weight)``, up to
    float rounding; the output is channels-last when ``x`` is, else contiguous.
    """
    lib = _library()
    n, c, h, w = x.shape
    k, (ph, pw), step = u.shape[2], padding, OUTPUTS[size]
    ho, wo = h + 2 * ph - size + 1, w + 2 * pw - size + 1
    th, tw = -(-ho // step), -(-wo // step)
    return _tiled(x, u, bias, (ho, wo), n * th, tw,
                  lambda xp, zp, r0, r1, base, t, v: lib.input_transform(xp, h, w, c, ph, pw, th, tw, step, r0, r1, base,
                                                                         t, v, zp),
                  lambda m, r0, r1, base, t, bp, yp: lib.output_transform(m, ho, wo, k, th, tw, step, r0, r1, base, t,
                                                                          bp, yp))


def line_conv2d(x: torch.Tensor, u: torch.Tensor, bias: torch.Tensor | None, along_w: bool, padding: int,
                size: int = 7) -> torch.Tensor:
    """A 1 x ``size`` (``along_w``) or ``size`` x 1 stride-1 convolution of ``x`` (N, C, H, W; float32, CPU) by the
    transformed kernels ``u``, zero-padded by ``padding`` along the kernel (none across it).

    The same as ``F.conv2d(x, weight, bias, padding=(0, padding) or (padding, 0))`` with
    ``u = kernel_transform(weight)``, up to float rounding; the output's layout follows the input's.
    """
    lib = _library()
    n, c, h, w = x.shape
    k, m = u.shape[2], LINE_OUTPUTS[size]
    ho, wo = (h, w + 2 * padding - size + 1) if along_w else (h + 2 * padding - size + 1, w)
    length, lines = (wo, n * ho) if along_w else (ho, n * wo)
    tiles = -(-length // m)
    return _tiled(x, u, bias, (ho, wo), lines, tiles,
                  lambda xp, zp, r0, r1, base, t, v: lib.line_input_transform(xp, h, w, c, int(along_w), padding, tiles,
                                                                              r0, r1, base, t, v, zp),
                  lambda mm, r0, r1, base, t, bp, yp: lib.line_output_transform(mm, ho, wo, k, int(along_w), tiles, r0,
                                                                                r1, base, t, bp, yp))


def _conv(x: torch.Tensor, u: torch.Tensor, bias, kernel: tuple[int, int], padding: tuple[int, int]) -> torch.Tensor:
    """The Winograd convolution for a kernel of this shape and this padding."""
    kh, kw = kernel
    if kh == kw:
        return winograd_conv2d(x, u, bias, padding, kh)
    return line_conv2d(x, u, bias, kh == 1, max(padding), kh * kw)


class _WinogradConv(torch.autograd.Function):
    """Forward and input gradient by Winograd (the input gradient of a convolution is one too: the kernels flipped
    and transposed, padding ``size - 1 - p``); weight and bias gradients, if ever asked for, the usual way."""

    @staticmethod
    def forward(ctx, x, weight, bias, conv):
        # what backward needs, as it is now: the weights may change before it runs
        ctx.u_back, ctx.padding, ctx.kernel, ctx.weight_shape = conv._winograd[1], conv.padding, conv.kernel_size, weight.shape
        ctx.save_for_backward(x if weight.requires_grad else None)
        return _conv(x, conv._winograd[0], bias, conv.kernel_size, conv.padding)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        gx = gw = gb = None
        (kh, kw), (ph, pw) = ctx.kernel, ctx.padding
        if ctx.needs_input_grad[0]:
            gx = _conv(grad, ctx.u_back, None, ctx.kernel, (kh - 1 - ph, kw - 1 - pw))
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


def winograd_forward(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """``conv(x)``, by Winograd where it applies (float32 CPU tensors, no autocast, an image at least as large
    as the kernel); otherwise the ordinary convolution. Bound as ``conv.forward`` by :func:`dreamlib.winograd.use_winograd`."""
    w = conv.weight
    if (x.dim() != 4 or x.device.type != "cpu" or x.dtype != torch.float32 or w.dtype != torch.float32
            or w.device.type != "cpu" or w.is_inference() or _autocast_on()
            or x.shape[2] + 2 * conv.padding[0] < conv.kernel_size[0]
            or x.shape[3] + 2 * conv.padding[1] < conv.kernel_size[1]):
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
