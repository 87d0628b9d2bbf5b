"""BatchNorm folded into the convolution that feeds it: the same function, one operation fewer per layer.

In eval mode a BatchNorm layer is a fixed per-channel affine map, ``(x - mean) / sqrt(var + eps) * gamma + beta``,
so a convolution followed by it equals one convolution with rescaled weights and a new bias; PyTorch's
``torch.nn.utils.fusion.fuse_conv_bn_eval`` computes it. Dreaming runs every layer forward *and* backward at every
step, so removing the BatchNorm passes saves memory traffic both ways (``benchmarks/README.md``).

Which convolution feeds which BatchNorm is not written in a network's modules (only its ``forward`` knows), so
:func:`conv_bn_pairs` watches a trial forward pass: a BatchNorm whose input *is* a convolution's output (the same
tensor, unchanged), an output nothing else uses (counted in the autograd graph), each module run once, can be
folded; anything less certain runs as it is. Nothing depends on the class or attribute names of a particular
network. The folded BatchNorm is replaced by
``nn.Identity``, so layer names, and the activations under them, stay the same.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.fusion import fuse_conv_bn_eval

from ..hooks import OUTPUT, forward_until
from ..models import DreamModel


def _plain(module: nn.Module, kind: type) -> bool:
    """Exactly a ``kind`` (not a subclass with a forward of its own) whose weights are not reparametrised."""
    return type(module) is kind and not parametrize.is_parametrized(module)


def _foldable(bn: nn.Module) -> bool:
    return (
        _plain(bn, nn.BatchNorm2d)
        and not bn.training
        and bn.track_running_stats
        and bn.affine
        and bn.running_mean is not None
    )


def conv_bn_pairs(model: DreamModel, trial: torch.Tensor, layers: Sequence[str]) -> list[tuple[str, str]]:
    """(convolution, BatchNorm) names whose pair can be folded exactly, seen in a forward pass on ``trial``.

    A pair folds when the BatchNorm's input *is* the convolution's output (the same tensor, unchanged), nothing
    else uses that output (counted in the autograd graph, an objective reading it included), and each of the two
    ran exactly once (a module used twice would change its other use too). The pass runs as far as ``layers`` (a
    pair that does not run is not folded). Returns ``[]`` when the trial pass fails (the real pass will raise, or
    not, with its own message).
    """
    names = {m: n for n, m in model.net.named_modules()}
    produced: dict[int, tuple[nn.Module, torch.Tensor, int]] = {}  # id(output) -> (conv, output, its version)
    found: list[tuple[nn.Module, nn.Module, torch.Tensor]] = []
    calls: Counter = Counter()

    def after_conv(conv, _inputs, output):
        calls[conv] += 1
        produced[id(output)] = (conv, output, output._version)

    def before_bn(bn, inputs):
        calls[bn] += 1
        hit = produced.get(id(inputs[0]))
        if hit is not None and hit[1] is inputs[0] and hit[2] == inputs[0]._version and _foldable(bn):
            found.append((hit[0], bn, inputs[0]))

    handles = [m.register_forward_hook(after_conv) for m in names if _plain(m, nn.Conv2d)]
    handles += [m.register_forward_pre_hook(before_bn) for m in names if isinstance(m, nn.BatchNorm2d)]
    try:
        with torch.enable_grad():
            acts = forward_until(model, trial.detach().requires_grad_(True), layers)
    except Exception:  # noqa: BLE001 - not our error to report
        return []
    finally:
        for h in handles:
            h.remove()
    read = [a for a in acts.values() if isinstance(a, torch.Tensor) and a.grad_fn is not None]
    users = _users(read)
    for a in read:  # what an objective reads is a use too: folding must not change it
        users[a.grad_fn] += 1
    return [
        (names[conv], names[bn])
        for conv, bn, out in found
        if out.grad_fn is not None and users[out.grad_fn] == 1 and calls[conv] == calls[bn] == 1
    ]


def _users(outputs: list[torch.Tensor]) -> Counter:
    """How many operations use each autograd node's result, on the way to ``outputs``."""
    users: Counter = Counter()
    seen, todo = set(), [t.grad_fn for t in outputs]
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for parent, _ in node.next_functions:
            if parent is not None:
                users[parent] += 1
                todo.append(parent)
    return users


def fold_pairs(net: nn.Module, pairs: list[tuple[str, str]], channels_last: bool = False) -> nn.Module:
    """``net`` with each (convolution, BatchNorm) pair folded, in place: the convolution becomes a new, folded one
    (channels-last weights if asked), the BatchNorm an ``nn.Identity``. Returns ``net``."""
    for conv_name, bn_name in pairs:
        fused = fuse_conv_bn_eval(net.get_submodule(conv_name), net.get_submodule(bn_name))
        if channels_last and fused.weight.dim() == 4:
            fused.weight.data = fused.weight.data.contiguous(memory_format=torch.channels_last)
        for name, module in ((conv_name, fused), (bn_name, nn.Identity())):
            parent, _, child = name.rpartition(".")
            net.get_submodule(parent)._modules[child] = module
    return net


def folded_copy(model: DreamModel, trial: torch.Tensor, layers: Sequence[str]) -> tuple[nn.Module | None, list]:
    """A copy of ``model.net`` sharing every tensor except the folded convolutions', with what runs before
    ``layers`` folded, and the folded pairs' own tensors (what the copy no longer shares); ``(None, [])`` when there
    is nothing to fold or the network cannot be copied or folded."""
    pairs = conv_bn_pairs(model, trial, layers)
    if not pairs:
        return None, []
    shared = {id(t): t for t in (*model.net.parameters(), *model.net.buffers())}
    try:
        net = fold_pairs(copy.deepcopy(model.net, shared), pairs, channels_last=True)
    except Exception:  # noqa: BLE001 - a network that cannot be copied or folded runs as it is
        return None, []
    sources = [
        t
        for conv, bn in pairs
        for name in (conv, bn)
        for t in model.net.get_submodule(name).state_dict(keep_vars=True).values()
        if isinstance(t, torch.Tensor) and t.is_floating_point()
    ]
    return net, sources


def fold_batchnorm(model: nn.Module, trial: torch.Tensor | None = None) -> DreamModel:
    """Fold every BatchNorm2d that a convolution feeds into that convolution, in place; returns the model.

    The pairs are found by a forward pass on ``trial`` (default: a blank image of
    the model's minimum size, at least 64 px) through the whole network. The model
    must be in eval mode (a training-mode BatchNorm uses each batch's statistics,
    which cannot be folded). Activations and input gradients stay the same up to
    float rounding. A :func:`dreamlib.faster` model does this on a copy instead (:mod:`dreamlib.fast`).
    """
    from ..errors import DreamError
    from ..models import as_dream_model

    if any(m.training for m in model.modules() if isinstance(m, nn.BatchNorm2d)):
        raise DreamError("fold_batchnorm needs a model in eval mode (call model.eval() first)")
    dm = as_dream_model(model)
    if trial is None:
        side = max(dm.min_size, 64)
        trial = torch.zeros(1, 3, side, side, device=dm.device)
    fold_pairs(dm.net, conv_bn_pairs(dm, trial, [OUTPUT]))
    return dm
