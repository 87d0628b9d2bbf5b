"""What to maximise: objectives turn a network's activations into one score per image.

An :class:`Objective` names the layers it needs (so the forward pass can stop
right after them) and maps their activations to a tensor of shape (batch,).
Objectives compose: ``layer_mean("Mixed_5b") + 2 * channel("Mixed_6c", 7)``,
``-layer_l2("conv1")``. Taught in notebook 03 (the layer mean) and 06 (the rest).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Callable

import torch

from .checks import check_index
from .errors import DreamError
from .hooks import OUTPUT, forward_until
from .images import load_image, tensor_values
from .models import as_dream_model

Activations = dict[str, torch.Tensor]


# How tightly the outermost operator of an objective's name binds: an operand that binds less gets brackets.
_SUM, _PRODUCT, _NEGATION, _ATOM = range(4)

_ALGEBRA = (
    "objectives combine with + and - (another objective or a number) and with * and / (a number, or a tensor of "
    "one weight per image, shape (batch,))"
)


def _kind(value) -> str:
    """``an Objective``, ``a str``: what an operand is, for an error message."""
    name = "Objective" if isinstance(value, Objective) else type(value).__name__
    return f"{'an' if name[0].lower() in 'aeiou' else 'a'} {name}"


def _refuse(left, op: str, right, why: str = _ALGEBRA) -> DreamError:
    return DreamError(f"cannot compute {_kind(left)} {op} {_kind(right)}: {why}")


def _number(value) -> float | None:
    """``value`` as a finite float, or None when it is not a real number (a bool is not one)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    value = float(value)
    if not math.isfinite(value):
        raise DreamError(f"an objective's constants and weights must be finite numbers, got {value}")
    return value


def _weight(value) -> float | torch.Tensor | None:
    """A number, or a tensor of per-image weights (shape () or (batch,)); None for anything else."""
    if isinstance(value, torch.Tensor):
        if value.dim() > 1 or value.is_complex() or value.dtype == torch.bool:
            raise DreamError(
                f"per-image weights are a real tensor of shape (batch,), got {value.dtype} of shape "
                f"{tuple(value.shape)}"
            )
        if not torch.isfinite(value).all():
            raise DreamError("an objective's per-image weights must be finite numbers")
        return value
    return _number(value)


def _weight_text(weight: float | torch.Tensor) -> str:
    if not isinstance(weight, torch.Tensor):
        return f"{weight:g}"
    if weight.dim() == 0:
        return f"{float(weight):g}"
    if len(weight) > 8:
        return f"weights({len(weight)})"
    return f"[{', '.join(f'{w:g}' for w in weight.tolist())}]"


def _weighted(score: torch.Tensor, weight: float | torch.Tensor) -> torch.Tensor:
    """``score`` (batch,) times ``weight``: a number, or one weight per image."""
    if not isinstance(weight, torch.Tensor):
        return weight * score
    if weight.dim() == 1 and score.shape[:1] != weight.shape:
        raise DreamError(
            f"{len(weight)} per-image weights for a batch of {score.shape[0] if score.dim() else 1} images: "
            "give one weight per image"
        )
    return score * weight.to(device=score.device, dtype=score.dtype)


def _refused(op: str):
    """The operator ``op`` and its reflection, each refusing with one line that says what objectives allow."""

    def forward(self, other):
        raise _refuse(self, op, other)

    def reflected(self, other):
        raise _refuse(other, op, self)

    return forward, reflected


def _compound(fn: Callable[[Activations], torch.Tensor], layers: Sequence[str], name: str, binding: int) -> Objective:
    objective = Objective(fn, layers, name)
    objective._binding = binding
    return objective


