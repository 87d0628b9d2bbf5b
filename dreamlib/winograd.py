"""When dreamlib uses Winograd convolutions (:mod:`dreamlib.winograd_conv`): only where they make a step faster.

:func:`use_winograd` switches the convolutions of :func:`dreamlib.fold.folded_twin`'s copy that the
transforms compute (:func:`dreamlib.winograd_conv.kind`: *square* 3x3 and 5x5, *line* 1x7 and 7x1; stride 1,
float32 on the CPU) to them, forward and input gradient, for each kind that a one-time measurement
(:func:`probe_winograd`: dream-like stacks of convolutions, with and without) finds at least ``MIN_SPEEDUP``
times faster on this machine -- cached per machine like the precision probe. Under bf16 autocast, on other
devices, or with no C compiler the ordinary convolution runs; ``DREAMLIB_WINOGRAD=0`` turns them off
(``=all``: every kind on, unmeasured). :func:`status` says which, and why. Measured in
``benchmarks/README.md``; taught in notebook 03.
"""

from __future__ import annotations

import copy
import os
import time
import types
from collections.abc import Iterable
from typing import Callable

import torch
from torch import nn

from . import compiled
from .precision import _disk_cache_on, _read_cache, cache_file, he_conv, machine_key, remember
from .winograd_conv import kind, winograd_forward

ENV = "DREAMLIB_WINOGRAD"
MIN_SPEEDUP = 1.05  # the probe's stack must take at most 1/1.05 of its time without Winograd
PROBE_VERSION = 3  # cached answers of another version of the probe are measured again
KINDS = {"square": "3x3/5x5", "line": "1x7/7x1"}  # what each kind of convolution is, for people


def _setting() -> str:
    return os.environ.get(ENV, "").strip().lower()


def _off() -> bool:
    return _setting() in {"0", "false", "no", "off"}


def use_winograd(net: nn.Module, skip: set[int] = frozenset(), kinds: Iterable[str] | None = None) -> int:
    """Make the convolutions of ``net`` that Winograd computes run by it (in place; meant for a copy); returns how
    many.

    ``kinds``: which (``"square"``, ``"line"``; default: those :func:`enabled` finds faster here). Modules whose
    ``id`` is in ``skip`` are left alone; nothing changes when the library cannot be compiled. Kernels are
    transformed at a convolution's first Winograd call, so convolutions that never run (or run in bf16) cost no
    memory.
    """
    kinds = enabled() if kinds is None else set(kinds)
    if not kinds or compiled.library() is None:
        return 0
    count = 0
    for module in net.modules():
        if id(module) not in skip and kind(module) in kinds:
            module._winograd_key = None
            module.forward = types.MethodType(winograd_forward, module)
            count += 1
    return count


def _probe_nets() -> dict[str, tuple[nn.Module, tuple[int, ...]]]:
    """Per kind, a stack of what a dream step's fp32 time goes to, He-initialised, and its input's shape:
    *square*: InceptionV3's stem and a Mixed_5 block's 3x3 and 5x5 convolutions, with the pooling and 1x1
    convolutions between (a 192 px image); *line*: a Mixed_6 block's 1x7 and 7x1 convolutions (17x17, as
    from a 299 px image)."""
    g = torch.Generator().manual_seed(0)

    def conv(cin, cout, k, stride=1, padding=0):
        k, padding = (k, k) if isinstance(k, int) else k, (padding, padding) if isinstance(padding, int) else padding
        return [he_conv(cin, cout, k, g, stride=stride, padding=padding), nn.ReLU()]

    pool = [nn.MaxPool2d(3, 2)]
    square = [*conv(3, 32, 3, 2), *conv(32, 32, 3), *conv(32, 64, 3, padding=1), *pool, *conv(64, 80, 1),
              *conv(80, 192, 3), *pool, *conv(192, 64, 1), *conv(64, 96, 3, padding=1), *conv(96, 96, 3, padding=1),
              *conv(96, 48, 1), *conv(48, 64, 5, padding=2)]
    line = [*conv(128, 128, (7, 1), padding=(3, 0)), *conv(128, 128, (1, 7), padding=(0, 3)),
            *conv(128, 160, (7, 1), padding=(3, 0)), *conv(160, 192, (1, 7), padding=(0, 3))]
    nets = {"square": (square, (1, 3, 192, 192)), "line": (line, (1, 128, 17, 17))}
    return {name: (nn.Sequential(*layers).requires_grad_(False).eval().to(memory_format=torch.channels_last), shape)
            for name, (layers, shape) in nets.items()}


