"""Checkers for notebooks 04 (octaves) and 05 (layer comparison, receptive fields)."""

from __future__ import annotations

import numbers
import random
from collections.abc import Sequence
from typing import Callable

import torch

from ..ascent import ascent_step
from ..images import resize
from ..models import as_dream_model
from ..objectives import layer_mean
from ..octaves import octave_sizes
from ..receptive import receptive_field_size
from ._shared import _call, _close, _predicted, _probe_net, _report


def check_octave_sizes(fn: Callable) -> bool:
    """Notebook 04: ``fn(height, width, octaves, scale)`` -> [(h, w), ...] smallest first."""
    for args in ((300, 400, 4, 1.4), (512, 384, 3, 1.5), (100, 100, 1, 2.0)):
        got, problem = _call("octave_sizes", fn, *args)
        if problem:
            return _report("octave_sizes", problem)
        expected = octave_sizes(*args)
        if [tuple(s) for s in (got or [])] != expected:
            hint = " (smallest first?)" if got and [tuple(s) for s in got][::-1] == expected else ""
            return _report("octave_sizes", f"for {args} gave {got}, expected {expected}{hint}")
    return _report("octave_sizes", None)


def _octave_loop(model, image, objective, sizes, steps, rng, carry: str = "detail", clamp: bool = True):
    """The octave loop of notebook 04, and (``carry``, ``clamp``) the usual ways of getting it wrong.

    ``carry``: "detail" (right: ``dreamed - plain``), "nothing" (each octave starts from the plain image),
    "image" (``detail = dreamed``, added to the next plain image) or "resized" (the next octave starts
    from the dreamed image, enlarged).
    """
    detail = torch.zeros_like(resize(image, sizes[0]))
    x = None
    for size in sizes:
        plain = resize(image, size)
        if carry == "nothing" or (carry == "resized" and x is None):
            x = plain.clone()
        elif carry == "resized":
            x = resize(x, size)
        else:
            x = plain + resize(detail, size)
            x = x.clamp(0, 1) if clamp else x
        for _ in range(steps):
            x, _ = ascent_step(model, x, objective, lr=0.01, jitter=32, rng=rng)
        detail = x if carry == "image" else x - plain
    return x


OCTAVE_HINT = "use `x, _ = dl.ascent_step(model, x, objective, lr=0.01, jitter=32, rng=rng)` `steps` times per octave"


def check_octave_dream(fn: Callable) -> bool:
    """Notebook 04: ``fn(model, image, objective, sizes, steps, rng)`` -> the final image (octaves + detail).

    For each size, smallest first: ``plain = resize(image, size)``, start from
    ``(plain + resize(detail, size)).clamp(0, 1)``, take ``steps`` ascent steps,
    then ``detail = x - plain`` (detail starts as zeros of the first size).
    Compared with the reference on a tiny random conv net and the same random generator.
    """
    name = "octave_dream"
    model, objective = as_dream_model(_probe_net()), layer_mean("3")
    image = torch.rand(1, 3, 24, 32, generator=torch.Generator().manual_seed(0))
    sizes, steps = octave_sizes(24, 32, 3, 1.4), 3  # [(12, 16), (17, 23), (24, 32)]
    given = image.clone()
    got, problem = _call(name, fn, model, given, objective, list(sizes), steps, random.Random(0))
    if problem:
        return _report(name, problem)
    if not torch.equal(given, image):
        return _report(name, "changed `image` in place — keep the original photo untouched (each octave resizes it)")
    if isinstance(got, tuple):
        return _report(name, "returned a tuple — return only the final image (ascent_step returns (image, score))")
    if not isinstance(got, torch.Tensor):
        return _report(name, f"returned a {type(got).__name__}, expected the final image tensor")
    if tuple(got.shape[-2:]) == sizes[0] and len(sizes) > 1:
        return _report(
            name,
            "returned an image of the smallest size: the octaves ran largest first. "
            "Go through `sizes` in order (smallest first), so the last octave is the full size",
        )
    if tuple(got.shape) != tuple(image.shape):
        return _report(
            name, f"returned shape {tuple(got.shape)}, expected {tuple(image.shape)} (the last, largest size)"
        )

    def run(**mistake):
        return _octave_loop(model, image, objective, sizes, steps, random.Random(0), **mistake)

    if _close(got, run()):
        return _report(name, None)
    only_last = _octave_loop(model, image, objective, sizes[-1:], steps, random.Random(0))
    if _close(got, run(carry="nothing")) or _close(got, only_last):
        return _report(
            name,
            "no detail was carried up: the result is what dreaming the last octave alone gives. "
            "After each octave keep `detail = x - plain`, and start the next octave from "
            "`(plain + dl.resize(detail, size)).clamp(0, 1)`",
        )
    if _close(got, run(carry="image")) or _close(got, run(carry="resized")):
        return _report(
            name,
            "you carried the dreamed image up instead of the detail: carry only what the dream "
            "added, `detail = x - plain`, and add it to the next octave's plain image",
        )
    if _close(got, run(clamp=False)):
        return _report(
            name, "clamp the start of each octave to [0, 1]: `(plain + dl.resize(detail, size)).clamp(0, 1)`"
        )
    gap = (got.float() - run()).abs().max()
    return _report(
        name,
        f"values differ from the reference (largest gap {gap:.3g}); {OCTAVE_HINT}, "
        "and pass the same `rng` to every step",
    )