class Objective:
    """A differentiable score of activations: ``objective(acts) -> tensor (batch,)``.

    Objectives compose like the numbers they compute (as in Lucid and lucent): ``a + b``, ``a - b``, ``a + 1``,
    ``2 * a``, ``a / 2``, ``-a``, ``sum([a, b])``, and ``weights * a`` with a tensor of one weight per image (shape
    (batch,)). The name of the result reads as the maths: ``channel(conv4, 3) + 0.5 * diversity(conv4)``. Anything
    else (``a * b``, ``a / 0``, ``a + "x"``) raises a :class:`DreamError` that says what is allowed.
    Taught in notebook 03.
    """

    _binding = _ATOM  # a name given by hand is one whole term
    __array_ufunc__ = None  # numpy scalars and arrays leave the arithmetic to the methods below

    def __init__(self, fn: Callable[[Activations], torch.Tensor], layers: Sequence[str], name: str) -> None:
        self.fn = fn
        self.layers = tuple(dict.fromkeys(layers))
        self.name = name

    def __call__(self, acts: Activations) -> torch.Tensor:
        return self.fn(acts)

    def _term(self, binding: int) -> str:
        """The name as an operand of an operator that binds as tightly as ``binding``: bracketed if needed."""
        return f"({self.name})" if self._binding < binding else self.name

    def _same(self) -> Objective:
        return _compound(self.fn, self.layers, self.name, self._binding)

    def __add__(self, other) -> Objective:
        if isinstance(other, Objective):
            return _compound(
                lambda a: self(a) + other(a), self.layers + other.layers, f"{self.name} + {other._term(_SUM)}", _SUM
            )
        k = _number(other)
        if k is None:
            raise _refuse(self, "+", other)
        if k == 0:  # sum([a, b]) starts from 0 + a
            return self._same()
        return _compound(lambda a: self(a) + k, self.layers, f"{self.name} {'-' if k < 0 else '+'} {abs(k):g}", _SUM)

    def __radd__(self, other) -> Objective:
        k = _number(other)
        if k is None:
            raise _refuse(other, "+", self)
        if k == 0:
            return self._same()
        return _compound(lambda a: k + self(a), self.layers, f"{k:g} + {self.name}", _SUM)

    def __sub__(self, other) -> Objective:
        if isinstance(other, Objective):
            return _compound(
                lambda a: self(a) - other(a),
                self.layers + other.layers,
                f"{self.name} - {other._term(_PRODUCT)}",
                _SUM,
            )
        k = _number(other)
        if k is None:
            raise _refuse(self, "-", other)
        return self + (-k)

    def __rsub__(self, other) -> Objective:
        k = _number(other)
        if k is None:
            raise _refuse(other, "-", self)
        if k == 0:
            return -self
        return _compound(lambda a: k - self(a), self.layers, f"{k:g} - {self._term(_PRODUCT)}", _SUM)

    def __neg__(self) -> Objective:
        return _compound(lambda a: -self(a), self.layers, f"-{self._term(_NEGATION + 1)}", _NEGATION)

    def __mul__(self, weight) -> Objective:
        w = None if isinstance(weight, Objective) else _weight(weight)
        if w is None:
            raise _refuse(self, "*", weight)
        return _compound(
            lambda a: _weighted(self(a), w), self.layers, f"{_weight_text(w)} * {self._term(_PRODUCT)}", _PRODUCT
        )

    def __rmul__(self, weight) -> Objective:
        w = _weight(weight)
        if w is None:
            raise _refuse(weight, "*", self)
        return self * w

    def __truediv__(self, divisor) -> Objective:
        d = None if isinstance(divisor, Objective) else _weight(divisor)
        if d is None:
            raise _refuse(self, "/", divisor)
        if (d == 0).any() if isinstance(d, torch.Tensor) else d == 0:
            raise DreamError("cannot divide an Objective by 0: divide by a non-zero number (or non-zero weights)")
        return _compound(
            lambda a: _weighted(self(a), 1 / d), self.layers, f"{self._term(_PRODUCT)} / {_weight_text(d)}", _PRODUCT
        )

    def __rtruediv__(self, other):
        raise _refuse(other, "/", self, "nothing can be divided by an objective; " + _ALGEBRA)

    __pow__, __rpow__ = _refused("**")
    __floordiv__, __rfloordiv__ = _refused("//")
    __mod__, __rmod__ = _refused("%")
    __matmul__, __rmatmul__ = _refused("@")

    def __str__(self) -> str:
        return self.name

    def __format__(self, spec: str) -> str:
        return format(self.name, spec)

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


def channel(layer: str, index: int) -> Objective:
    """Mean activation of one channel (one feature detector) of a layer. Taught in notebook 06."""

    def fn(a: Activations) -> torch.Tensor:
        x = activation(a, layer)
        check_index("channel", index, x.shape[1], layer)
        return x[:, index].flatten(1).mean(1)

    return Objective(fn, [layer], f"channel({layer}, {index})")


def neuron(layer: str, index: int, y: int | None = None, x: int | None = None) -> Objective:
    """One channel at one spatial position (the centre unless ``y``, ``x`` are given).

    Taught in notebook 06.
    """

    def fn(a: Activations) -> torch.Tensor:
        t = activation(a, layer)
        check_index("channel", index, t.shape[1], layer)
        h, w = t.shape[2], t.shape[3]
        yy, xx = (h // 2 if y is None else y), (w // 2 if x is None else x)
        check_index("row", yy, h, layer)
        check_index("column", xx, w, layer)
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
                check_index("class", i, out.shape[1], "the classifier output")
            if out.shape[0] != len(picks):
                raise DreamError(
                    f"class_logit of {len(picks)} classes needs a batch of {len(picks)}, got {out.shape[0]}"
                )
            return out[torch.arange(len(picks), device=out.device), torch.as_tensor(picks, device=out.device)]

        return Objective(many, [OUTPUT], f"classes({', '.join(map(str, picks))})")

    def fn(a: Activations) -> torch.Tensor:
        out = activation(a, OUTPUT)
        check_index("class", index, out.shape[1], "the classifier output")
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
