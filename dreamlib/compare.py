"""Dream several layers from the same start, in one batched pass: :func:`compare_layers`.

The model is in eval mode (BatchNorm uses its stored statistics), so the images
of a batch do not influence each other: dreaming a batch of copies, copy ``i``
toward layer ``i``, gives exactly the one-by-one results at the cost of one
forward/backward pass per step. Taught in notebook 05; measured in benchmarks/.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .errors import DreamError
from .images import as_batch
from .models import as_dream_model
from .objectives import Objective, activation
from .octaves import dream


def per_image_layers(layers: Sequence[str]) -> Objective:
    """Objective for a batch: image ``i`` is scored by the mean activation of ``layers[i]``.

    Taught in notebook 05.
    """

    def fn(acts):
        return torch.stack([activation(acts, layer)[i].mean() for i, layer in enumerate(layers)])

    return Objective(fn, list(layers), f"per-image({', '.join(layers)})")


def compare_layers(
    model: torch.nn.Module,
    image: torch.Tensor,
    layers: Sequence[str],
    *,
    batched: bool = True,
    seed: int | None = 0,
    **settings,
) -> dict[str, torch.Tensor]:
    """Dream ``image`` once per layer, from the same start and seed; returns ``{layer: dream}``.

    ``batched=True`` dreams all layers in one batch (one pass per step; memory
    grows with the number of layers); ``False`` runs them one after another.
    Other keyword arguments go to :func:`dream`. The dreams run on the model's
    device and come back as float32 tensors on ``image``'s device.
    Taught in notebook 05.
    """
    layers = list(layers)
    if not layers:
        raise DreamError("compare_layers needs at least one layer")
    dm = as_dream_model(model)
    image = as_batch(image)
    if not batched:
        return {layer: dream(dm, image, layer, seed=seed, **settings) for layer in layers}
    batch = image.expand(len(layers), -1, -1, -1).contiguous()
    dreams = dream(dm, batch, objective=per_image_layers(layers), seed=seed, **settings)
    return {layer: dreams[i : i + 1] for i, layer in enumerate(layers)}


def show_grid(images: dict[str, torch.Tensor], columns: int | None = None, size: float = 4.0):
    """Plot ``{title: image}`` side by side with matplotlib (ends with ``plt.show()``).

    Images may be on any device and in any dtype (they are brought to the CPU as float32).
    Taught in notebook 03; notebook 05 compares layers with it.
    """
    import matplotlib.pyplot as plt

    columns = columns or len(images)
    rows = -(-len(images) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(size * columns, size * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (title, im) in zip(axes.flat, images.items()):
        ax.imshow(im[0].detach().cpu().float().permute(1, 2, 0).clamp(0, 1).numpy())
        ax.set_title(title)
    plt.tight_layout()
    plt.show()
