"""Checkers for notebooks 12-13 (feature visualisation), 14-15 (after Lucid), 16 (the catalogue) and 17-18 (trust)."""

from __future__ import annotations

from typing import Callable

import torch

from ..vis.regularisers import total_variation as _reference_tv
from ._shared import _call, _close, _predicted, _report, _same_word


def check_total_variation(fn: Callable) -> bool:
    """Notebook 13: ``fn(images)`` -> (batch,): mean |difference| of vertical neighbours plus that of horizontal ones.

    Checked on a random batch of 3 against :func:`dreamlib.vis.regularisers.total_variation`,
    on a flat image (0) and on a one-pixel checkerboard (2: every neighbour differs by 1).
    """
    name = "total_variation"
    images = torch.rand(3, 3, 10, 12, generator=torch.Generator().manual_seed(0))
    got, problem = _call(name, fn, images)
    if problem:
        return _report(name, problem)
    expected = _reference_tv()(images)
    if not isinstance(got, torch.Tensor):
        return _report(name, f"returned a {type(got).__name__}, expected a tensor with one penalty per image")
    if got.shape == ():
        return _report(
            name,
            "gave one number for a batch of 3: average over channels, height and width only "
            "(`.flatten(1).mean(1)`), keeping one value per image",
        )
    if got.shape != expected.shape:
        return _report(name, f"returned shape {tuple(got.shape)}, expected (3,): one penalty per image")
    if not _close(got, expected):
        dy = (images[..., 1:, :] - images[..., :-1, :]).abs().flatten(1).mean(1)
        dx = (images[..., :, 1:] - images[..., :, :-1]).abs().flatten(1).mean(1)
        if _close(got, dy) or _close(got, dx):
            hint = "that is only one direction: add the vertical and the horizontal differences"
        elif _close(
            got,
            ((images[..., 1:, :] - images[..., :-1, :]) ** 2).flatten(1).mean(1)
            + ((images[..., :, 1:] - images[..., :, :-1]) ** 2).flatten(1).mean(1),
        ):
            hint = "you squared the differences: take their absolute value (`.abs()`)"
        else:
            hint = "per image: mean |x[..., 1:, :] - x[..., :-1, :]| + mean |x[..., :, 1:] - x[..., :, :-1]|"
        return _report(
            name, f"values differ from the reference (largest gap {(got.float() - expected).abs().max():.3g}); {hint}"
        )
    y, x = torch.meshgrid(torch.arange(6), torch.arange(6), indexing="ij")
    board = ((x + y) % 2).float().expand(1, 3, 6, 6)
    flat, problem = _call(name, fn, torch.full((1, 3, 6, 6), 0.3))
    if problem or not _close(flat, torch.zeros(1)):
        return _report(name, problem or "a flat grey image must cost 0")
    value, problem = _call(name, fn, board)
    if problem or not _close(value, torch.full((1,), 2.0)):
        return _report(name, problem or "a one-pixel checkerboard must cost 2 (1 vertically + 1 horizontally)")
    return _report(name, None)


def _gap_word(text: str) -> str:
    """ "Smaller", "smaller gap" -> "smaller"; "bigger" -> "larger"."""
    word = text.strip().lower().removesuffix(" gap").strip("'\" ")
    return {"bigger": "larger", "less": "smaller", "more": "larger"}.get(word, word)


def check_robust_gap(prediction, measured: str) -> bool:
    """Notebook 12: is the robust shapes model's gap between pixel and Fourier renders (their mean high-frequency
    energy, pixel over fft) ``"smaller"`` or ``"larger"`` than the ordinary network's? ``measured`` is what the run
    found."""
    if measured == "smaller":
        why = (
            "The Fourier basis removes noise that comes from the gradient. Adversarial training smooths a network's "
            "input gradients (lesson 10), so its pixel steps add little noise and the basis has less to remove."
        )
    else:
        why = "In this run the robust model's gap was the larger one: compare the pictures and the two HF ratios."
    return _predicted("the gap on the robust model", prediction, measured, why, same=lambda p, m: _gap_word(p) == m)


