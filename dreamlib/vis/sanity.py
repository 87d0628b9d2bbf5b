"""A sanity check for feature visualisations: does the network process a unit's visualisation like its top examples?

Geirhos, Zimmermann, Bilodeau, Brendel and Kim ("Don't trust your eyes", ICML 2024, section 4) ask whether a
visualisation is processed by the network along the same path as the natural images that excite the unit most;
they find that for most layers it is not. This module asks the same question with one simple number per layer: the
cosine similarity between the visualisation's activations and the average activations of the unit's top natural
examples, each layer's channels (averaged over positions) first standardised with natural reference images, so that
a channel every image excites does not count. For comparison, the same number for a *natural* image that excites the
unit (a held-out top example) says how similar "similar" is. A unit's score is the mean over layers.
Taught in notebook 17 (don't trust your eyes).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from ..errors import DreamError
from ..hooks import forward_until
from ..models import as_dream_model
from ..objectives import activation


def profiles(model, images: torch.Tensor, layers: Sequence[str], chunk: int = 128) -> dict[str, torch.Tensor]:
    """Each layer's channels averaged over positions, for every image: ``{layer: (N, channels)}`` on the CPU, without
    gradients. Taught in notebook 17."""
    dm = as_dream_model(model)
    out: dict[str, list[torch.Tensor]] = {layer: [] for layer in layers}
    with torch.no_grad():
        for start in range(0, len(images), chunk):
            acts = forward_until(dm, images[start : start + chunk], list(layers))
            for layer in layers:
                out[layer].append(activation(acts, layer).float().flatten(2).mean(2).cpu())
    return {layer: torch.cat(rows) for layer, rows in out.items()}


def processing_similarity(
    model,
    pictures: torch.Tensor,
    examples: torch.Tensor,
    reference: torch.Tensor,
    layers: Sequence[str] | None = None,
) -> dict[str, torch.Tensor]:
    """Layer by layer, how alike the network processes each of ``pictures`` (P, 3, H, W) and the average of
    ``examples`` (the unit's top natural examples): ``{layer: (P,) cosine similarities}``, every channel standardised
    by its mean and spread over ``reference`` (natural images). ``layers`` defaults to the model's. Pictures of any
    size work (activations are averaged over positions). Taught in notebook 17."""
    dm = as_dream_model(model)
    layers = list(layers or dm.layers)
    if not layers:
        raise DreamError("processing_similarity needs at least one layer")
    for name, batch in (("pictures", pictures), ("examples", examples), ("reference", reference)):
        if not isinstance(batch, torch.Tensor) or batch.dim() != 4 or not len(batch):
            raise DreamError(f"{name} must be a non-empty (N, 3, H, W) batch of images")
    if len(reference) < 2:
        raise DreamError("reference needs at least 2 images (their spread standardises each channel)")
    ref = profiles(dm, reference, layers)
    seen, top = profiles(dm, pictures, layers), profiles(dm, examples, layers)
    result = {}
    for layer in layers:
        centre, spread = ref[layer].mean(0), ref[layer].std(0).clamp(min=1e-6)
        a = (seen[layer] - centre) / spread
        b = ((top[layer] - centre) / spread).mean(0, keepdim=True)
        result[layer] = F.cosine_similarity(a, b.expand_as(a), dim=1)
    return result


def sanity_score(similarity: dict[str, torch.Tensor]) -> torch.Tensor:
    """One number per picture: the mean over layers of :func:`processing_similarity`. Taught in notebook 17."""
    return torch.stack(list(similarity.values())).mean(0)
