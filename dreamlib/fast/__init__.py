"""Speed, decided in one place: ``model = dl.faster(model)``.

Every lesson function runs the network exactly as you built it, in its own dtype: what the lessons teach. Pass
it a model from :func:`faster` instead, and it steps on a faster twin of that network (the command line does this
for you unless told ``--no-fast``). The twin computes the same function, so a fast dream is the same kind of dream
(not bit for bit: sums are added up in another order). Three things, each measured in ``benchmarks/README.md`` and
kept only because it buys time end to end:

1. **channels-last images** (:func:`channels_last`): convolutions run on pixels stored channel-innermost, the
   layout CPU (oneDNN) and GPU (tensor-core) kernels are fastest in.
2. **BatchNorm folded into the convolutions** (:mod:`dreamlib.fast.fold`), on a cached copy that shares every
   other tensor with your model; your model, its ``state_dict`` and its layer names stay as they are.
3. **bfloat16 where this machine computes it faster** (``precision="auto"``, :mod:`dreamlib.fast.precision`):
   a one-time probe decides; on CPUs without native bf16 it stays float32.

The docs' "What fast does" page tells the same with the numbers. Lesson 04 shows :func:`faster` once; no lesson
needs it.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import torch
from torch import nn

from ..models import DreamModel, as_dream_model
from .fold import fold_batchnorm, folded_copy
from .precision import PRECISIONS, autocast, resolve_precision

__all__ = ["FastModel", "PRECISIONS", "fast_model", "faster", "fold_batchnorm", "resolve_precision", "twin_for"]


class FastModel(DreamModel):
    """A model that runs fast: its network (or a folded copy of it), fed channels-last images, in ``precision``.

    :func:`faster` makes one from your model; the lesson functions step on its folded twin
    (:func:`twin_for`). It shares the model's network, normalisation and layer names, so hooks,
    objectives and :func:`dreamlib.forward_until` work on it as on the model. Taught in notebook 04.
    """

    def __init__(self, model: DreamModel, net: nn.Module, precision: str) -> None:
        nn.Module.__init__(self)  # not DreamModel's: it would switch a network it shares with ``model`` to eval mode
        self.net = net
        for key in DreamModel.DESCRIPTION:
            setattr(self, key, getattr(model, key))
        if model.mean is None:
            self.mean = self.std = None
        else:
            self.register_buffer("mean", model.mean)
            self.register_buffer("std", model.std)
        self.precision = precision

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        with autocast(resolve_precision(self.precision, self.device), self.device):
            return super().forward(channels_last(images))

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, precision={self.precision!r}"


def channels_last(images: torch.Tensor) -> torch.Tensor:
    """A batch of images stored channel-innermost (the same values; no copy if they already are)."""
    return images.contiguous(memory_format=torch.channels_last) if images.dim() == 4 else images


def faster(model: nn.Module, precision: str = "auto") -> FastModel:
    """``model``, set to run fast: the one place dreamlib decides speed.

    Pass the result wherever you pass a model (:func:`dreamlib.dream`, :func:`dreamlib.render`, ...): they step
    on its faster twin, the same function computed in another order (:func:`twin_for`). It shares ``model``'s
    network, so training one trains the other (move ``model`` to its device first). ``precision``: ``"auto"``
    (bfloat16 where this machine computes it faster, measured once), ``"fp32"`` or ``"bf16"``; renders and
    accentuations stay in float32. The command line does this unless told ``--no-fast``. Taught in notebook 04.
    """
    resolve_precision(precision, torch.device("meta"))  # an unknown name -> the usual one-line error
    dm = as_dream_model(model)
    return FastModel(dm, dm.net, precision)


def twin_for(model: DreamModel, layers: Sequence[str], trial: torch.Tensor, precision: str | None = None) -> DreamModel:
    """What a lesson function steps on: ``model`` itself, or for a :func:`faster` model its twin for ``layers``.

    ``trial``: a small image for :func:`fast_model`'s one forward pass; ``precision`` overrides the model's
    (renders pass ``"fp32"``). A model that is not fast comes back as it is, so the lessons' code runs.
    """
    if not isinstance(model, FastModel):
        return model
    return fast_model(model, layers, trial, precision or model.precision)


# network -> (its fingerprint and the layers, its folded copy or None); model -> (key, its twin). A model wrapped
# anew for every call (``dream(my_net, ...)``) gets a new wrapper each time but reuses the folded network.
_nets: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_twins: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def fast_model(model: nn.Module, layers: Sequence[str], trial: torch.Tensor, precision: str = "auto") -> FastModel:
    """``model``'s fast twin for an objective on ``layers``, cached: what a :func:`faster` model steps on.

    ``trial`` is a small image a forward pass runs on once, to see which BatchNorms
    run before ``layers`` and which convolution feeds each (:mod:`dreamlib.fast.fold`).
    ``precision`` (``"auto"``, ``"fp32"``, ``"bf16"``) is resolved for the model's device.
    The twin runs on your network itself, unfolded, when folding cannot be exact or
    could surprise: a BatchNorm in training mode, hooks of yours attached (they would not
    see a copy), or nothing to fold. It is made again whenever the model changes
    (weights trained, loaded or edited, even through ``.data``; moved, cast, train/eval).
    """
    dm = as_dream_model(model)
    precision = resolve_precision(precision, dm.device)
    layers = [layers] if isinstance(layers, str) else list(layers)
    as_built = _hooked(dm) or _training(dm)  # checked at every call: hooks come and go
    net, net_key = None, (_fingerprint(dm.net), tuple(layers))
    if not as_built:
        cached = _nets.get(dm.net)
        # the folded tensors are copies: edits that bypass the version counter (``.data``) show in their content
        if cached is None or cached[0] != net_key or cached[3] != _content(cached[2]):
            folded, sources = folded_copy(dm, trial, layers)
            cached = (net_key, folded, sources, _content(sources))  # the sources are kept: their ids stay theirs
            _nets[dm.net] = cached
        net = cached[1]
    key = (
        id(net),
        as_built,
        precision,
        net_key,
        tuple((id(t), t._version) for t in dm._buffers.values() if t is not None),
    )
    twin = _twins.get(dm)
    if twin is None or twin[0] != key:
        twin = (key, FastModel(dm, dm.net if net is None else net, precision))
        _twins[dm] = twin
    return twin[1]


def _content(tensors: list[torch.Tensor]) -> tuple:
    """Two numbers per tensor that change when its values do (a sum, and a sum weighted by position)."""
    out = []
    for t in tensors:
        if t.device.type == "meta":  # no values to compare (tests stand in for a GPU with it)
            out.append(None)
            continue
        flat = t.detach().flatten().double()
        weights = torch.arange(1, flat.numel() + 1, device=flat.device, dtype=torch.float64).remainder_(7.0).add_(1.0)
        out.append((float(flat.sum()), float((flat * weights).sum())))
    return tuple(out)


def _hooked(net: nn.Module) -> bool:
    return any(
        m._forward_hooks or m._forward_pre_hooks or m._backward_hooks or getattr(m, "_backward_pre_hooks", None)
        for m in net.modules()
    )


def _training(net: nn.Module) -> bool:
    return any(m.training for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm))


def _fingerprint(module: nn.Module) -> tuple:
    """Changes when the module does: a tensor changed in place (``_version``), replaced, moved or cast; a module
    swapped; train/eval switched."""
    tensors = tuple(
        (id(t), t._version, t.data_ptr(), t.dtype, t.device) for t in (*module.parameters(), *module.buffers())
    )
    return tensors, tuple((id(m), m.training) for m in module.modules())
