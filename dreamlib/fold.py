"""Fold BatchNorm into the convolution before it: the same function, one operation fewer per layer.

In eval mode a BatchNorm layer is a fixed per-channel affine map,
``y = (x - mean) / sqrt(var + eps) * gamma + beta``, so a convolution followed by
it equals one convolution with rescaled weights and a new bias. Dreaming runs
every layer forward *and* backward at every step, so removing the BatchNorm
passes saves memory traffic on both. The folded BatchNorm is replaced by
``nn.Identity``, so layer names (and hooks on them) keep working and give the
same values. Measured in ``benchmarks/README.md``; taught in notebook 03.
"""

from __future__ import annotations

import torch
from torch import nn

from .errors import DreamError
from .models import DreamModel, as_dream_model

# Parents whose forward applies ``conv`` then ``bn`` (``convN`` then ``bnN``) directly: torchvision's
# InceptionV3/GoogLeNet BasicConv2d and ResNet's stem and blocks. Sequentials are folded by adjacency.
KNOWN_PAIRS = {"BasicConv2d", "ResNet", "Bottleneck", "BasicBlock"}


def _fold_pair(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
    with torch.no_grad():
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        bias = bn.bias - bn.running_mean * scale
        if conv.bias is not None:
            bias = bias + conv.bias * scale
        conv.weight.mul_(scale.view(-1, 1, 1, 1).to(conv.weight.dtype))
        if conv.bias is None:
            conv.bias = nn.Parameter(bias.to(conv.weight.dtype), requires_grad=conv.weight.requires_grad)
        else:
            conv.bias.copy_(bias)


def _foldable(conv, bn) -> bool:
    return (isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d) and bn.track_running_stats
            and bn.affine and bn.running_mean is not None and conv.out_channels == bn.num_features)


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
    for parent in list(dm.net.modules()):
        if isinstance(parent, nn.Sequential):
            names = list(parent._modules)
            for a, b in zip(names, names[1:]):
                if _foldable(parent._modules[a], parent._modules[b]):
                    _fold_pair(parent._modules[a], parent._modules[b])
                    parent._modules[b] = nn.Identity()
        elif type(parent).__name__ in KNOWN_PAIRS:
            for name, child in list(parent.named_children()):
                if isinstance(child, nn.BatchNorm2d):
                    conv = getattr(parent, "conv" + name[2:], None)
                    if _foldable(conv, child):
                        _fold_pair(conv, child)
                        setattr(parent, name, nn.Identity())
    return dm
