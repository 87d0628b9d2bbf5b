"""A fooling circuit: a unit that behaves like unit F on real images but whose visualisation shows unit D's feature.

Geirhos, Zimmermann, Bilodeau, Brendel and Kim ("Don't trust your eyes: on the (un)reliability of feature
visualizations", ICML 2024, figure 3) build it from a classifier unit E that tells feature visualisations from
natural input (E = 1 for a visualisation, 0 for a natural image) and two ReLU units::

    A = ReLU(F - k * E) + ReLU(D - k * (1 - E))

With a large constant ``k`` one of the two terms is always cut off at zero: on natural images A = F exactly (F is
a ReLU output, so F >= 0), on visualisations A = D, and the gradient that feature visualisation follows flows
through D alone. Here E is a :class:`Detector`, a small classifier of the network's input picture: how big the steps
between neighbouring pixels are (a histogram, at two scales) and the colours' means and spreads. The shapes data are
flat colours softened by a little blur and grain; renders are smooth everywhere, or noisy everywhere.
:func:`train_detector` fits it on real images against renders (:func:`visualisation_set`) and puts its boundary half way
between the two. E is computed without gradients, a switch, as in the paper, where ``k`` cuts the other path off;
E and the switch run in float32 even inside a bfloat16 pass (a dream of ``dl.faster(model, "bf16")``), so the cut is
exact there too.
:func:`fool` returns a copy of the model with unit F of ``layer`` replaced by A; the layer keeps its name, so every
dreamlib tool (render, catalogue, fast path) sees the fooled unit. Taught in notebook 17 (don't trust your eyes).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from contextlib import nullcontext

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import check_index, check_whole
from ..errors import DreamError
from ..hooks import forward_until
from ..models import as_dream_model
from ..objectives import activation

MARGIN = 30.0  # after training, the detector's logits are scaled so the training data lie at least this far from 0
K_FACTOR = 10.0  # k is this many times the largest activation of F or D seen on the data
STEP_EDGES = (0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32)  # bin edges of the neighbouring-pixel steps


def circuit(f: torch.Tensor, d: torch.Tensor, e: torch.Tensor, k: float) -> torch.Tensor:
    """Geirhos et al.'s fooling unit: ``ReLU(f - k e) + ReLU(d - k (1 - e))`` (e: 1 = visualisation, 0 = natural).

    Under the plain gradient a render of the fooled unit follows D alone. :func:`dreamlib.render`'s first steps use
    Lucid's redirected ReLU gradient (:mod:`dreamlib.vis.relu`), which also opens the switched-off ``ReLU(f - k e)``
    for a while, so a little of F leaks in (on the shipped model: cosine 0.95 with D's render, 0.78 with F's, against
    1.00 and 0.74 without the redirect). Taught in notebook 17."""
    return F.relu(f - k * e) + F.relu(d - k * (1 - e))


def _step_histogram(x: torch.Tensor) -> torch.Tensor:
    """The share of neighbouring-pixel steps (largest over the colours) in each bin of :data:`STEP_EDGES`."""
    steps = torch.cat(
        [
            (x[..., 1:, :] - x[..., :-1, :]).abs().amax(1).flatten(1),
            (x[..., :, 1:] - x[..., :, :-1]).abs().amax(1).flatten(1),
        ],
        1,
    )
    bins = torch.bucketize(steps, torch.tensor(STEP_EDGES, device=x.device))
    return F.one_hot(bins, len(STEP_EDGES) + 1).float().mean(1)


def _flatten(images) -> list[torch.Tensor]:
    """A batch, or (nested) lists of batches, as one list of batches."""
    if isinstance(images, torch.Tensor):
        return [images]
    return [batch for item in images for batch in _flatten(item)]


def statistics(images: torch.Tensor | Sequence) -> torch.Tensor:
    """The detector's view of (N, 3, H, W) pictures in [0, 1] (a batch, or a list of batches of any sizes): the share of
    neighbouring-pixel steps (largest over the colours) in each bin of :data:`STEP_EDGES`, the same for every second
    pixel (a coarser scale), and each colour's mean and standard deviation, (N, 24). Taught in notebook 17."""
    if not isinstance(images, torch.Tensor):
        return torch.cat([statistics(batch) for batch in _flatten(images)])
    x = images.detach().float()
    coarse = x[..., ::2, ::2]
    return torch.cat([_step_histogram(x), _step_histogram(coarse), x.flatten(2).mean(2), x.flatten(2).std(2)], 1)


