"""Sparse autoencoders: directions in a layer that may be more single-minded than its channels.

A channel can respond to several unrelated things (Olah et al., "Zoom In", Distill 2020: polysemantic neurons),
perhaps because a layer stores more features than it has channels, each a direction, in superposition (Elhage
et al., "Toy Models of Superposition", 2022). Dictionary learning looks for those directions: a sparse
autoencoder rewrites every activation vector (one per position of one image) as a sum of a few of ``features``
learned directions, more of them than channels (Bricken et al., "Towards Monosemanticity", 2023; for vision
networks: Gorton 2024, Stevens et al. 2025, Fel et al. 2025).

This one is a *TopK* autoencoder (Gao et al., "Scaling and evaluating sparse autoencoders", 2024): the encoder
keeps the ``k`` largest feature activations and zeroes the rest, so sparsity is a number you choose, not a
penalty to tune, and the kept activations are not shrunk towards zero as an L1 penalty shrinks them. As Gao et
al. do, the decoder's directions are kept at length 1 and the encoder starts as the decoder's transpose (fewer dead
features). Activations are divided by one global scale so that their mean square is 1 (Gao et al. normalise each
activation vector; one scale keeps the map linear, so switching a feature off subtracts exactly its share).

A feature is used like a channel: ``sae.feature(j)`` is an objective for :func:`dreamlib.render` and
:func:`dreamlib.dream`, and :func:`dreamlib.dissect` and :func:`dreamlib.ablate` take the autoencoder where they
take a layer name. Taught in notebook 19.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from tqdm.auto import tqdm

from ..checks import check_index, check_positive, check_whole
from ..errors import DreamError
from ..objectives import Activations, Objective, activation
from .dissection import unit_maps


@dataclass(frozen=True)
class Report:
    """How well an autoencoder does on its training activations. Taught in notebook 19.

    ``variance_explained``: 1 - (squared reconstruction error) / (variance of the activations), over all samples;
    ``mean_active``: features active per sample, on average; ``dead``: features active on no sample;
    ``samples``: activation vectors (positions of images) it was trained on.
    """

    variance_explained: float
    mean_active: float
    dead: int
    samples: int

    def __str__(self) -> str:
        return (
            f"variance explained {self.variance_explained:.1%}, {self.mean_active:.1f} features active per position, "
            f"{self.dead} dead features ({self.samples} activation vectors)"
        )


class SparseAutoencoder(nn.Module):
    """A TopK sparse autoencoder on the channels of ``layer`` (module docstring). Taught in notebook 19."""

    def __init__(self, layer: str, channels: int, features: int, k: int, scale: float = 1.0, generator=None) -> None:
        super().__init__()
        check_whole("channels", channels)
        check_whole("features", features)
        check_whole("k", k, 1, features)
        self.layer, self.channels, self.features, self.k, self.scale = layer, channels, features, k, float(scale)
        decoder = torch.randn(features, channels, generator=generator)
        self.decoder = nn.Parameter(decoder / decoder.norm(dim=1, keepdim=True))  # (features, channels)
        self.encoder = nn.Parameter(self.decoder.detach().clone())  # (features, channels)
        self.encoder_bias = nn.Parameter(torch.zeros(features))
        self.decoder_bias = nn.Parameter(torch.zeros(channels))
        self.report: Report | None = None

    def _rows(self, acts: torch.Tensor) -> tuple[torch.Tensor, tuple | None]:
        """Activations (N, C, H, W) or (M, C) as float rows (M, C), and how to fold them back."""
        if acts.dim() == 4 and acts.shape[1] == self.channels:
            n, c, h, w = acts.shape
            rows = acts.permute(0, 2, 3, 1).reshape(-1, c)
            return rows.float(), (n, h, w)
        if acts.dim() == 2 and acts.shape[1] == self.channels:
            return acts.float(), None
        raise DreamError(f"this autoencoder reads {self.channels} channels of {self.layer}, got {tuple(acts.shape)}")

    def pre_activation(self, rows: torch.Tensor) -> torch.Tensor:
        """Each feature's activation before the top-k choice, for rows (M, channels) of raw activations."""
        device = rows.device  # the weights go to the activations (e.g. a model on a GPU), not the other way
        centred = rows / self.scale - self.decoder_bias.to(device)
        return centred @ self.encoder.to(device).T + self.encoder_bias.to(device)

    def _topk(self, pre: torch.Tensor) -> torch.Tensor:
        values, index = pre.topk(self.k, dim=1)
        return torch.zeros_like(pre).scatter(1, index, values.relu())

    def encode(self, acts: torch.Tensor) -> torch.Tensor:
        """Feature activations: (N, features, H, W) for (N, channels, H, W), or (M, features) for (M, channels)."""
        rows, fold = self._rows(acts)
        codes = self._topk(self.pre_activation(rows))
        if fold is None:
            return codes
        n, h, w = fold
        return codes.view(n, h, w, -1).permute(0, 3, 1, 2)

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """Rows of feature activations (M, features) back to activations (M, channels)."""
        device = codes.device
        return (codes @ self.decoder.to(device) + self.decoder_bias.to(device)) * self.scale

    def forward(self, acts: torch.Tensor) -> torch.Tensor:
        """The reconstruction of rows (M, channels) of activations."""
        rows, _ = self._rows(acts)
        return self.decode(self._topk(self.pre_activation(rows)))

    def contribution(self, acts: torch.Tensor, picks: list[int]) -> torch.Tensor:
        """The part of ``acts`` (N, channels, H, W) that features ``picks`` write: what :func:`dreamlib.ablate`
        subtracts to switch them off."""
        if max(picks) >= self.features:
            raise DreamError(f"feature {max(picks)} is out of range (valid: 0..{self.features - 1})")
        codes = self.encode(acts)[:, picks]  # (N, picked, H, W), on the activations' device
        part = torch.einsum("nfhw,fc->nchw", codes, self.decoder[picks].to(codes.device)) * self.scale
        return part.to(acts.dtype)

    def direction(self, j: int) -> torch.Tensor:
        """Feature ``j``'s direction in the layer's channel space (length 1): the decoder's row ``j``."""
        self._check(j)
        return self.decoder[j].detach().clone()

    def _check(self, j) -> None:
        check_index("feature", j, self.features)

    def feature(self, j: int) -> Objective:
        """An objective: feature ``j``'s activation (before the top-k choice), averaged over positions.

        Use it as a channel: ``dl.render(model, sae.feature(j))``, ``dl.dream(model, photo, sae.feature(j))``.
        """
        self._check(j)

        def fn(a: Activations) -> torch.Tensor:
            x = activation(a, self.layer)
            rows, fold = self._rows(x)
            n, h, w = fold
            return self.pre_activation(rows)[:, j].view(n, h * w).mean(1)

        return Objective(fn, [self.layer], f"feature({self.layer}, {j})")

    def extra_repr(self) -> str:
        return f"layer={self.layer!r}, channels={self.channels}, features={self.features}, k={self.k}"