def probe_winograd(repeats: int = 9, budget_s: float = 2.0, scale: float = 1.0) -> dict[str, float]:
    """How many times faster a dream-like step is with Winograd convolutions than without, per kind: forward
    and input gradient through :func:`_probe_nets`' stacks (``scale`` resizes their inputs), best of alternating
    runs, with torch's thread count (the transforms share it). A stack, not one convolution: what counts is the
    step, and a convolution that wins alone can lose in a network (its scratch evicts its neighbours' data)."""
    speedups = {}
    for name, (direct, shape) in _probe_nets().items():
        fast = copy.deepcopy(direct)
        if not use_winograd(fast, kinds={name}):
            return {}
        size = [max(8, round(s * scale)) for s in shape[2:]]
        x0 = torch.rand(*shape[:2], *size, generator=torch.Generator().manual_seed(1))
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
        speedups[name] = min(times["direct"]) / min(times["winograd"])
    return speedups


def _cache_path():
    return cache_file().with_name("winograd.json")


_decided: dict[str, frozenset[str]] = {}
_probe_failed = ""  # why the probe failed, if it did


def enabled(probe: Callable[[], dict[str, float]] | None = None) -> frozenset[str]:
    """The kinds of Winograd convolution that pay on this machine: those :func:`probe_winograd` finds at least
    ``MIN_SPEEDUP`` times faster. Measured once, cached for the process and on disk per machine (as the precision
    probe is). ``DREAMLIB_WINOGRAD=0``: none; ``=all``: all, unmeasured. A ``probe`` passed in (tests inject
    timings this way) is always called and nothing is cached."""
    global _probe_failed
    if _off() or compiled.library() is None:
        return frozenset()
    if _setting() == "all":
        return frozenset(KINDS)
    if probe is not None:
        return frozenset(k for k, s in probe().items() if k in KINDS and s >= MIN_SPEEDUP)
    key = machine_key(torch.device("cpu"))
    if key in _decided:
        return _decided[key]
    path, disk = _cache_path(), _disk_cache_on()
    entry = _read_cache(path).get(key) if disk else None
    speedups = entry.get("speedup") if isinstance(entry, dict) and entry.get("version") == PROBE_VERSION else None
    if not (isinstance(speedups, dict) and all(isinstance(speedups.get(k), (int, float)) for k in KINDS)):
        try:
            speedups = probe_winograd()
        except Exception as exc:  # noqa: BLE001 - whatever went wrong, the ordinary convolutions still work
            _probe_failed = f"{type(exc).__name__}: {exc}"
            _decided[key] = frozenset()
            return _decided[key]
        if disk and speedups:
            remember(path, key, {"speedup": {k: round(v, 3) for k, v in speedups.items()}, "version": PROBE_VERSION})
    _decided[key] = frozenset(k for k in KINDS if speedups.get(k, 0) >= MIN_SPEEDUP)
    return _decided[key]


def status() -> str:
    """One line: which fp32 convolutions on this CPU use Winograd, and why (or why not)."""
    if _off():
        return f"off ({ENV}={os.environ[ENV]})"
    if compiled.library() is None:
        return f"off: {compiled.why_not()}"
    kinds = enabled()
    if _probe_failed and not kinds:
        return f"off: its measurement failed ({_probe_failed})"
    if not kinds:
        return "off: not faster than torch's convolutions on this CPU (measured)"
    on = " and ".join(KINDS[k] for k in KINDS if k in kinds)
    if _setting() == "all":
        return f"on: {on} convolutions in fp32 on the CPU"
    others = [KINDS[k] for k in KINDS if k not in kinds]
    return f"on: {on} convolutions in fp32 on the CPU (measured faster here" + "".join(f"; {o}: not faster" for o in others) + ")"
