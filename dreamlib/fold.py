"""Fold BatchNorm into the convolution before it: the same function, one operation fewer per layer.

In eval mode a BatchNorm layer is a fixed per-channel affine map,
``y = (x - mean) / sqrt(var + eps) * gamma + beta``, so a convolution followed by
it equals one convolution with rescaled weights and a new bias. Dreaming runs
every layer forward *and* backward at every step, so removing the BatchNorm
passes saves memory traffic on both. The folded BatchNorm is replaced by
``nn.Identity``, so layer names (and hooks on them) keep working and give the
same values. Measured in ``benchmarks/README.md``; taught in notebook 03.

:func:`fold_batchnorm` changes a model in place (you choose to); :func:`folded_twin`
is what :func:`dreamlib.dream` and :func:`dreamlib.render` use: a cached copy that
shares every tensor with your model except the folded convolutions, so your model,
its ``state_dict`` and its printout stay as they are.
"""

from __future__ import annotations

import copy
import weakref
from typing import Sequence

import torch
from torch import nn

from .errors import DreamError
from .hooks import forward_until
from .models import DreamModel, as_dream_model
from .reorder import pool_after_conv
from .winograd import use_winograd

# Parents whose forward applies ``conv`` then ``bn`` (``convN`` then ``bnN``) directly: torchvision's
# InceptionV3/GoogLeNet BasicConv2d and ResNet's stem and blocks. Sequentials are folded by adjacency.
KNOWN_PAIRS = {"BasicConv2d", "ResNet", "Bottleneck", "BasicBlock"}


def _fold_pair(conv: nn.Conv2d, bn: nn.BatchNorm2d, new_tensors: bool = False) -> None:
    """Fold ``bn`` into ``conv`` (scale and bias worked out in float32 or finer); ``new_tensors``:
    give ``conv`` new weight and bias tensors instead of changing its own (which a twin shares)."""
    with torch.no_grad():
        work = torch.promote_types(bn.running_var.dtype, torch.float32)
        scale = bn.weight.to(work) / torch.sqrt(bn.running_var.to(work) + bn.eps)
        bias = bn.bias.to(work) - bn.running_mean.to(work) * scale
        if conv.bias is not None:
            bias = bias + conv.bias.to(work) * scale
        dtype, grad = conv.weight.dtype, conv.weight.requires_grad
        if new_tensors:
            conv.weight = nn.Parameter((conv.weight.to(work) * scale.view(-1, 1, 1, 1)).to(dtype), requires_grad=grad)
            conv.bias = nn.Parameter(bias.to(dtype), requires_grad=grad)
            return
        conv.weight.mul_(scale.view(-1, 1, 1, 1).to(dtype))
        if conv.bias is None:
            conv.bias = nn.Parameter(bias.to(dtype), requires_grad=grad)
        else:
            conv.bias.copy_(bias)


def _foldable(conv, bn) -> bool:
    return (isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d) and bn.track_running_stats
            and bn.affine and bn.running_mean is not None and conv.out_channels == bn.num_features)


def _pairs(net: nn.Module):
    """Every (parent, conv, bn name) whose BatchNorm can be folded, in ``named_modules`` order."""
    for parent in net.modules():
        if isinstance(parent, nn.Sequential):
            names = list(parent._modules)
            for a, b in zip(names, names[1:]):
                if _foldable(parent._modules[a], parent._modules[b]):
                    yield parent, parent._modules[a], b
        elif type(parent).__name__ in KNOWN_PAIRS:
            for name, child in list(parent.named_children()):
                conv = getattr(parent, "conv" + name[2:], None)
                if isinstance(child, nn.BatchNorm2d) and _foldable(conv, child):
                    yield parent, conv, name


def fold_batchnorm(model: nn.Module) -> DreamModel:
    """Fold every eval-mode BatchNorm2d into the Conv2d that feeds it, in place; returns the model.

    Only pairs whose order is certain are folded: adjacent entries of an
    ``nn.Sequential`` and the ``conv``/``bn`` (``convN``/``bnN``) attributes of
    torchvision's Inception, GoogLeNet and ResNet blocks. The model must be in eval
    mode (a training-mode BatchNorm uses the batch's statistics, which cannot be
    folded). Gradients with respect to the input stay the same up to float rounding.
    Taught in notebook 03.
    """
    if any(m.training for m in model.modules() if isinstance(m, nn.BatchNorm2d)):
        raise DreamError("fold_batchnorm needs a model in eval mode (call model.eval() first)")
    dm = as_dream_model(model)
    for parent, conv, bn_name in list(_pairs(dm.net)):
        _fold_pair(conv, parent._modules[bn_name])
        parent._modules[bn_name] = nn.Identity()
    return dm


def _has_hooks(net: nn.Module) -> bool:
    return any(m._forward_hooks or m._forward_pre_hooks or m._backward_hooks or getattr(m, "_backward_pre_hooks", None)
               for m in net.modules())


def _fingerprint(module: nn.Module) -> tuple:
    """Changes when the module does: a tensor changed in place (``_version``), replaced, moved or cast; a module
    swapped; train/eval switched."""
    tensors = tuple((id(t), t._version, t.data_ptr(), t.dtype, t.device) for t in (*module.parameters(), *module.buffers()))
    return tensors, tuple((id(m), m.training) for m in module.modules())


