"""The layers of a torchvision vision transformer worth dreaming on, by name.

Part of :mod:`dreamlib.vit`. Taught in notebook 20.
"""

from __future__ import annotations

from torch import nn


def blocks(net: nn.Module) -> list[str]:
    """The names of a torchvision ViT's blocks, first to last (``encoder.layers.encoder_layer_0``, ...).

    Taught in notebook 20."""
    return [f"encoder.layers.{name}" for name, _ in net.encoder.layers.named_children()]


def layers(net: nn.Module) -> tuple[str, ...]:
    """Layers worth dreaming on, shallow to deep: the patch embedding, then for each block its attention output,
    its MLP neurons (``mlp.1``, after the GELU), its MLP output and the block's output; the final norm last.
    Taught in notebook 20."""
    return layer_names(len(blocks(net)))


def layer_names(depth: int) -> tuple[str, ...]:
    """:func:`layers` of a torchvision ViT with ``depth`` blocks, without building one. Taught in notebook 20."""
    names = ["conv_proj"]
    for i in range(depth):
        block = f"encoder.layers.encoder_layer_{i}"
        names += [f"{block}.self_attention", f"{block}.mlp.1", f"{block}.mlp", block]
    return (*names, "encoder.ln")


def neurons(block: int) -> str:
    """The layer of block number ``block``'s MLP neurons (``encoder.layers.encoder_layer_{block}.mlp.1``): the
    hidden layer of the MLP, after its GELU, the units Ghiasi et al. (2022) found worth visualising.
    Taught in notebook 20."""
    return f"encoder.layers.encoder_layer_{block}.mlp.1"
