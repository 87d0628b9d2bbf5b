"""Where and in what precision to run: ``device="auto"`` and ``precision="auto"``.

bf16 autocast cuts the cost of a step on hardware with native bf16 arithmetic
(CPUs with AVX512-BF16 or AMX, NVIDIA GPUs from Ampere on), but on CPUs without
it (AVX2-only machines) bf16 convolutions are emulated and run many times
*slower* than fp32. Which one is faster is measured, not guessed from flags:
``"auto"`` runs a short one-time probe (:mod:`dreamlib.precision`).
Taught in notebook 03 (gradient ascent); measured in ``benchmarks/``.
"""

from __future__ import annotations

from contextlib import nullcontext

import torch

from .errors import DreamError
from .precision import measured_precision

PRECISIONS = ("auto", "fp32", "bf16")


VALID_DEVICES = "use auto, cpu, cuda, cuda:N, mps or xpu (the last three where this machine has them)"


def resolve_device(device: str | torch.device = "auto", allow_meta: bool = True) -> torch.device:
    """``"auto"`` picks cuda, then mps, then cpu; others are checked to exist here (one-line errors).

    ``allow_meta=False`` (the CLI) refuses the data-less ``meta`` device that tests use.

    Taught in notebook 03.
    """
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise DreamError(f"unknown device {device!r}; {VALID_DEVICES}") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise DreamError(f"device {device!r} was asked for but no CUDA GPU is available; use cpu or auto")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise DreamError(f"device {device!r} does not exist: this machine has {torch.cuda.device_count()} "
                             f"CUDA GPU(s), cuda:0..cuda:{torch.cuda.device_count() - 1}")
    elif dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise DreamError(f"device {device!r} was asked for but this machine has no Apple GPU (MPS); use cpu or auto")
    elif dev.type == "xpu":
        xpu = getattr(torch, "xpu", None)
        if xpu is None or not xpu.is_available():
            raise DreamError(f"device {device!r} was asked for but this machine has no Intel GPU (XPU); use cpu or auto")
    elif dev.type == "meta" and not allow_meta:
        raise DreamError("device 'meta' holds no data, so nothing can be dreamed on it; use auto, cpu, cuda or mps")
    elif dev.type not in ("cpu", "meta"):
        raise DreamError(f"unsupported device {device!r}; {VALID_DEVICES}")
    return dev


def resolve_precision(precision: str, device: torch.device) -> str:
    """Turn ``"auto"`` into ``"bf16"`` or ``"fp32"`` for ``device``; validate the others.

    ``"auto"`` on a CPU, or on a CUDA GPU of compute capability 8.0 or later (bf16
    tensor cores; older GPUs stay in fp32 without asking), is decided by
    :func:`dreamlib.precision.measured_precision`: bf16 only where a short probe
    finds it clearly faster and its input gradient agrees with fp32's. Other
    devices (mps, meta) use fp32. ``"fp32"`` and ``"bf16"`` are taken as given.
    Taught in notebook 03.
    """
    if precision not in PRECISIONS:
        raise DreamError(f"unknown precision {precision!r}; use one of {', '.join(PRECISIONS)}")
    if precision != "auto":
        return precision
    device = torch.device(device)
    if device.type == "cuda" and torch.cuda.get_device_capability(device)[0] < 8:
        return "fp32"
    if device.type not in ("cpu", "cuda"):
        return "fp32"
    return measured_precision(device)


def autocast(precision: str, device: torch.device):
    """A context that runs the forward pass in bf16 autocast, or does nothing for fp32."""
    if precision == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return nullcontext()
