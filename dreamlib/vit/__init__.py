"""How a transformer sees: a picture cut into patches, one token per patch, at any picture size.

A vision transformer (Dosovitskiy et al. 2021, "An image is worth 16x16 words") cuts the picture into squares of
``patch_size`` pixels, turns each into a vector (a *token*) with one convolution (``conv_proj``), puts a learned
*class token* in front, adds a learned *position embedding* to every token, and lets the tokens look at each other
in every block (attention), each block followed by a small two-layer network applied to every token alone (the
MLP). The class token's vector after the last block is what the classifier reads.

torchvision's ``VisionTransformer`` takes exactly one picture size, because its position table has one entry per
patch of that size (14 x 14 for ``vit_b_16`` at 224 px). Dreaming needs any size (octaves, tiles, print sizes), so
:func:`forward` runs one at any size: the picture is resized to a whole number of patches and the position table
is interpolated to that grid (bicubic, as the DeiT and timm code fine-tune ViTs at new resolutions). At the
network's own size it is torchvision's forward exactly.

:func:`token_grid` turns a layer's tokens, shape (N, 1 + rows * columns, D), into a map (N, D, rows, columns)
without the class token, so every objective made for a CNN's feature maps (channel, neuron, layer mean) reads a
transformer's layers too; :func:`dreamlib.forward_until` does it for you. :func:`attention_maps` shows where the
class token looks. :func:`layers` names what to dream on: each block's output, its attention output, its MLP
neurons (the hidden layer, after the GELU) and its MLP output.

Three small modules: :mod:`.tokens` (patches, tokens, positions, the any-size forward), :mod:`.layers` (names),
:mod:`.attention` (attention maps). Taught in notebook 20.
"""

from .attention import attention_maps
from .layers import blocks, layer_names, layers, neurons
from .tokens import as_map, forward, grid, patch_size, positions, token_grid

__all__ = [
    "as_map",
    "attention_maps",
    "blocks",
    "forward",
    "grid",
    "layer_names",
    "layers",
    "neurons",
    "patch_size",
    "positions",
    "token_grid",
]
