"""A neuron catalogue: for every channel of a layer, what it draws and which real images excite it most.

A feature visualisation (:func:`dreamlib.render`) shows what a channel
*would* respond to most; the top dataset examples show what it *does* respond
to in real data. Olah et al. ("Feature Visualization", Distill 2017, section
"Dataset Examples") show both side by side because each can mislead alone:
examples mix a channel's feature with whatever co-occurs with it, and a
visualisation can show a feature that never occurs in the data.
:func:`catalogue` computes both, and by default two newer views of each
channel: a MACO render (:mod:`dreamlib.vis.maco`, Fel et al. 2023) with the
map of where its gradient fell, and the channel accentuated in its top example
(:mod:`dreamlib.vis.accentuate`, Hamblin, Fel et al. 2024).
:func:`write_catalogue` (:mod:`dreamlib.vis.page`) writes a page,
``DIR/index.html``, with its pictures in ``DIR/images/``: no network, no
scripts from elsewhere, sortable by channel or by activation, readable on a
phone. For the shapes model the examples come from its own data generator
(:func:`dreamlib.shapes.make_batch`); for other models from a folder of
images. Taught in notebook 16 (the neuron catalogue).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from tqdm.auto import tqdm

from ..checks import check_index, check_non_negative, check_whole
from ..errors import DreamError
from ..hooks import forward_until
from ..images import load_image, resize
from ..models import as_dream_model
from ..objectives import Activations, Objective, activation, channel
from ..recipe import CATALOGUE, CATALOGUE_ACCENT, CATALOGUE_MACO_STEPS
from .accentuate import accentuate as accentuate_photo  # the keyword `accentuate` switches it on and off
from .page import MARKER, check_output_dir, write_catalogue  # noqa: F401 (the page, re-exported: dl.write_catalogue)
from .render import render, render_attribution
from .transforms import jitter, maco_crops


@dataclass
class ChannelEntry:
    """One channel: its visualisation, its top examples and their activations (mean over positions), and (unless
    :func:`catalogue` was told not to make them) its MACO render, where that render's gradient fell, and its top
    example accentuated. Taught in notebook 16."""

    index: int
    visualisation: torch.Tensor  # (3, H, W) in [0, 1]
    examples: list[torch.Tensor] = field(default_factory=list)  # each (3, h, w)
    activations: list[float] = field(default_factory=list)  # of each example, highest first
    rendered: float = 0.0  # the channel's mean activation on its own visualisation
    maco: torch.Tensor | None = None  # (3, H, W) in [0, 1]: the channel rendered with MACO's phase-only param
    attribution: torch.Tensor | None = None  # (1, H, W) in [0, 1], max 1: where the gradient fell over that render
    maco_rendered: float | None = None  # the channel's mean activation on its MACO render
    accentuated: torch.Tensor | None = None  # (3, h, w) in [0, 1]: the top example with the channel brought out
    accent_before: float | None = None  # the channel's mean activation on the top example (as accentuate measures it)
    accent_after: float | None = None  # ... and on the accentuated example
    part: str | None = None  # the part network dissection labels it with (``dissection=``; lesson 19) ...
    iou: float | None = None  # ... and that label's IoU


def channels_objective(layer: str, channels: Sequence[int]) -> Objective:
    """Image ``i`` of a batch maximises channel ``channels[i]`` of ``layer``: one render for many channels."""
    index = torch.as_tensor(list(channels))

    def fn(a: Activations) -> torch.Tensor:
        x = activation(a, layer)
        return x[torch.arange(len(index)), index.to(x.device)].flatten(1).mean(1)

    return Objective(fn, [layer], f"channels({layer})")


def dataset_examples(model, images: torch.Tensor, layer: str, chunk: int = 64) -> torch.Tensor:
    """Mean activation of every channel of ``layer`` on each image: (N, channels), on the CPU."""
    dm = as_dream_model(model)
    rows = []
    with torch.no_grad():
        for start in range(0, len(images), chunk):
            acts = activation(forward_until(dm, images[start : start + chunk], layer), layer)
            rows.append(acts.flatten(2).mean(2).float().cpu())
    return torch.cat(rows)


def list_images(folder: str | os.PathLike) -> list[Path]:
    """The .png/.jpg/.jpeg files directly inside ``folder``, sorted by name."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise DreamError(f"no such folder of images: {str(folder)!r}")
    return sorted(p for p in path.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg") and p.is_file())


def example_images(
    model, folder: str | os.PathLike | None = None, count: int = 512, size: int = 128, seed: int = 0
) -> torch.Tensor:
    """The images to search: ``folder``'s (each resized to ``size`` x ``size``), else the shapes training data.

    Without a folder only the shapes model has data of its own (``count``
    images from :func:`dreamlib.shapes.make_batch` with ``seed``). Taught in notebook 16.
    """
    if folder is not None:
        paths = list_images(folder)
        if not paths:
            raise DreamError(f"no images (.png, .jpg, .jpeg) found in {str(folder)!r}")
        return torch.cat([resize(load_image(p, max_size=None), (size, size)) for p in paths])
    if getattr(model, "name", None) != "shapes":
        raise DreamError(
            f"{getattr(model, 'name', 'this model')} has no data of its own: give a folder of images (--images FOLDER)"
        )
    from ..shapes.data import make_batch

    return make_batch(count, torch.Generator().manual_seed(seed))[0]


def _check_switch(name: str, value) -> None:
    if not isinstance(value, bool):
        raise DreamError(f"{name} must be True or False, got {value!r}")


def catalogue(  # noqa: PLR0913 (keyword settings, each with a default)
    model,
    layer: str,
    *,
    channels: Sequence[int] | None = None,
    images: torch.Tensor | None = None,
    top: int = 6,
    size: int = CATALOGUE.size,
    steps: int = CATALOGUE.steps,
    seed: int = 0,
    progress: bool = True,
    chunk: int = 32,
    maco: bool = True,
    accentuate: bool = True,
    maco_steps: int = CATALOGUE_MACO_STEPS,
    accent_steps: int = CATALOGUE_ACCENT.steps,
    alpha: float = CATALOGUE_ACCENT.alpha,
    dissection=None,
) -> list[ChannelEntry]:
    """Visualise each channel of ``layer`` and find its ``top`` examples among ``images`` (N, 3, H, W).

    ``channels`` defaults to all of them; ``images`` to the shapes model's
    own data (:func:`example_images`). Visualisations come from :func:`render`
    with the FFT parameterisation, ``chunk`` channels per batch. ``maco`` (default True): also render each channel with
    ``param="maco"`` (``maco_steps`` steps, same size, same batches) and keep
    the render's attribution map. ``accentuate`` (default True): also
    accentuate each channel in its top example (:func:`dreamlib.accentuate`,
    ``accent_steps`` steps, ``alpha`` as there, a small jitter sized to the
    example: ``dreamlib.recipe.CATALOGUE_ACCENT``). ``dissection``: a :func:`dreamlib.dissect` result for
    ``layer``, whose label and IoU each channel's entry (and page card) then shows. Taught in notebook 16;
    ``dissection`` in notebook 19.
    """
    dm = as_dream_model(model)
    check_whole("top", top)
    _check_switch("maco", maco)
    _check_switch("accentuate", accentuate)
    check_whole("maco_steps", maco_steps)
    check_whole("accent_steps", accent_steps)
    check_non_negative("alpha", alpha)
    images = example_images(dm) if images is None else images
    scores = dataset_examples(dm, images, layer)
    count = scores.shape[1]
    channels = list(range(count)) if channels is None else list(channels)
    for c in channels:
        check_index("channel", c, count, layer)
    if not channels:
        raise DreamError("no channels to catalogue")
    if dissection is not None and (getattr(dissection, "layer", None) != layer or len(dissection) != count):
        raise DreamError(f"the dissection given is not of {layer}'s {count} channels: dissect that layer first")
    entries = []
    for start in range(0, len(channels), chunk):
        group = channels[start : start + chunk]
        settings = dict(size=size, seed=seed + start, batch=len(group), progress=progress)
        pictures = render(dm, channels_objective(layer, group), steps=steps, **settings)
        rendered = dataset_examples(dm, pictures, layer)
        if maco:
            # MACO's crops are about half the image: at least the smallest input the network takes (InceptionV3: 75)
            crops = "auto" if size // 2 >= dm.min_size else maco_crops(maco_steps, output=dm.min_size)
            objective = channels_objective(layer, group)
            phased, maps = render_attribution(
                dm, objective, steps=maco_steps, param="maco", transforms=crops, **settings
            )
            phased_scores = dataset_examples(dm, phased, layer)
        for i, c in enumerate(group):
            best = scores[:, c].argsort(descending=True)[:top]
            entry = ChannelEntry(
                c,
                pictures[i],
                [images[j].cpu().float() for j in best],
                [float(scores[j, c]) for j in best],
                float(rendered[i, c]),
            )
            if maco:
                entry.maco, entry.attribution, entry.maco_rendered = phased[i], maps[i], float(phased_scores[i, c])
            if dissection is not None:
                entry.part, entry.iou = dissection[c].part, dissection[c].iou
            entries.append(entry)
    if accentuate:
        for entry in tqdm(entries, desc="accentuating", disable=not progress, leave=False):
            _accentuate_top(dm, layer, entry, accent_steps, alpha, seed)
    return entries


def _accentuate_top(dm, layer: str, entry: ChannelEntry, steps: int, alpha: float, seed: int) -> None:
    """Fill ``entry``'s accentuation of its top example, with a small jitter sized to the example."""
    example = entry.examples[0][None]
    shift = max(1, round(CATALOGUE_ACCENT.jitter * min(example.shape[-2:])))
    done = accentuate_photo(
        dm,
        example,
        channel(layer, entry.index),
        alpha=alpha,
        steps=steps,
        lr=CATALOGUE_ACCENT.lr,
        transforms=[jitter(shift)],
        seed=seed + entry.index,
        progress=False,
    )
    entry.accentuated = done.image[0]
    entry.accent_before, entry.accent_after = done.objective_before, done.objective_after
