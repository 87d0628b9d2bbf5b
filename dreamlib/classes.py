"""What a classifier thinks an image shows, and how many ImageNet classes are dogs.

ImageNet-1k (ILSVRC 2012) lists 118 dog breeds, indices 151 (Chihuahua) to 268
(Mexican hairless): 11.8% of its 1000 classes, more than any other single kind
of thing. Networks trained on it learn many dog features, and dreams show them.
Taught in notebook 11 (why dogs).
"""

from __future__ import annotations

import torch

from .checks import check_whole
from .errors import DreamError
from .models import DreamModel

DOG_CLASSES = range(151, 269)


def class_probabilities(model: DreamModel, image: torch.Tensor) -> torch.Tensor:
    """Softmax probabilities (one per class: 1000 for ImageNet) of ``model`` for one [0, 1] image.

    Taught in notebook 11.
    """
    with torch.no_grad():
        logits = model(image.to(model.device))
    return logits.float().softmax(dim=1)[0].cpu()


def top_classes(model: DreamModel, image: torch.Tensor, k: int = 5) -> list[tuple[str, float]]:
    """The ``k`` most likely (class name, probability) pairs, best first. Taught in notebook 11."""
    categories = getattr(model, "categories", None)
    if not categories:
        raise DreamError(f"{_name(model)} has no class names (model.categories is empty): top_classes needs them")
    check_whole("k", k, 1, len(categories))
    probs = class_probabilities(model, image)
    if len(probs) != len(categories):
        raise DreamError(f"{_name(model)} gives {len(probs)} class scores but names {len(categories)} classes")
    values, indices = probs.topk(k)
    return [(categories[i], p) for p, i in zip(values.tolist(), indices.tolist())]


def dog_probability(model: DreamModel, image: torch.Tensor) -> float:
    """Total probability the classifier gives to the 118 dog-breed classes. Taught in notebook 11."""
    probs = class_probabilities(model, image)
    if len(probs) != 1000:
        raise DreamError(
            f"dog_probability needs a classifier of the 1000 ImageNet classes (the dogs are classes "
            f"{DOG_CLASSES[0]}..{DOG_CLASSES[-1]}); {_name(model)} gives {len(probs)} class scores"
        )
    return float(probs[list(DOG_CLASSES)].sum())


def _name(model) -> str:
    return getattr(model, "name", None) or type(model).__name__