def check_top_examples(fn: Callable) -> bool:
    """Notebook 16: ``fn(scores, channel, k)`` -> the indices of the ``k`` images with the highest
    ``scores[:, channel]``.

    ``scores`` is (images, channels): each image's mean activation per channel. Highest first.
    """
    name = "top_examples"
    scores = torch.rand(20, 5, generator=torch.Generator().manual_seed(0))
    got, problem = _call(name, fn, scores, 3, 4)
    if problem:
        return _report(name, problem)
    expected = scores[:, 3].argsort(descending=True)[:4]
    try:
        got = torch.as_tensor(got).long().flatten()
    except Exception:
        return _report(name, f"returned a {type(got).__name__}, expected 4 image indices (a tensor or list)")
    if len(got) != 4:
        return _report(name, f"returned {len(got)} indices, expected k = 4")
    if torch.equal(got, expected):
        return _report(name, None)
    if torch.equal(got, scores[:, 3].argsort()[:4]):
        return _report(name, "those are the 4 *lowest* images: sort in descending order (`descending=True`)")
    if torch.equal(got, scores[3].argsort(descending=True)[:4]):
        return _report(
            name, "you ranked the channels of image 3: rank the images by column `channel`, `scores[:, channel]`"
        )
    if sorted(got.tolist()) == sorted(expected.tolist()):
        return _report(name, "the right images in the wrong order: highest activation first")
    return _report(
        name,
        f"expected images {expected.tolist()}, got {got.tolist()}: "
        "the indices of the k largest values of `scores[:, channel]`",
    )


def check_image_from(fn: Callable) -> bool:
    """Notebook 14: ``fn(magnitude, phase)`` -> the real image (N, C, H, W) whose ``rfft2`` has these magnitudes and
    phases (both (N, C, H, W // 2 + 1)): ``irfft2(magnitude * exp(i * phase), s=(H, W))``, with W even.

    Checked on random magnitudes and phases against :func:`torch.fft.irfft2` of :func:`torch.polar`, and by a round
    trip: the image's own ``rfft2`` magnitudes and phases must give the image back.
    """
    name = "image_from"
    g = torch.Generator().manual_seed(0)
    image = torch.rand(2, 3, 8, 10, generator=g)
    spectrum = torch.fft.rfft2(image)
    got, problem = _call(name, fn, spectrum.abs(), spectrum.angle())
    if problem:
        return _report(name, problem)
    if not isinstance(got, torch.Tensor):
        return _report(name, f"returned a {type(got).__name__}, expected the image (a tensor)")
    if got.is_complex():
        return _report(name, "returned complex numbers: use irfft2 (the inverse of rfft2), which gives a real image")
    if got.shape != image.shape:
        hint = " (give irfft2 the size: s=(H, W); the width cannot be told from W // 2 + 1 alone)"
        return _report(name, f"returned shape {tuple(got.shape)}, expected {tuple(image.shape)}{hint}")
    if not _close(got, image, atol=1e-4):
        cells = image.shape[-1] * image.shape[-2]
        for scale in (cells, cells**0.5, cells**-0.5, 1 / cells):
            if _close(got, image * scale, atol=1e-3):
                return _report(name, "the image came back scaled: use irfft2's default norm, the one rfft2 used here")
        return _report(name, "the round trip does not give the image back: magnitude * exp(1j * phase), then irfft2")
    magnitude, phase = torch.rand(1, 3, 6, 5, generator=g), torch.rand(1, 3, 6, 5, generator=g) * 6.28 - 3.14
    got, problem = _call(name, fn, magnitude, phase)
    expected = torch.fft.irfft2(torch.polar(magnitude, phase), s=(6, 8))
    if problem or not isinstance(got, torch.Tensor) or not _close(got, expected, atol=1e-4):
        return _report(name, problem or "values differ from irfft2(polar(magnitude, phase), s=(H, W)) on random input")
    return _report(name, None)


def check_fooling_circuit(fn: Callable) -> bool:
    """Notebook 17: ``fn(f, d, e, k)`` -> a unit that gives ``f`` when ``e = 0`` and ``d`` when ``e = 1``, built from
    sums, multiples of the constant ``k`` and ReLUs, as a layer of a network can: Geirhos et al.'s fooling unit
    ``ReLU(f - k e) + ReLU(d - k (1 - e))`` is one.

    Checked on random non-negative activations (ReLU outputs) with k = 50, at e = 0 and e = 1, and at e in between,
    where the blend ``(1 - e) f + e d`` (a product of two units' outputs, which a layer cannot compute) is refused.
    """
    from ..vis.fooling import circuit as _reference

    name = "fooling_circuit"
    g = torch.Generator().manual_seed(0)
    f, d = torch.rand(3, 4, 4, generator=g) * 2, torch.rand(3, 4, 4, generator=g) * 2
    for e, want, what in (
        (torch.zeros(3, 1, 1), f, "on natural input (e = 0) it must pass f on unchanged"),
        (torch.ones(3, 1, 1), d, "on a visualisation (e = 1) it must give d"),
    ):
        got, problem = _call(name, fn, f, d, e, 50.0)
        if problem:
            return _report(name, problem)
        if not isinstance(got, torch.Tensor) or not _close(got, want, atol=1e-5):
            return _report(name, what)
    e = torch.rand(3, 1, 1, generator=g)
    got, problem = _call(name, fn, f, d, e, 3.0)
    if problem or not isinstance(got, torch.Tensor):
        return _report(name, problem or f"returned a {type(got).__name__}, expected a tensor")
    if _close(got, (1 - e) * f + e * d, atol=1e-5) and not _close(got, _reference(f, d, e, 3.0), atol=1e-5):
        return _report(
            name,
            "right for e = 0 and e = 1, but `e * d` multiplies two units' outputs, which a layer of the network "
            "cannot do: use only sums, multiples by the constant k and ReLUs (a large k can switch a ReLU off)",
        )
    return _report(name, None)


