"""What to maximise: objectives turn a network's activations into one score per image.

An :class:`Objective` names the layers it needs (so the forward pass can stop
right after them) and maps their activations to a tensor of shape (batch,).
Objectives compose: ``layer_mean("Mixed_5b") + 2 * channel("Mixed_6c", 7)``,
``-layer_l2("conv1")``. Taught in notebook 03 (the layer mean) and 06 (the rest).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Callable

import torch

from .errors import DreamError
from .hooks import OUTPUT, forward_until
from .images import load_image, tensor_values
from .models import as_dream_model

Activations = dict[str, torch.Tensor]


class Objective:
    """A differentiable score of activations: ``objective(acts) -> tensor (batch,)``.

    Taught in notebook 03.
    """

    def __init__(self, fn: Callable[[Activations], torch.Tensor], layers: Sequence[str], name: str) -> None:
        self.fn = fn
        self.layers = tuple(dict.fromkeys(layers))
        self.name = name

    def __call__(self, acts: Activations) -> torch.Tensor:
        return self.fn(acts)

    def __add__(self, other: Objective) -> Objective:
        return Objective(lambda a: self(a) + other(a), self.layers + other.layers, f"{self.name} + {other.name}")

    def __neg__(self) -> Objective:
        return Objective(lambda a: -self(a), self.layers, f"-{self.name}")

    def __sub__(self, other: Objective) -> Objective:
        return self + (-other)

    def __mul__(self, weight: float) -> Objective:
        return Objective(lambda a: weight * self(a), self.layers, f"{weight:g}*{self.name}")

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"Objective({self.name})"


def activation(acts: Activations, layer: str) -> torch.Tensor:
    """The tensor a layer produced, as float32 (bf16 autocast outputs are upcast); a clear error otherwise."""
    x = acts[layer]
    if not isinstance(x, torch.Tensor):
        raise DreamError(f"layer {layer!r} outputs a {type(x).__name__}, not a tensor; pick another layer")
    return x.float()


def layer_mean(layer: str) -> Objective:
    """Mean activation of a layer — the objective of the PyTorch DeepDream tutorial. Taught in notebook 03."""
    return Objective(lambda a: activation(a, layer).flatten(1).mean(1), [layer], f"mean({layer})")


def layer_l2(layer: str) -> Objective:
    """Half the mean squared activation — the 2015 original's L2 objective, per element.

    Taught in notebook 06.
    """
    return Objective(lambda a: 0.5 * activation(a, layer).pow(2).flatten(1).mean(1), [layer], f"l2({layer})")


def layers_sum(weights: dict[str, float], kind: Callable[[str], Objective] = layer_mean) -> Objective:
    """A weighted sum over several layers, e.g. ``{"Mixed_5b": 1.0, "Mixed_6c": 0.5}``.

    Taught in notebook 06.
    """
    if not weights:
        raise DreamError("layers_sum needs at least one layer")
    items = [w * kind(layer) for layer, w in weights.items()]
    total = items[0]
    for item in items[1:]:
        total = total + item
    return total


def _check_index(what: str, index: int, size: int, layer: str) -> None:
    if not 0 <= index < size:
        raise DreamError(f"{what} {index} is out of range for {layer} (valid: 0..{size - 1})")


def channel(layer: str, index: int) -> Objective:
    """Mean activation of one channel (one feature detector) of a layer. Taught in notebook 06."""

    def fn(a: Activations) -> torch.Tensor:
        x = activation(a, layer)
        _check_index("channel", index, x.shape[1], layer)
        return x[:, index].flatten(1).mean(1)

    return Objective(fn, [layer], f"channel({layer}, {index})")


def neuron(layer: str, index: int, y: int | None = None, x: int | None = None) -> Objective:
    """One channel at one spatial position (the centre unless ``y``, ``x`` are given).

    Taught in notebook 06.
    """

    def fn(a: Activations) -> torch.Tensor:
        t = activation(a, layer)
        _check_index("channel", index, t.shape[1], layer)
        h, w = t.shape[2], t.shape[3]
        yy, xx = (h // 2 if y is None else y), (w // 2 if x is None else x)
        _check_index("row", yy, h, layer)
        _check_index("column", xx, w, layer)
        return t[:, index, yy, xx]

    return Objective(fn, [layer], f"neuron({layer}, {index})")


def class_logit(index: int | Sequence[int]) -> Objective:
    """One class logit of a classifier's output (e.g. ImageNet class 207, golden retriever).

    A list of classes renders many at once: image ``i`` of the batch maximises class ``index[i]`` (the batch must
    have one image per class; MACO's crops are handled by :func:`dreamlib.render`). Taught in notebook 06; the list
    form in notebook 14.
    """
    if isinstance(index, Sequence) and not isinstance(index, str):
        picks = [int(i) for i in index]

        def many(a: Activations) -> torch.Tensor:
            out = activation(a, OUTPUT)
            for i in picks:
                _check_index("class", i, out.shape[1], "the classifier output")
            if out.shape[0] != len(picks):
                raise DreamError(
                    f"class_logit of {len(picks)} classes needs a batch of {len(picks)}, got {out.shape[0]}"
                )
            return out[torch.arange(len(picks), device=out.device), torch.as_tensor(picks, device=out.device)]

        return Objective(many, [OUTPUT], f"classes({', '.join(map(str, picks))})")

    def fn(a: Activations) -> torch.Tensor:
        out = activation(a, OUTPUT)
        _check_index("class", index, out.shape[1], "the classifier output")
        return out[:, index]

    return Objective(fn, [OUTPUT], f"class({index})")


def as_objective(objective: Objective | str) -> Objective:
    """A layer name is shorthand for :func:`layer_mean` of that layer. Taught in notebook 03."""
    if isinstance(objective, Objective):
        return objective
    if isinstance(objective, str):
        return layer_mean(objective)
    raise DreamError(f"expected a layer name or an Objective, got {type(objective).__name__}")


def guide(model, guide_image, layer: str) -> Objective:
    """Dream toward the features of ``guide_image`` (the 2015 original's "guided dreaming").

    For each position of the dreamed image's ``layer`` output, find the guide
    feature vector that matches best (largest dot product) and push the
    activation toward it. ``guide_image``: a (1, 3, H, W) tensor in [0, 1] or
    anything :func:`load_image` accepts, on any device (the model moves it to
    its own device and dtype; the guide features stay on the model's device).
    Taught in notebook 06.
    """
    dm = as_dream_model(model)
    if not isinstance(guide_image, torch.Tensor):
        guide_image = load_image(guide_image)
    else:
        guide_image = tensor_values(
            guide_image.detach().unsqueeze(0) if guide_image.dim() == 3 else guide_image.detach()
        )
    if min(guide_image.shape[-2:]) < dm.min_size:
        h, w = guide_image.shape[-2:]
        raise DreamError(
            f"the guide image is {w}x{h} px but {dm.name} needs at least {dm.min_size} px per side; "
            f"use a larger guide image"
        )
    with torch.no_grad():
        feats = activation(forward_until(dm, guide_image, layer), layer)[0]
    guide_bank = feats.flatten(1)  # (C, M): one column per guide position

    def fn(a: Activations) -> torch.Tensor:
        x = activation(a, layer).flatten(2)  # (B, C, N)
        bank = guide_bank.to(x.device)  # no copy unless the model moved since the guide was made
        if x.shape[1] != bank.shape[0]:
            raise DreamError(f"guide features have {bank.shape[0]} channels but {layer} has {x.shape[1]}")
        with torch.no_grad():
            best = torch.einsum("bcn,cm->bnm", x, bank).argmax(-1)  # (B, N)
        target = bank.t()[best].transpose(1, 2)  # (B, C, N)
        return (x * target).sum(1).mean(1)

    return Objective(fn, [layer], f"guide({layer})")


def diversity(layer: str) -> Objective:
    """Reward a batch of images for differing in style at ``layer`` (add it to a batch objective, e.g. ``* 10``).

    Each image's style is its Gram matrix (channel-by-channel correlations over
    positions, scaled to unit length); its score is minus the summed similarity
    to the other images' styles, divided by the batch size. A batch of one scores 0.
    After Lucid's ``diversity`` objective (Olah et al., "Feature Visualization",
    Distill 2017, section "Diversity"). Taught in notebook 13.
    """

    def fn(a: Activations) -> torch.Tensor:
        x = activation(a, layer)
        b, c = x.shape[:2]
        flat = x.reshape(b, c, -1)
        grams = flat @ flat.transpose(1, 2)
        grams = grams.flatten(1) / grams.flatten(1).norm(dim=1, keepdim=True).clamp(min=1e-12)
        similarity = grams @ grams.T  # (b, b)
        others = similarity.sum(1) - similarity.diagonal()
        return -others / b

    return Objective(fn, [layer], f"diversity({layer})")


def direction(layer: str, vector) -> Objective:
    """Mean over positions of the activation's dot product with ``vector`` (scaled to length 1).

    A direction is a mix of channels: ``direction(layer, e_k)`` is ``channel(layer, k)``,
    and the difference of two images' mean activations points from one concept to the
    other. Taught in notebook 13.
    """
    v = torch.as_tensor(vector, dtype=torch.float32).flatten()
    if not torch.isfinite(v).all() or v.norm() == 0:
        raise DreamError("direction needs a non-zero, finite vector (one number per channel)")
    v = v / v.norm()

    def fn(a: Activations) -> torch.Tensor:
        x = activation(a, layer)
        if x.shape[1] != len(v):
            raise DreamError(f"the direction has {len(v)} numbers but {layer} has {x.shape[1]} channels")
        return torch.einsum("bchw,c->bhw", x, v.to(x.device)).flatten(1).mean(1)

    return Objective(fn, [layer], f"direction({layer})")