# network -> (its fingerprint and the layers, the folded copy of it or None); DreamModel -> (key, its twin). A model
# wrapped anew for every call (``dream(my_net, ...)``) gets a new wrapper each time but reuses the folded network.
_nets: "weakref.WeakKeyDictionary[nn.Module, tuple]" = weakref.WeakKeyDictionary()
_twins: "weakref.WeakKeyDictionary[nn.Module, tuple]" = weakref.WeakKeyDictionary()


def folded_twin(model: nn.Module, layers: Sequence[str], run=None) -> DreamModel:
    """``model`` with the BatchNorms that run before ``layers`` folded, as a cached copy; or ``model`` itself.

    The copy shares every parameter and buffer with ``model`` except the weights and
    biases of the folded convolutions, so it costs only those (21 MB for InceptionV3
    up to ``Mixed_6c``); it gives the same activations at every layer name, and the
    same input gradients up to float rounding (tested). ``run(dm)`` runs a forward
    pass as far as ``layers`` (it shows which convolutions are used; default: a blank
    image of the model's minimum size, at least 64 px). ``model`` itself comes back
    when folding cannot be exact or could surprise: a BatchNorm in training mode,
    hooks of yours attached (they would not see the copy), an objective on a
    convolution's own output (folding changes it), no BatchNorm to fold, or a network
    the trial pass fails on. The copy is made again whenever the model changes
    (weights trained or loaded, moved, cast, train/eval). In the copy, InceptionV3's
    pooling branches also pool after their 1x1 convolution instead of before, and each
    block's first 1x1 convolutions run as one (:mod:`dreamlib.reorder`); on a CPU where it
    measures faster the 3x3/5x5 and 1x7/7x1 convolutions run by Winograd's algorithm in fp32
    (:mod:`dreamlib.winograd`). Used by :func:`dreamlib.dream` and
    :func:`dreamlib.render`; measured in ``benchmarks/README.md``. Taught in
    notebook 03; notebook 04's octave loop steps on it, as ``dream`` does.
    """
    dm = as_dream_model(model)
    if _has_hooks(dm) or any(m.training for m in dm.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)):
        return dm
    layers = [layers] if isinstance(layers, str) else list(layers)
    net_key = (_fingerprint(dm.net), tuple(layers))
    key = (net_key, tuple((id(t), t._version) for t in dm._buffers.values() if t is not None))
    cached = _twins.get(dm)
    if cached is not None and cached[0] == key:
        return cached[1]
    cached = _nets.get(dm.net)
    if cached is not None and cached[0] == net_key:
        net = cached[1]
    else:
        net = _folded_net(dm, layers, run)
        _nets[dm.net] = (net_key, net)
    if net is None:
        return dm
    memo = {id(dm.net): net, **{id(t): t for t in dm._buffers.values() if t is not None}}  # only the wrapper is new
    twin = copy.deepcopy(dm, memo)
    _twins[dm] = (key, twin)
    return twin


def _folded_net(dm: DreamModel, layers: list[str], run) -> nn.Module | None:
    """A copy of ``dm.net`` sharing its tensors, with what runs before ``layers`` folded; None if there is nothing
    to fold or the trial pass or the copy fails."""
    if run is None:
        blank = torch.zeros(1, 3, max(dm.min_size, 64), max(dm.min_size, 64), device=dm.device)
        run = lambda m: forward_until(m, blank, layers)  # noqa: E731
    named = dict(dm.net.named_modules())
    targets = {id(named[n]) for n in layers if n in named}
    pairs = [(parent, conv, bn) for parent, conv, bn in _pairs(dm.net) if id(conv) not in targets]
    ran: set[int] = set()
    handles = [conv.register_forward_pre_hook(lambda m, i: ran.add(id(m))) for _, conv, _ in pairs]
    try:
        with torch.no_grad():
            run(dm)
    except Exception:  # noqa: BLE001 - the real pass will raise (or not) with its own message
        return None
    finally:
        for h in handles:
            h.remove()
    pairs = [(parent, conv, bn) for parent, conv, bn in pairs if id(conv) in ran]
    if not pairs:
        return None
    try:
        net = copy.deepcopy(dm.net, {id(t): t for t in (*dm.net.parameters(), *dm.net.buffers())})  # tensors shared
    except Exception:  # noqa: BLE001 - a network holding something that cannot be copied runs as it is
        return None
    same = dict(zip(map(id, dm.net.modules()), net.modules()))  # original module -> its copy
    for parent, conv, bn in pairs:
        copy_parent, copy_conv = same[id(parent)], same[id(conv)]
        _fold_pair(copy_conv, copy_parent._modules[bn], new_tensors=True)
        copy_parent._modules[bn] = nn.Identity()
    read = {id(same[t]) for t in targets if t in same}  # modules an objective reads must still run as they are
    pool_after_conv(net, keep={id(b) for b in net.modules() if any(id(d) in read for d in b.modules() if d is not b)})
    if dm.device.type == "cpu":
        use_winograd(net, skip=read)
    return net