def fit(  # noqa: PLR0913 (keyword settings, each with a default)
    rows: torch.Tensor,
    features: int,
    k: int,
    *,
    layer: str = "",
    steps: int = 3000,
    batch: int = 1024,
    lr: float = 1e-3,
    seed: int = 0,
    progress: bool = True,
) -> SparseAutoencoder:
    """A TopK autoencoder fitted to activation vectors ``rows`` (M, channels) by Adam on the squared error.

    ``steps=0`` gives the untrained autoencoder: ``features`` random directions, a baseline to compare with.

    The generator is seeded with ``seed`` (the caller's global random state is left alone).
    """
    if not isinstance(rows, torch.Tensor) or rows.dim() != 2 or len(rows) < 2:
        raise DreamError("need at least two activation vectors (M, channels) to train an autoencoder")
    for name, value in (("steps", steps), ("batch", batch), ("seed", seed)):
        check_whole(name, value, 1 if name == "batch" else 0)
    check_positive("lr", lr)
    rows = rows.float()
    scale = rows.pow(2).mean().sqrt().clamp(min=1e-8).item()
    g = torch.Generator().manual_seed(seed)
    sae = SparseAutoencoder(layer, rows.shape[1], features, k, scale, generator=g).to(rows.device)
    with torch.no_grad():
        sae.decoder_bias.copy_(rows.mean(0) / scale)
    g = torch.Generator(device=rows.device).manual_seed(seed)
    optimiser = torch.optim.Adam(sae.parameters(), lr=lr)
    for _ in tqdm(range(steps), desc=f"training an autoencoder on {layer or 'activations'}", disable=not progress):
        pick = torch.randint(len(rows), (min(batch, len(rows)),), generator=g, device=rows.device)
        loss = (sae(rows[pick]) - rows[pick]).div(scale).pow(2).sum(1).mean()
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        with torch.no_grad():
            sae.decoder.div_(sae.decoder.norm(dim=1, keepdim=True).clamp(min=1e-8))
    sae.eval().requires_grad_(False)
    sae.report = evaluate(sae, rows)
    return sae


def evaluate(sae: SparseAutoencoder, rows: torch.Tensor, chunk: int = 8192) -> Report:
    """The :class:`Report` of ``sae`` on activation vectors ``rows`` (M, channels)."""
    error = total = active = 0.0
    fired = torch.zeros(sae.features, dtype=torch.bool)
    mean = rows.float().mean(0)
    with torch.no_grad():
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk].float()
            codes = sae._topk(sae.pre_activation(part))
            error += (sae.decode(codes) - part).pow(2).sum().item()
            total += (part - mean).pow(2).sum().item()
            active += (codes > 0).sum().item()
            fired |= (codes > 0).any(0).cpu()
    return Report(1 - error / max(total, 1e-12), active / len(rows), int((~fired).sum()), len(rows))


def train(  # noqa: PLR0913 (keyword settings, each with a default)
    model,
    layer: str,
    images: torch.Tensor,
    *,
    features: int | None = None,
    k: int = 8,
    steps: int = 3000,
    batch: int = 1024,
    lr: float = 1e-3,
    seed: int = 0,
    progress: bool = True,
) -> SparseAutoencoder:
    """A sparse autoencoder on ``layer``'s activations for ``images`` (N, 3, H, W): every position is a sample.

    ``features`` (default four times the layer's channels) learned directions, ``k`` of them active per position;
    ``steps`` Adam steps on ``batch`` positions at a time (0: random directions, untrained, as a baseline). The
    result's ``report`` (:class:`Report`) gives the
    variance it explains, the features active per position and the dead features. Taught in notebook 19.
    """
    maps = unit_maps(model, layer, images)  # (N, C, H, W) on the CPU
    rows = maps.permute(0, 2, 3, 1).reshape(-1, maps.shape[1])
    features = 4 * maps.shape[1] if features is None else features  # SparseAutoencoder checks it and k
    return fit(rows, features, k, layer=layer, steps=steps, batch=batch, lr=lr, seed=seed, progress=progress)
