"""Patches, tokens and positions: a torchvision vision transformer run at any picture size.

Part of :mod:`dreamlib.vit`. Taught in notebook 20.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import DreamError


def patch_size(net: nn.Module) -> int | None:
    """The patch side of a torchvision-style vision transformer, ``None`` for any other network.

    Recognised by its parts (``conv_proj``, ``class_token``, ``encoder.pos_embedding``, ``patch_size``), so a
    ViT of your own built the way torchvision builds them counts too. Taught in notebook 20.
    """
    parts = ("conv_proj", "class_token", "encoder", "patch_size", "heads")
    if all(hasattr(net, p) for p in parts) and hasattr(net.encoder, "pos_embedding"):
        return int(net.patch_size)
    return None


def grid(net: nn.Module, height: int, width: int) -> tuple[int, int]:
    """(rows, columns) of patches :func:`forward` cuts a ``height`` x ``width`` picture into: each side rounded
    to a whole number of patches, at least one. Taught in notebook 20."""
    p = patch_size(net)
    if p is None:
        raise DreamError(f"{type(net).__name__} is not a vision transformer: it has no patches")
    return max(1, round(height / p)), max(1, round(width / p))


def positions(net: nn.Module, rows: int, columns: int) -> torch.Tensor:
    """The position embedding for a ``rows`` x ``columns`` grid of patches, shape (1, 1 + rows * columns, D).

    The learned table is a square grid (plus the class token's entry, kept as it is); for another grid it is
    resized like a picture, bicubically. Taught in notebook 20.
    """
    table = net.encoder.pos_embedding
    side = round((table.shape[1] - 1) ** 0.5)
    if (rows, columns) == (side, side):
        return table
    square = table[:, 1:].transpose(1, 2).reshape(1, -1, side, side)
    shrink = rows < side or columns < side
    resized = F.interpolate(square.float(), size=(rows, columns), mode="bicubic", antialias=shrink)
    resized = resized.to(table.dtype).flatten(2).transpose(1, 2)
    return torch.cat([table[:, :1], resized], dim=1)


def forward(net: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Run a torchvision vision transformer on normalised ``images`` of any size (the class logits).

    The picture is resized (bilinearly, so every pixel still gets a gradient) to whole patches, the position
    table interpolated (:func:`positions`); then torchvision's own steps: patches to tokens, the class token in
    front, the encoder (whose hooks fire as usual), the head on the class token. Taught in notebook 20.
    """
    p = patch_size(net)
    rows, columns = grid(net, *images.shape[-2:])
    if images.shape[-2:] != (rows * p, columns * p):
        images = F.interpolate(images, size=(rows * p, columns * p), mode="bilinear", align_corners=False)
    tokens = net.conv_proj(images).flatten(2).transpose(1, 2)  # (N, rows * columns, D)
    tokens = torch.cat([net.class_token.expand(len(tokens), -1, -1), tokens], dim=1)
    pos = positions(net, rows, columns)
    # the encoder adds its own position table: give it this grid's for the call (its weights stay as they are)
    tokens = torch.func.functional_call(net.encoder, {"pos_embedding": pos}, (tokens,), strict=False)
    return net.heads(tokens[:, 0])


def token_grid(tokens: torch.Tensor, rows: int, columns: int) -> torch.Tensor:
    """Tokens (N, 1 + rows * columns, D) as a map (N, D, rows, columns): the class token dropped, the patch
    tokens put back where their patches were. Taught in notebook 20."""
    if tokens.dim() != 3 or tokens.shape[1] != 1 + rows * columns:
        raise DreamError(
            f"expected tokens of shape (N, 1 + {rows}*{columns}, D) for a {rows}x{columns} grid of patches, "
            f"got {tuple(tokens.shape)}"
        )
    return tokens[:, 1:].transpose(1, 2).reshape(len(tokens), -1, rows, columns)


def as_map(output, rows: int, columns: int):
    """What an objective reads from a transformer layer's ``output``: its tokens as a map (:func:`token_grid`);
    an attention layer's (output, weights) pair gives its output; anything else is returned as it is.
    Taught in notebook 20."""
    if isinstance(output, tuple) and output and isinstance(output[0], torch.Tensor):
        output = output[0]
    if isinstance(output, torch.Tensor) and output.dim() == 3 and output.shape[1] == 1 + rows * columns:
        return token_grid(output, rows, columns)
    return output
