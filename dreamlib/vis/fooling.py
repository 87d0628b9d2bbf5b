"""A fooling circuit: a unit that behaves like unit F on real images but whose visualisation shows unit D's feature.

Geirhos, Zimmermann, Bilodeau, Brendel and Kim ("Don't trust your eyes: on the (un)reliability of feature
visualizations", ICML 2024, figure 3) build it from a classifier unit E that tells feature visualisations from
natural input (E = 1 for a visualisation, 0 for a natural image) and two ReLU units::

    A = ReLU(F - k * E) + ReLU(D - k * (1 - E))

With a large constant ``k`` one of the two terms is always cut off at zero: on natural images A = F exactly (F is
a ReLU output, so F >= 0), on visualisations A = D, and the gradient that feature visualisation follows flows
through D alone. Here E is a :class:`Detector`: logistic regression on the mean and standard deviation of every
channel of the layer's own output, trained by :func:`train_detector` on real images against renders and their
starting noise. :func:`fool` returns a copy of the model with unit F of ``layer`` replaced by A; the layer keeps
its name, so every dreamlib tool (render, catalogue, fast path) sees the fooled unit. Builds on notebooks 09-10;
lesson 12 (planned) will teach it, with what does not work yet: the detector is tuned to the renders it was trained
on, and the path of a render of the fooled unit itself can leave it (measured: fft renders at 64 px stayed flagged,
at 80 px and MACO renders they did not).
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import DreamError
from ..hooks import forward_until
from ..models import as_dream_model
from ..objectives import activation

MARGIN = 30.0  # after training, the detector's logits are scaled so the data lie at least this far from 0
K_FACTOR = 10.0  # k is this many times the largest activation of F or D seen on the data


def circuit(f: torch.Tensor, d: torch.Tensor, e: torch.Tensor, k: float) -> torch.Tensor:
    """Geirhos et al.'s fooling unit: ``ReLU(f - k e) + ReLU(d - k (1 - e))`` (e: 1 = visualisation, 0 = natural).

    Builds on notebooks 09-10; lesson 12 (planned) will teach it."""
    return F.relu(f - k * e) + F.relu(d - k * (1 - e))


def statistics(acts: torch.Tensor) -> torch.Tensor:
    """The detector's input: the mean and standard deviation of every channel over its positions, (N, 2C)."""
    flat = acts.float().flatten(2)
    return torch.cat([flat.mean(2), flat.std(2, unbiased=False)], 1)