def check_activation_shapes(fn: Callable) -> bool:
    """Notebook 05: ``fn(model, image, layers)`` -> {layer: tuple(shape)} for each layer."""
    net, image = _probe_net(), torch.rand(1, 3, 20, 24, generator=torch.Generator().manual_seed(0))
    got, problem = _call("activation_shapes", fn, net, image, ["1", "3"])
    if problem:
        return _report("activation_shapes", problem)
    expected = {"1": (1, 4, 20, 24), "3": (1, 6, 9, 11)}
    got = {k: tuple(v) for k, v in dict(got or {}).items()}
    return _report("activation_shapes", None if got == expected else f"gave {got}, expected {expected}")


def _late_jump_field(layers: Sequence[tuple[int, int]]) -> int:
    """The usual mistake: the jump multiplied by the stride *before* the layer's kernel is added."""
    r, j = 1, 1
    for k, s in layers:
        j *= s
        r += (k - 1) * j
    return r


# InceptionV3's stem up to the second max-pool (the input of Mixed_5b): 31 px.
# r: 3 -> 7 -> 11 -> 15 -> 15 -> 23 (Conv2d_4a_3x3) -> 31; the jump ends at 8.
INCEPTION_STEM = [(3, 2), (3, 1), (3, 1), (3, 2), (1, 1), (3, 1), (3, 2)]

RECEPTIVE_STACKS = [
    ("one 3x3 convolution", [(3, 1)]),  # 3
    ("two 3x3 convolutions", [(3, 1), (3, 1)]),  # 5
    ("three 2x2 pools of stride 2", [(2, 2), (2, 2), (2, 2)]),  # 8
    ("a 7x7/2 conv, a 3x3/2 pool and a 3x3 conv (ResNet's stem)", [(7, 2), (3, 2), (3, 1)]),  # 19
    ("InceptionV3's stem, Conv2d_1a_3x3 to the max-pool after Conv2d_4a_3x3", INCEPTION_STEM),  # 31
]


def check_receptive_field(fn: Callable) -> bool:
    """Notebook 05: ``fn(layers)`` -> the receptive field in pixels of a stack of ``(kernel, stride)`` layers.

    Start with ``r = 1, j = 1``; for each layer in order: ``r += (k - 1) * j``, then ``j *= s``.
    Checked on several stacks, including InceptionV3's stem (31 px).
    """
    name = "receptive_field"
    for what, layers in RECEPTIVE_STACKS:
        got, problem = _call(name, fn, list(layers))
        if problem:
            return _report(name, problem)
        if isinstance(got, bool) or not isinstance(got, numbers.Real):
            return _report(name, f"returned a {type(got).__name__}, expected a number of pixels")
        expected = receptive_field_size(layers)
        if got == expected:
            continue
        no_strides = 1 + sum(k - 1 for k, _ in layers)
        said = f"for {what} {layers} gave {got}, expected {expected}"
        if got == _late_jump_field(layers):
            hint = (
                "you multiplied the jump by the stride too early: a layer's kernel spreads over the jump of "
                "the layers *before* it, so first `r += (k - 1) * j`, then `j *= s`"
            )
        elif any(s != 1 for _, s in layers) and got in (no_strides, no_strides - 1, sum(k for k, _ in layers)):
            hint = (
                "the strides are missing: after a stride-s layer neighbouring units are s times further apart, "
                "so keep a jump `j` (times s after each layer) and grow r by `(k - 1) * j`"
            )
        elif abs(got - expected) == 1:
            hint = "off by one: start from r = 1 (before any layer a unit sees exactly one pixel) and add (k - 1) * j"
        else:
            hint = "start with r = 1, j = 1; for each layer in order: r += (k - 1) * j, then j *= s"
        return _report(name, f"{said}; {hint}")
    return _report(name, None)


# Predict, then run


def check_octave_count(prediction, measured: int) -> bool:
    """Notebook 04: how many octaves of scale 1.4 ``dl.octave_sizes`` keeps for your picture before one would fall
    under the model's minimum size: your prediction against your run's count (``measured``).
    """
    why = (
        "Octave k below the full size has its sides divided by 1.4**k, so the shorter side h becomes h / 1.4**k; "
        "dl.octave_sizes keeps every octave whose rounded sides are at least model.min_size. Count k = 0 (the full "
        "size) too: the answer is the largest k with h / 1.4**k >= min_size, plus one."
    )
    return _predicted(
        "how many octaves fit",
        prediction,
        int(measured),
        why,
        same=lambda p, m: not isinstance(p, bool) and float(p) == m,
    )


def check_whole_picture_layer(prediction, measured: str) -> bool:
    """Notebook 05: the shallowest of ``model.depth_layers`` whose units see a patch at least as tall as the whole
    picture, or ``"none"``: your prediction against what your run measured with ``dl.receptive_field``.
    """
    if measured == "none":
        why = (
            "Even the deepest of these layers sees a patch smaller than the picture: no unit responds to the photo "
            "as a whole, so a dream on any of them is made of parts, repeated wherever they fit."
        )
    else:
        why = (
            f"From {measured} on, a unit's receptive field is at least as tall as the whole picture (beyond its "
            "borders it sees the padding), so it can respond to structures as large as the photo; the layers before "
            "it see only parts. Most of a unit's response still comes from the middle of its field."
        )
    return _predicted(
        "the first layer that sees the whole picture",
        prediction,
        measured,
        why,
        same=lambda p, m: str(p).strip().lower() == m.lower(),
    )
