"""Environment switches, read in one place, and the helpers every lesson's setup uses.

``DREAMLIB_WEIGHTS``      ``imagenet`` | ``random`` | path to a ``.pth`` state dict: the default weights of
                          :func:`dreamlib.load_model`, so CI and offline classrooms run unchanged lessons.
``DREAMLIB_QUICK``        ``1`` shrinks image sizes and step counts (slow laptops): :func:`pick`.
``DREAMLIB_OFFLINE``      ``1`` makes ``load_model(..., fallback=...)`` use its fallback model at once, even where
                          ImageNet weights are cached: ``make test`` sets it so the lessons always run on the
                          shipped model.
``DREAMLIB_PRECISION``    ``fp32`` or ``bf16`` is what ``dl.faster(model)``'s ``precision="auto"`` means, instead
                          of what the probe measures (:mod:`dreamlib.fast.precision`): run every fast dream one way
                          on any machine (``pytest --precision``). ``auto`` or unset: the probe decides.
``DREAMLIB_PROBE_CACHE``  ``0`` keeps the answer of the ``precision="auto"`` probe for the process only
                          (:mod:`dreamlib.fast.precision`), not on disk.

Where measurements are cached on disk (``$XDG_CACHE_HOME/dreamlib``, default ``~/.cache/dreamlib``) is read here
too. Nothing else in dreamlib reads the environment.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

WEIGHTS_ENV = "DREAMLIB_WEIGHTS"
QUICK_ENV = "DREAMLIB_QUICK"
OFFLINE_ENV = "DREAMLIB_OFFLINE"
PRECISION_ENV = "DREAMLIB_PRECISION"
PROBE_CACHE_ENV = "DREAMLIB_PROBE_CACHE"
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


def _env(name: str) -> str:
    return os.environ.get(name, "").strip()


def chosen_weights() -> str | None:
    """``$DREAMLIB_WEIGHTS`` if it is set (to anything but blanks), else None."""
    return _env(WEIGHTS_ENV) or None


def default_weights() -> str:
    """The weights :func:`dreamlib.load_model` uses when none are given: ``$DREAMLIB_WEIGHTS`` or ``imagenet``."""
    return chosen_weights() or "imagenet"


def quick_mode() -> bool:
    """True when ``DREAMLIB_QUICK`` is set to a true value (``1``, ``true``, ``yes``); every notebook's setup
    prints it."""
    return _env(QUICK_ENV).lower() in TRUE


def offline_mode() -> bool:
    """True when ``DREAMLIB_OFFLINE`` is set to a true value: lessons skip ImageNet weights."""
    return _env(OFFLINE_ENV).lower() in TRUE


def forced_precision() -> str | None:
    """``fp32`` or ``bf16`` when ``DREAMLIB_PRECISION`` names one (any case), None when it is unset, blank or
    ``auto``; any other value is a :class:`~dreamlib.errors.DreamError` naming the valid ones."""
    value = _env(PRECISION_ENV).lower()
    if value in ("", "auto"):
        return None
    if value not in ("fp32", "bf16"):
        from .errors import DreamError

        raise DreamError(f"{PRECISION_ENV} must be auto, fp32 or bf16, not {_env(PRECISION_ENV)!r}")
    return value


def probe_cache_on() -> bool:
    """False when ``DREAMLIB_PROBE_CACHE`` is ``0``/``false``/``no``/``off``: measured answers stay in the process."""
    return _env(PROBE_CACHE_ENV).lower() not in FALSE


def cache_dir() -> Path:
    """Where dreamlib keeps what it measured about this machine: ``$XDG_CACHE_HOME/dreamlib``."""
    root = _env("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "dreamlib"


def cpu_isa_limit() -> str:
    """The instruction-set limit set for torch's CPU kernels (``ONEDNN_MAX_CPU_ISA``), or ``""``."""
    return _env("ONEDNN_MAX_CPU_ISA") or _env("DNNL_MAX_CPU_ISA")


def pick(full, quick):
    """Return ``quick`` in quick mode, else ``full``: how lessons choose sizes and step counts.
    Taught in notebook 00."""
    return quick if quick_mode() else full


class stopwatch:
    """``with dl.stopwatch(): ...`` prints how long the block took, and where. Taught in notebook 00;
    later notebooks time their sections with it.

    ``device`` (default: what ``resolve_device("auto")`` picks) is only named in the line, not used.
    """

    def __init__(self, device=None) -> None:
        self.device = device

    def __enter__(self) -> stopwatch:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.start
        if self.device is None:
            from .device import resolve_device

            self.device = resolve_device("auto")
        print(f"took {self.seconds:.1f} s on {self.device}")
