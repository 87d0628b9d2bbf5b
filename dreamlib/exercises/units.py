"""Checks for notebook 19 (which unit sees what): the IoU of a unit's region with a part, and a predicted part."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ._shared import NO_PREDICTION, _call, _close, _predicted, _report, _same_word


def check_iou(fn: Callable) -> bool:
    """Notebook 19: ``fn(on, part)`` -> the IoU of two boolean stacks (N, H, W), summed over all N images.

    Checked on random masks against ``(on & part).sum() / (on | part).sum()``; on a unit never on (0) and on a
    region equal to the part (1).
    """
    name = "iou"
    g = torch.Generator().manual_seed(0)
    on, part = torch.rand(4, 9, 9, generator=g) > 0.7, torch.rand(4, 9, 9, generator=g) > 0.6
    got, problem = _call(name, fn, on, part)
    if problem:
        return _report(name, problem)
    expected = (on & part).sum().float() / (on | part).sum().float()
    try:
        value = torch.as_tensor(got, dtype=torch.float32).reshape(())
    except (TypeError, RuntimeError, ValueError):
        return _report(name, f"returned {type(got).__name__} {tuple(getattr(got, 'shape', ()))}: expected one number")
    if not _close(value, expected):
        per_image = ((on & part).sum((1, 2)).float() / (on | part).sum((1, 2)).float()).mean()
        if _close(value, per_image):
            hint = "that is the mean of per-image IoUs: sum the intersections and the unions over all images first"
        elif _close(value, (on & part).sum().float() / part.sum().float()):
            hint = "you divided by the part's area: divide by the union (`on | part`)"
        else:
            hint = "intersection `(on & part).sum()` over union `(on | part).sum()`"
        return _report(name, f"gave {float(value):.4f}, expected {float(expected):.4f}: {hint}")
    silent, problem = _call(name, fn, torch.zeros_like(on), part)
    if problem or not _close(torch.as_tensor(silent, dtype=torch.float32).reshape(()), torch.tensor(0.0)):
        return _report(name, problem or "a unit that is never on overlaps no part: its IoU must be 0")
    same, problem = _call(name, fn, part.clone(), part)
    if problem or not _close(torch.as_tensor(same, dtype=torch.float32).reshape(()), torch.tensor(1.0)):
        return _report(name, problem or "a region exactly equal to the part must have IoU 1")
    return _report(name, None)


def check_unit_part(guess, label, parts: Sequence[str] = ()) -> bool:
    """Notebook 19: the part you predicted for a unit from its render and top examples, against its dissection
    ``label`` (a :class:`dreamlib.UnitLabel`); ``parts``: the valid names (``found.parts``), to catch a typo."""
    name = "the unit's part"
    if guess is Ellipsis:
        return _report(name, NO_PREDICTION)
    word = guess.strip().lower() if isinstance(guess, str) else guess
    if parts and word not in parts:
        return _report(name, f"{guess!r} is not one of the parts; choose from: {', '.join(p for p in parts[1:])}")
    scores = f"{label.part} (IoU {label.iou:.3f}), then {label.runner_up} ({label.runner_up_iou:.3f})"
    if word == label.part:
        print(f"✅ {name}: you predicted {word!r}; dissection's best part is {scores}.")
        return True
    why = (
        "close: your guess is the runner-up."
        if word == label.runner_up
        else "A render shows what excites the unit most and top examples what fires it in the data; neither says "
        "which part its strongest activations cover."
    )
    return _report(name, f"you predicted {guess!r}, the run gave {label.part!r}: {scores}. {why}")


def check_owner_loses_most(prediction, measured: str) -> bool:
    """Notebook 19: with the detectors of one part switched off, does the class that has the part lose the most
    accuracy (``"yes"`` or ``"no"``)? ``measured`` is what the run found."""
    why = {
        "yes": "The units that fire on the part matter most to the class it belongs to; other classes can lose some "
        "too, because a unit that fires on a cup may also help tell another class apart.",
        "no": "Another class lost more: a label says where a unit fires, not what the network needs it for.",
    }.get(measured, "")
    return _predicted("the class that loses most", prediction, measured, why, same=_same_word)


def check_more_detectors(prediction, measured: str) -> bool:
    """Notebook 19: will a larger share of the autoencoder's features than of the channels be detectors
    (``"more"``, ``"fewer"`` or ``"same"``, to the nearest 5 points)? ``measured`` is what the run found."""
    why = {
        "more": "The autoencoder's directions pick out single parts more often than the channels do.",
        "fewer": "Fewer of its directions match a part than channels do: sparsity alone does not make a feature "
        "line up with a part someone labelled.",
        "same": "About the same share of features as of channels detect a part; compare with random directions "
        "(below) before calling either single-minded.",
    }.get(measured, "")
    return _predicted("detectors among features", prediction, measured, why, same=_same_word)
