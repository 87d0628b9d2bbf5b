"""Checks for notebook 20 (how a transformer sees): tokens put back on their patch grid, and which cue wins."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ._shared import _call, _compare, _predicted, _report, _same_word


def check_token_grid(fn: Callable) -> bool:
    """Notebook 20: ``fn(tokens, rows, columns)`` -> the tokens (N, 1 + rows * columns, D) as a map
    (N, D, rows, columns), the class token (the first) dropped and each patch's token where its patch was
    (patches are numbered row by row)."""
    name = "token_grid"
    g = torch.Generator().manual_seed(0)
    tokens = torch.randn(2, 1 + 3 * 5, 4, generator=g)
    got, problem = _call(name, fn, tokens, 3, 5)
    if problem:
        return _report(name, problem)
    expected = tokens[:, 1:].transpose(1, 2).reshape(2, 4, 3, 5)
    if isinstance(got, torch.Tensor) and got.shape == (2, 4, 3, 5):
        if torch.allclose(got, tokens[:, :-1].transpose(1, 2).reshape(2, 4, 3, 5)):
            return _report(name, "you dropped the last token: the class token is the first, tokens[:, 0]")
        if torch.allclose(got, tokens[:, 1:].transpose(1, 2).reshape(2, 4, 5, 3).transpose(2, 3)):
            return _report(name, "rows and columns are swapped: patches are numbered row by row")
    problem = _compare(got, expected, "drop the class token, then (N, T, D) -> (N, D, T) -> (N, D, rows, columns)")
    return _report(name, problem)


def check_shape_follower(prediction, measured: str) -> bool:
    """Notebook 20: which of the world's two networks answers cue-conflict pictures by their shape more often
    (``"CNN"``, ``"ViT"`` or ``"same"``: shape biases less than 0.1 apart)? ``measured`` is what the run found."""
    why = {
        "vit": "The transformer followed the outline more often than the CNN did, as Tuli et al. found on ImageNet.",
        "cnn": "The CNN followed the outline more often: on this world, training (here adversarial, for both) "
        "matters as much as the architecture.",
        "same": "The two follow the outline about equally often: the architecture alone does not decide the cue.",
    }.get(measured.lower(), "")
    return _predicted("the shape follower", prediction, measured, why, same=lambda p, m: _same_word(p, m.lower()))
