"""Where a vision transformer's class token looks: its attention to each patch, block by block.

Part of :mod:`dreamlib.vit`. Taught in notebook 20.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import DreamError
from .layers import blocks
from .tokens import forward, grid, patch_size


def attention_maps(model: nn.Module, images: torch.Tensor, block: str) -> torch.Tensor:
    """Where the class token looks in ``block``: its attention to each patch, averaged over heads,
    shape (N, rows, columns) on the CPU, each map summing to at most 1 (the rest goes to the class token itself).

    torchvision's blocks skip computing the attention weights, so the block's attention is run once more on
    its own input, asking for them. ``model``: a :class:`dreamlib.DreamModel` around a ViT (pictures in [0, 1]) or
    a torchvision ViT itself (normalised pictures); ``block`` a block name (:func:`blocks`). Taught in notebook 20.
    """
    net = getattr(model, "net", model)  # a DreamModel runs its network with its own normalisation
    name = getattr(model, "name", type(net).__name__)
    if patch_size(net) is None:
        raise DreamError(f"{name} is not a vision transformer: it has no attention maps")
    if block not in blocks(net):
        raise DreamError(f"unknown block {block!r}; valid blocks: {', '.join(blocks(net))}")
    seen = {}
    handle = net.get_submodule(f"{block}.ln_1").register_forward_hook(lambda _m, _i, out: seen.setdefault("x", out))
    try:
        with torch.no_grad():
            if net is model:
                param = next(net.parameters())
                forward(net, images.to(param.device, param.dtype))
            else:
                model(images)
            x = seen["x"]
            _, weights = net.get_submodule(f"{block}.self_attention")(x, x, x, need_weights=True)
    finally:
        handle.remove()
    rows, columns = grid(net, *images.shape[-2:])
    return weights[:, 0, 1:].reshape(len(images), rows, columns).float().cpu()
