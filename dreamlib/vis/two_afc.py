"""A two-alternative forced-choice test of what a unit's references teach: Borowski, Zimmermann et al. (ICLR 2021).

In "Exemplary Natural Images Explain CNN Activations Better than State-of-the-Art Feature Visualization", people
saw a unit's strongly and weakly activating *reference* images, either synthetic (feature visualisations) or natural
(top and bottom dataset examples), and chose which of two natural *query* images activates the unit more. They were
right 82 ± 4% of the time with synthetic references and 92 ± 2% with natural ones (chance: 50%).
:func:`make_trials` builds such trials for any units of any layer, :func:`show` draws one, :func:`score` marks your
answers, and :func:`observer` answers them with a network that did not make them (the shapes judge, say), by
similarity of its features. Taught in notebook 18 (a forced-choice test).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..checks import check_index, check_whole
from ..errors import DreamError

KINDS = ("synthetic", "natural")


@dataclass
class Trial:
    """One trial: references that excite ``unit`` most (``top``) and least (``bottom``), two queries (A, B) and the
    right answer, the query that excites the unit more. Taught in notebook 18."""

    unit: int
    kind: str
    top: torch.Tensor  # (refs, 3, H, W)
    bottom: torch.Tensor
    queries: torch.Tensor  # (2, 3, h, w): A, B
    answer: str  # "A" or "B"


def make_trials(  # noqa: PLR0913 (keyword settings, each with a default)
    model,
    layer: str,
    units: Sequence[int],
    images: torch.Tensor,
    *,
    kind: str = "natural",
    refs: int = 4,
    size: int = 64,
    steps: int = 64,
    seed: int = 0,
) -> list[Trial]:
    """One trial per unit of ``layer``. Queries are natural: just below the ``refs`` best of ``images`` and just above
    the ``refs`` worst (the unit's mean activation over positions ranks them), in random order. References:
    ``kind="natural"``, the ``refs`` best and worst images; ``kind="synthetic"``, ``refs`` renders (``size`` px,
    ``steps`` steps) of the unit and of its negative. Seeded, so a run repeats. Taught in notebook 18."""
    from .catalogue import channels_objective, dataset_examples
    from .render import render

    if kind not in KINDS:
        raise DreamError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    check_whole("refs", refs)
    units = list(units)
    if not units:
        raise DreamError("make_trials needs at least one unit")
    if len(images) < 2 * refs + 4:
        raise DreamError(f"make_trials needs at least {2 * refs + 4} images for {refs} references, got {len(images)}")
    scores = dataset_examples(model, images, layer)
    for unit in units:
        check_index("unit", unit, scores.shape[1], layer)
    g = torch.Generator().manual_seed(seed)
    if kind == "synthetic":
        each = [u for u in units for _ in range(refs)]
        up = channels_objective(layer, each)
        best = render(model, up, size=size, steps=steps, batch=len(each), seed=seed, progress=False)
        worst = render(model, -up, size=size, steps=steps, batch=len(each), seed=seed + 1, progress=False)
    trials = []
    for i, unit in enumerate(units):
        order = scores[:, unit].argsort(descending=True)
        gap = int(torch.randint(2, (1,), generator=g))  # not always the very next image
        high, low = order[refs + gap], order[-(refs + 1 + gap)]
        if kind == "natural":
            top, bottom = images[order[:refs]], images[order[-refs:]]
        else:
            top, bottom = best[i * refs : (i + 1) * refs], worst[i * refs : (i + 1) * refs]
        first = bool(torch.rand(1, generator=g) < 0.5)
        queries = images[torch.stack([high, low]) if first else torch.stack([low, high])]
        trials.append(Trial(unit, kind, top.float(), bottom.float(), queries.float(), "A" if first else "B"))
    return trials


def score(trials: Sequence[Trial], answers: str) -> float:
    """The share of ``answers`` (one letter A or B per trial; spaces and case ignored) that are right.
    Taught in notebook 18."""
    letters = answers.replace(" ", "").replace(",", "").upper()
    if len(letters) != len(trials) or set(letters) - {"A", "B"}:
        raise DreamError(f"give one letter, A or B, for each of the {len(trials)} trials; got {answers!r}")
    return sum(a == t.answer for a, t in zip(letters, trials)) / len(trials)


def observer(trials: Sequence[Trial], features: Callable[[torch.Tensor], torch.Tensor]) -> str:
    """Answer every trial by similarity: the query whose ``features`` (a function from images to (N, D) vectors) are
    closer to the mean of the top references than to the mean of the bottom ones, more so than the other query's.
    Returns the answers as a string ("ABBA..."). Taught in notebook 18."""
    answers = []
    for t in trials:
        with torch.no_grad():
            top, bottom = features(t.top).mean(0, keepdim=True), features(t.bottom).mean(0, keepdim=True)
            q = features(t.queries)
        lean = F.cosine_similarity(q, top.expand_as(q)) - F.cosine_similarity(q, bottom.expand_as(q))
        answers.append("A" if lean[0] >= lean[1] else "B")
    return "".join(answers)


def show(trial: Trial, number: int = 1, size: float = 1.3) -> None:
    """Draw a trial: the top references, the bottom references, then queries A and B. Taught in notebook 18."""
    from ..compare import show_grid

    show_grid({f"{number}: top {i + 1}": trial.top[i : i + 1] for i in range(len(trial.top))}, size=size)
    show_grid({f"{number}: bottom {i + 1}": trial.bottom[i : i + 1] for i in range(len(trial.bottom))}, size=size)
    show_grid({f"{number}: query A": trial.queries[:1], f"{number}: query B": trial.queries[1:]}, size=size)