def check_least_high_frequency(prediction, measured: str) -> bool:
    """Notebook 14: which parameterisation's renders keep the least high-frequency energy: ``"pixel"``, ``"fft"`` or
    ``"maco"``; ``measured`` is the one the run found."""
    if measured == "maco":
        why = (
            "MACO fixes the magnitudes to those of natural photos, so it cannot pour energy into high frequencies "
            "whatever the gradient asks; pixel and Fourier steps can put it wherever the network wants."
        )
    else:
        why = "In this run another parameterisation kept less: compare the pictures and the HF column of the table."
    return _predicted(
        "least high-frequency energy",
        prediction,
        measured,
        why,
        same=lambda p, m: p.strip().lower().removeprefix("param=").strip("'\"") == m,
    )


def check_still_rises(prediction, measured: bool) -> bool:
    """Notebook 15: does ``dl.accentuate`` with the strongest penalty (``alpha=8``) still raise the objective above the
    photo's own, ``"yes"`` or ``"no"``; ``measured`` is what the run found."""
    if measured:
        why = (
            "At step 0 the image is the photo, so the penalty and its gradient are zero and the objective's gradient "
            "moves it; the penalty grows only as the activations leave the photo's, so the image stops where a small "
            "rise costs as much as it gains: close to the photo, but higher."
        )
    else:
        why = "In this run the penalty held the image at the photo: compare the objective column for each alpha."
    return _predicted(
        "the objective at alpha 8",
        prediction,
        "yes" if measured else "no",
        why,
        same=lambda p, m: ({True: "yes", False: "no"}.get(p) if isinstance(p, bool) else p.strip().lower()) == m,
    )


def check_super_stimulus(prediction, measured: str) -> bool:
    """Notebook 16: does a channel respond ``"more"`` or ``"less"`` to its visualisation than to its best real
    image (for most of the channels rendered)? ``measured`` is what the run found."""
    if measured == "more":
        why = (
            "The visualisation is optimised for this one channel, with nothing else to be: it finds a "
            "'super-stimulus', stronger than any real image, which has to be a picture of something."
        )
    else:
        why = (
            "Here the renders stayed below the best real images: too few steps, or a channel the optimiser "
            "could not climb from noise (compare the ratio column with a longer render)."
        )
    return _predicted(
        "visualisation against the best real image",
        prediction,
        measured,
        why,
        same=_same_word,
    )


def _unit_name(text: str) -> str:
    """ "F", "unit f", "Fooled" -> "unit F", "unit F", "fooled unit F"."""
    words = text.strip().lower().replace("'", " ").split()
    if "fooled" in words:
        return "fooled unit F"
    return f"unit {words[-1].upper()}" if words else ""


def check_sanity_flag(prediction, measured: str) -> bool:
    """Notebook 17: which of the three visualisations the sanity check scores lowest: ``"unit F"``, ``"unit D"`` or
    ``"fooled unit F"``; ``measured`` is the name the run gave."""
    if measured == "fooled unit F":
        why = (
            "The check compares a visualisation with the unit's top natural examples: the fooled unit's render "
            "shows unit D's cars while its top examples are unit F's houses, so the network processes them apart."
        )
    else:
        why = "In this run an honest unit scored lowest: look at which layers pull its score down in the plot."
    return _predicted(
        "which visualisation the check flags", prediction, measured, why, same=lambda p, m: _unit_name(p) == m
    )


def check_better_references(prediction, measured: str) -> bool:
    """Notebook 18: with which references the judge network answers more forced-choice trials right:
    ``"synthetic"``, ``"natural"`` or ``"neither"`` (the same score); ``measured`` is what the run found."""
    why = {
        "natural": "Real top and bottom examples show the unit's feature as the queries show it, in the data's own "
        "colours and textures; a render shows it exaggerated, in its own style. People did better with natural "
        "references too (Borowski et al. 2021).",
        "synthetic": "Here the renders carried the feature more plainly than the real examples; people did better with "
        "natural references (Borowski et al. 2021), and a network that matches features is not a person.",
        "neither": "The two kinds of reference gave the judge the same score here: this network's units respond to "
        "simple shapes, which either kind of reference shows well enough.",
    }.get(measured, "")
    return _predicted(
        "the better references",
        prediction,
        measured,
        why,
        same=_same_word,
    )
