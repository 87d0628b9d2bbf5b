"""Where to run: ``device="auto"`` picks a GPU when there is one, and other devices are checked to exist.

Which *precision* runs there is the fast path's business (:mod:`dreamlib.fast.precision`).
Taught in notebook 01 (every lesson's setup prints the device) and used by every lesson.
"""

from __future__ import annotations

import torch

from .errors import DreamError

VALID_DEVICES = "use auto, cpu, cuda, cuda:N, mps or xpu (the last three where this machine has them)"


def resolve_device(device: str | torch.device = "auto", allow_meta: bool = True) -> torch.device:  # noqa: C901 (each spelling of a device is one branch)
    """``"auto"`` picks cuda, then mps, then cpu; others are checked to exist here (one-line errors).

    ``allow_meta=False`` (the CLI) refuses the data-less ``meta`` device that tests use.

    Taught in notebook 01.
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
            raise DreamError(
                f"device {device!r} does not exist: this machine has {torch.cuda.device_count()} "
                f"CUDA GPU(s), cuda:0..cuda:{torch.cuda.device_count() - 1}"
            )
    elif dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise DreamError(
                f"device {device!r} was asked for but this machine has no Apple GPU (MPS); use cpu or auto"
            )
    elif dev.type == "xpu":
        xpu = getattr(torch, "xpu", None)
        if xpu is None or not xpu.is_available():
            raise DreamError(
                f"device {device!r} was asked for but this machine has no Intel GPU (XPU); use cpu or auto"
            )
    elif dev.type == "meta" and not allow_meta:
        raise DreamError("device 'meta' holds no data, so nothing can be dreamed on it; use auto, cpu, cuda or mps")
    elif dev.type not in ("cpu", "meta"):
        raise DreamError(f"unsupported device {device!r}; {VALID_DEVICES}")
    return dev
