"""Lucid's redirected ReLU gradient: no blank visualisations for units that are silent at the start.

A render starts from faint noise. A unit whose ReLU outputs 0 everywhere on that noise has a gradient of 0 there,
so the optimiser never moves and its visualisation stays flat grey, although the unit fires on real pictures (on
the shipped shapes model, 45 of 368 channels of conv2-conv6 at 96 px and 64 steps). Lucid's ``render_vis`` avoided
it from the start (``relu_gradient_override``, in ``lucid/misc/redirected_relu_grad.py``); lucent dropped it.

The redirect changes only the backward pass of each ReLU, and only for an image that nothing reaches through that
ReLU: there, the gradient passes where it would *raise* the ReLU's input, even where the input is negative, so the
optimiser can climb out of the dead zone. Where the ordinary gradient gets through, it is left alone. Lucid applies
it for the first 16 steps; :func:`dreamlib.render` does the same (``redirect_relu=16``; 0 turns it off).

:func:`redirected_relus` is a context manager: inside it, every ``torch.relu`` / ``F.relu`` / ``nn.ReLU`` call of
this thread (including torchvision's functional ReLUs) uses the redirected gradient; on exit everything is as
before. Nothing is patched and no hook is left on the model. Taught in notebook 18.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode


class RedirectedReLU(torch.autograd.Function):
    """``relu(x)`` forward; backward: the ReLU's gradient, or for an image where it is all zero, Lucid's redirect.

    ``grad`` is the gradient of the loss being *minimised* (a render minimises ``-objective``): where ``x < 0`` and
    ``grad > 0`` a step would push ``x`` further down, so that part is dropped; the rest passes. Taught in notebook 18.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        plain = grad * (x > 0)
        redirected = torch.where((x < 0) & (grad > 0), torch.zeros_like(grad), grad)
        if x.dim() <= 1:  # a scalar or a single vector: no batch axis, one image
            return plain if plain.any() else redirected
        dead = plain.flatten(1).abs().amax(1) == 0  # per image: nothing got through this ReLU
        return torch.where(dead.view(-1, *([1] * (x.dim() - 1))), redirected, plain)


_RELUS = {F.relu, torch.relu, torch.relu_, torch.Tensor.relu, torch.Tensor.relu_}


class redirected_relus(TorchFunctionMode):  # noqa: N801 - used as a function: ``with redirected_relus():``
    """Inside ``with redirected_relus():`` every ReLU call uses :class:`RedirectedReLU` (never in place).

    Taught in notebook 18."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in _RELUS:
            return RedirectedReLU.apply(args[0])
        return func(*args, **(kwargs or {}))