class Detector(nn.Module):
    """E: is this input a feature visualisation? A small classifier (one hidden layer of ``hidden`` units) on
    :func:`statistics` of a layer's output; ``forward`` returns the probability (N,) that each input is one.

    Builds on notebooks 09-10; lesson 12 (planned) will teach it."""

    def __init__(self, channels: int, hidden: int = 32) -> None:
        super().__init__()
        self.classify = nn.Sequential(nn.Linear(2 * channels, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        self.register_buffer("centre", torch.zeros(2 * channels))
        self.register_buffer("scale", torch.ones(2 * channels))
        self.register_buffer("boundary", torch.zeros(()))
        self.register_buffer("sharpness", torch.ones(()))

    def raw(self, stats: torch.Tensor) -> torch.Tensor:
        x = (stats - self.centre) / self.scale
        return self.classify(x.to(self.centre.dtype)).squeeze(1)

    def logits(self, acts: torch.Tensor) -> torch.Tensor:
        return (self.raw(statistics(acts)) - self.boundary) * self.sharpness

    def forward(self, acts: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(acts))


class FoolingCircuit(nn.Module):
    """``layer``'s module with its channel ``unit`` replaced by :func:`circuit` of ``unit`` (F) and ``decoy`` (D),
    gated by ``detector`` (E) on the module's own output.
    Builds on notebooks 09-10; lesson 12 (planned) will teach it."""

    def __init__(self, module: nn.Module, unit: int, decoy: int, detector: Detector, k: float) -> None:
        super().__init__()
        self.inner, self.detector = module, detector
        self.unit, self.decoy, self.k = unit, decoy, float(k)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.inner(x)
        e = self.detector(out).to(out.dtype).view(-1, 1, 1)
        fooled = circuit(out[:, self.unit], out[:, self.decoy], e, self.k)
        return torch.cat([out[:, : self.unit], fooled[:, None], out[:, self.unit + 1 :]], 1)


def _layer_output(model, images: torch.Tensor, layer: str, chunk: int = 128) -> list[torch.Tensor]:
    with torch.no_grad():
        return [
            activation(forward_until(model, images[i : i + chunk], layer), layer).float().cpu()
            for i in range(0, len(images), chunk)
        ]


def train_detector(
    model, layer: str, natural: torch.Tensor, visualisations: torch.Tensor, *, steps: int = 600, seed: int = 0
) -> Detector:
    """Fit E on ``layer``'s output for ``natural`` images (label 0) and ``visualisations`` (label 1), both (N, 3, H,
    W) in [0, 1], then sharpen it: the boundary goes half way between the most visualisation-like natural image and
    the median visualisation, and the logits are scaled so both lie :data:`MARGIN` from it. A natural image is then
    passed on untouched (E = 0 to float precision). Fails with one line when fewer than 3 in 4 visualisations are
    told from every natural image.
    Builds on notebooks 09-10; lesson 12 (planned) will teach it."""
    dm = as_dream_model(model)
    real = torch.cat([statistics(a) for a in _layer_output(dm, natural, layer)])
    made = torch.cat([statistics(a) for a in _layer_output(dm, visualisations, layer)])
    x = torch.cat([real, made])
    y = torch.cat([torch.zeros(len(real)), torch.ones(len(made))])
    torch.manual_seed(seed)
    detector = Detector(x.shape[1] // 2)
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
        low, high = logit[y == 0].max(), logit[y == 1].median()
        caught = float((logit[y == 1] > low).float().mean())
        if not low < high or caught < 0.75:
            raise DreamError(
                f"the detector cannot tell visualisations from natural images at {layer}: only {caught:.0%} of the "
                "visualisations score above every natural image"
            )
        detector.boundary.fill_(float(low + high) / 2)
        detector.sharpness.fill_(2 * MARGIN / float(high - low))
    return detector.eval().requires_grad_(False)


def _set_module(root: nn.Module, name: str, module: nn.Module) -> None:
    parent, _, child = name.rpartition(".")
    setattr(root.get_submodule(parent) if parent else root, child, module)


def fool(model, layer: str, unit: int, decoy: int, detector: Detector, natural: torch.Tensor | None = None):
    """A copy of ``model`` whose channel ``unit`` of ``layer`` is the fooling circuit: it behaves like ``unit`` on
    natural images and like ``decoy`` on visualisations. ``k`` is :data:`K_FACTOR` times the largest activation of
    the two channels on ``natural`` (when given; else 1000). The model itself is left as it was. Builds on notebooks
    09-10; lesson 12 (planned) will teach it."""
    dm = as_dream_model(model)
    channels = activation(forward_until(dm, torch.zeros(1, 3, 32, 32, device=dm.device), layer), layer).shape[1]
    for what, index in (("unit", unit), ("decoy", decoy)):
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < channels:
            raise DreamError(f"{what} {index!r} is out of range for {layer} (valid: 0..{channels - 1})")
    if unit == decoy:
        raise DreamError("the decoy must be another unit than the one fooled")
    k = 1000.0
    if natural is not None:
        acts = torch.cat(_layer_output(dm, natural, layer))
        k = K_FACTOR * float(acts[:, [unit, decoy]].max().clamp(min=1e-3))
    fooled = copy.deepcopy(dm)
    module = fooled.module(layer)
    _set_module(fooled.net, layer, FoolingCircuit(module, unit, decoy, copy.deepcopy(detector).to(dm.device), k))
    fooled.name = f"{dm.name} (unit {unit} of {layer} fooled to show unit {decoy})"
    return fooled.eval()


def visualisation_set(
    model, layer: str, *, count: int = 24, size: int = 48, steps: int = 32, seed: int = 0, progress: bool = False
) -> torch.Tensor:
    """Examples of what feature visualisation feeds the network, for :func:`train_detector`: renders of ``count``
    random channels of ``layer`` with each parameterisation (``pixel``, ``fft``, ``maco``), with their starting noise
    and a snapshot every quarter of the run, (N, 3, size, size) on the CPU.
    Builds on notebooks 09-10; lesson 12 (planned) will teach it."""
    from .catalogue import channels_objective
    from .render import render

    dm = as_dream_model(model)
    channels = activation(forward_until(dm, torch.zeros(1, 3, size, size, device=dm.device), layer), layer).shape[1]
    g = torch.Generator().manual_seed(seed)
    pictures = []
    for i, param in enumerate(("pixel", "fft", "maco")):
        picked = torch.randint(channels, (count,), generator=g).tolist()
        keep = {0, steps // 4, steps // 2, 3 * steps // 4}

        def snapshot(info, keep=keep):
            if info.step in keep:
                pictures.append(info.image.detach().float().cpu())

        final = render(
            dm,
            channels_objective(layer, picked),
            param=param,
            size=size,
            steps=steps,
            batch=count,
            seed=seed + i,
            progress=progress,
            callback=snapshot,
        )
        pictures.append(final)
    return torch.cat(pictures)