class Detector(nn.Module):
    """E: is this picture a feature visualisation? A small classifier (two hidden layers of ``hidden`` units) of
    :func:`statistics`; ``forward`` returns the probability (N,) that each picture is one. Taught in notebook 17."""

    def __init__(self, hidden: int = 16) -> None:
        super().__init__()
        features = 2 * (len(STEP_EDGES) + 1) + 6
        self.classify = nn.Sequential(
            nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1)
        )
        self.register_buffer("centre", torch.zeros(features))
        self.register_buffer("scale", torch.ones(features))
        self.register_buffer("boundary", torch.zeros(()))
        self.register_buffer("sharpness", torch.ones(()))

    def raw(self, stats: torch.Tensor) -> torch.Tensor:
        x = (stats.to(self.centre) - self.centre) / self.scale
        return self.classify(x).squeeze(1)

    def logits(self, images: torch.Tensor) -> torch.Tensor:
        return (self.raw(statistics(images)) - self.boundary) * self.sharpness

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(images))


class FoolingCircuit(nn.Module):
    """``layer``'s module with its channel ``unit`` replaced by :func:`circuit` of ``unit`` (F) and ``decoy`` (D).
    E comes from ``detector`` on the network's input picture, handed over by :meth:`see` before each forward pass.
    Taught in notebook 17."""

    def __init__(self, module: nn.Module, unit: int, decoy: int, detector: Detector, k: float) -> None:
        super().__init__()
        self.inner, self.detector = module, detector
        self.unit, self.decoy, self.k = unit, decoy, float(k)
        self.e: torch.Tensor | None = None

    def see(self, images: torch.Tensor) -> None:
        kind = images.device.type  # E in float32 even inside a bf16 dream's autocast (none on meta)
        autocast_here = getattr(torch.amp, "is_autocast_available", lambda k: k in ("cpu", "cuda"))(kind)
        with torch.no_grad(), torch.autocast(kind, enabled=False) if autocast_here else nullcontext():
            self.e = self.detector(images.float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.inner(x)
        if self.e is None or len(self.e) != len(out):
            raise DreamError("the fooling circuit runs only inside the model fool() made (it must see the picture)")
        # in float32 (or finer) even where the network runs in bfloat16: k * e must cancel f or d exactly
        dtype = torch.promote_types(out.dtype, torch.float32)
        e = self.e.to(out.device, dtype).view(-1, 1, 1)
        fooled = circuit(out[:, self.unit].to(dtype), out[:, self.decoy].to(dtype), e, self.k).to(out.dtype)
        return torch.cat([out[:, : self.unit], fooled[:, None], out[:, self.unit + 1 :]], 1)


def _layer_output(model, images: torch.Tensor, layer: str, chunk: int = 128) -> list[torch.Tensor]:
    with torch.no_grad():
        return [
            activation(forward_until(model, images[i : i + chunk], layer), layer).float().cpu()
            for i in range(0, len(images), chunk)
        ]


def train_detector(
    natural: torch.Tensor, visualisations: torch.Tensor | Sequence[torch.Tensor], *, steps: int = 800, seed: int = 0
) -> Detector:
    """Fit E on ``natural`` pictures (label 0) and ``visualisations`` (label 1; a batch, or lists of batches of any
    sizes, as :func:`visualisation_set` makes them), all (N, 3, H, W) in [0, 1]. Its boundary then goes half way between
    the most visualisation-like natural picture and the least visualisation-like render, and its logits are scaled so
    both lie :data:`MARGIN` from it. Fails with one line when the two sets overlap. Taught in notebook 17."""
    check_whole("steps", steps)
    real = statistics(natural)
    made = statistics(visualisations)
    x = torch.cat([real, made])
    y = torch.cat([torch.zeros(len(real)), torch.ones(len(made))])
    torch.manual_seed(seed)
    detector = Detector()
    detector.centre.copy_(x.mean(0))
    detector.scale.copy_(x.std(0).clamp(min=1e-6))
    opt = torch.optim.Adam(detector.classify.parameters(), lr=0.01)
    balance = torch.tensor(len(real) / len(made))  # both sets count equally
    for _ in range(steps):
        loss = F.binary_cross_entropy_with_logits(detector.raw(x), y, pos_weight=balance)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        logit = detector.raw(x)
        low, high = logit[y == 0].max(), logit[y == 1].min()
        if not low < high:
            wrong = int((logit[y == 1] <= low).sum())
            raise DreamError(
                f"the detector cannot tell visualisations from natural pictures: {wrong} of {len(made)} renders "
                "look as natural as the most render-like natural picture"
            )
        detector.boundary.fill_(float(low + high) / 2)
        detector.sharpness.fill_(2 * MARGIN / float(high - low))
    return detector.eval().requires_grad_(False)


def _set_module(root: nn.Module, name: str, module: nn.Module) -> None:
    parent, _, child = name.rpartition(".")
    setattr(root.get_submodule(parent) if parent else root, child, module)


def fool(model, layer: str, unit: int, decoy: int, detector: Detector, natural: torch.Tensor | None = None):
    """A copy of ``model`` whose channel ``unit`` of ``layer`` is the fooling circuit: it behaves like ``unit`` on
    natural pictures and like ``decoy`` on visualisations. ``k`` is :data:`K_FACTOR` times the largest activation of
    the two channels on ``natural`` (when given; else 1000). The copy's network hands every input picture to the
    circuit (a hook on the copy, never on your model). Taught in notebook 17."""
    dm = as_dream_model(model)
    channels = activation(
        forward_until(dm, torch.zeros(1, 3, *(2 * [max(64, dm.min_size)]), device=dm.device), layer), layer
    ).shape[1]
    for what, index in (("unit", unit), ("decoy", decoy)):
        check_index(what, index, channels, layer)
    if unit == decoy:
        raise DreamError("the decoy must be another unit than the one fooled")
    k = 1000.0
    if natural is not None:
        acts = torch.cat(_layer_output(dm, natural, layer))
        k = K_FACTOR * float(acts[:, [unit, decoy]].max().clamp(min=1e-3))
    fooled = copy.deepcopy(dm)
    gate = FoolingCircuit(fooled.module(layer), unit, decoy, copy.deepcopy(detector).to(dm.device), k)
    _set_module(fooled.net, layer, gate)
    fooled.net.register_forward_pre_hook(lambda net, args: gate.see(fooled.denormalize(args[0].float())))
    fooled.name = f"{dm.name}, unit {unit} of {layer} fooled to show unit {decoy}"
    return fooled.eval()


def visualisation_set(  # noqa: PLR0913 (keyword settings, each with a default)
    model,
    layer: str,
    channels: Sequence[int],
    *,
    size: int = 64,
    steps: int = 64,
    params: Sequence[str] = ("pixel", "fft", "maco"),
    seeds: Sequence[int] = (0,),
    every: int = 4,
    progress: bool = False,
) -> torch.Tensor:
    """What feature visualisation feeds the network, for :func:`train_detector`: the pictures the network is handed
    while rendering every channel in ``channels`` of ``layer`` (one batch), with each parameterisation and seed, kept
    every ``every`` steps from the starting noise to the end, after the render's random transforms (so their sizes
    vary), and the finished renders: a list of (N, 3, H, W) batches on the CPU. Builds on notebooks 12-16; taught in
    notebook 17."""
    from .catalogue import channels_objective
    from .render import render

    check_whole("every", every)
    dm = as_dream_model(model)
    batches: list[torch.Tensor] = []
    calls = [0]

    def snapshot(_net: nn.Module, args: tuple) -> None:
        if calls[0] % every == 0:
            batches.append(dm.denormalize(args[0].detach().float()).cpu())
        calls[0] += 1

    for param in params:
        for seed in seeds:
            calls[0] = 0
            hook = dm.net.register_forward_pre_hook(snapshot)
            try:
                final = render(
                    dm,
                    channels_objective(layer, list(channels)),
                    param=param,
                    size=size,
                    steps=steps,
                    batch=len(channels),
                    seed=seed,
                    progress=progress,
                )
            finally:
                hook.remove()
            batches.append(final.detach().float().cpu())
    return batches
