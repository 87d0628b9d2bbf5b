"""Forward hooks: look inside a network while it runs.

A forward hook is a function PyTorch calls with a layer's output every time the
layer runs. :func:`capture_activations` records outputs of named layers and
always removes its hooks, even when the forward pass fails;
:func:`forward_until` uses the same idea to *stop* the forward pass as soon as
the layers it needs have run, so no compute is spent on the rest of the network.
Images may live anywhere (e.g. on the CPU, as :func:`load_image` returns them):
they are moved to the model's device and dtype; the activations stay on the
model's device, in its dtype.
Taught in notebook 01 (hooks) and used by notebook 03 (gradient ascent).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import nn

from . import vit
from .errors import DreamError
from .models import DreamModel, as_dream_model, short_list

OUTPUT = "output"  # pseudo-layer: the network's final output (e.g. class logits)


def _resolve(model: nn.Module, layers: str | Sequence[str]) -> tuple[DreamModel, list[str]]:
    dm = as_dream_model(model)
    names = [layers] if isinstance(layers, str) else list(layers)
    if not names:
        raise DreamError(f"no layers given; valid layers: {short_list(dm.layers)}")
    return dm, names


@contextmanager
def capture_activations(model: nn.Module, layers: str | Sequence[str]) -> Iterator[dict[str, torch.Tensor]]:
    """Record the outputs of ``layers`` during forward passes inside the ``with`` block.

    >>> with capture_activations(model, ["Mixed_5b", "Mixed_6c"]) as acts:
    ...     model(image)
    >>> acts["Mixed_6c"].shape

    The dict holds the latest output of each layer, on the model's device and
    in its dtype. Calling the model inside the block works with images from any
    device: a :class:`DreamModel` moves them itself; for a plain ``nn.Module`` a
    pre-hook moves them to its device and floating dtype (differentiably, so a
    CPU leaf tensor still gets its gradient). Hooks are removed on exit.
    Taught in notebook 01.
    """
    dm, names = _resolve(model, layers)
    acts: dict[str, torch.Tensor] = {}
    handles = []
    try:
        if dm is not model:  # a plain module: the caller calls it directly, so move its inputs on the way in
            handles.append(model.register_forward_pre_hook(lambda _m, args: to_model(dm, args)))
        for name in names:

            def hook(_module, _inputs, output, name=name):
                acts[name] = output

            handles.append(dm.module(name).register_forward_hook(hook))
        yield acts
    finally:
        for h in handles:
            h.remove()


def to_model(dm: DreamModel, args: tuple) -> tuple:
    """Floating tensors in ``args`` moved (differentiably) to ``dm``'s device and dtype; the rest unchanged."""
    device, dtype = dm.device, dm.dtype
    return tuple(
        a.to(device=device, dtype=dtype) if isinstance(a, torch.Tensor) and a.is_floating_point() else a for a in args
    )


class _Stop(Exception):
    """Raised inside a hook to end the forward pass early."""


def forward_until(model: nn.Module, images: torch.Tensor, layers: str | Sequence[str]) -> dict[str, torch.Tensor]:
    """Run ``model`` on ``images`` only as far as needed to get every layer in ``layers``.

    Once the last needed layer has produced its output, a hook raises an
    exception that ends the forward pass: later layers never run. ``"output"``
    asks for the network's final output (the whole forward runs). A vision
    transformer's tokens come back as a map of patches, the class token dropped
    (:func:`dreamlib.vit.as_map`, notebook 20), so objectives read them as they
    read a CNN's feature maps.
    ``images`` may be on any device and in any floating dtype: they are moved
    (differentiably) to the model's; the returned activations stay on the
    model's device, in its dtype.
    Taught in notebook 01.
    """
    dm, names = _resolve(model, layers)
    wanted = [n for n in names if n != OUTPUT]
    acts: dict[str, torch.Tensor] = {}
    handles = []
    tokens = vit.grid(dm.net, *images.shape[-2:]) if vit.patch_size(dm.net) else None

    def hook(_module, _inputs, output, name):
        acts[name] = output if tokens is None else vit.as_map(output, *tokens)
        if OUTPUT not in names and all(n in acts for n in wanted):
            raise _Stop

    try:
        for name in dict.fromkeys(wanted):
            handles.append(dm.module(name).register_forward_hook(lambda m, i, o, name=name: hook(m, i, o, name)))
        try:
            out = dm(images)
            if OUTPUT in names:
                acts[OUTPUT] = out
        except _Stop:
            pass
    finally:
        for h in handles:
            h.remove()
    never = [n for n in wanted if n not in acts]
    if never:
        raise DreamError(f"layer(s) {', '.join(never)} did not run in the forward pass of {dm.name}")
    return acts


def count_hooks(model: nn.Module) -> int:
    """How many forward hooks are attached anywhere in ``model`` (0 after a clean exit).

    Taught in notebook 01.
    """
    return sum(len(m._forward_hooks) for m in model.modules())
