"""A dreamer you train yourself: synthetic pattern images and a small CNN that learns them.

Ten classes of 48x48 patterns (:data:`CLASSES`, drawn by :mod:`dreamlib.patterns`):
stripes, checkers, dots, grid, squares, triangles, eyes, faces, waves, spirals.
:class:`ShapesNet` has six conv blocks whose receptive fields grow from 3 px
(conv1) to 65 px (conv6, the whole image). Its weights ship with dreamlib, so
``load_model("shapes")`` gives real learned dreams with no download: it dreams
only of the patterns it was trained on. A twin trained on the same recipe but
with 45% of its images showing eyes (:data:`SKEWED_CLASS_WEIGHTS`, like
ImageNet's 118 dog classes of 1000) ships as ``load_model("shapes",
weights="skewed")``: lesson 06 dreams the same photos with both and counts eyes.

``python scripts/train_shapes.py`` remakes both weight files (bit for bit on one
machine). On two AMD EPYC cores, 600 steps of 64 images each took 33 s (balanced)
and 27 s (skewed); held-out accuracy on 2000 balanced images: 97.8% balanced
(every class >= 90.8%, waves and grid the hardest), 95.3% skewed (eyes 99.5%,
grid 83.8%). Each file is 0.87 MB. Lesson 06's experiment (the five sample
photos at 128 px, conv5, 2 octaves, 10 steps, lr 0.02, seeds 0 and 1; each
model classifies its own dreams): the balanced model calls 50% of its dreams
eyes, the skewed one 100%; on the undreamed photos both say 20%.

Taught in notebooks 06 (the skewed twin) and 07 (training).
"""

from __future__ import annotations

from importlib import resources
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .errors import DreamError
from .patterns import CLASSES, IMAGE_SIZE, class_shares, make_batch

__all__ = [
    "CLASSES", "IMAGE_SIZE", "MEAN", "STD", "SKEWED_CLASS_WEIGHTS", "ShapesNet", "accuracy", "class_accuracy",
    "class_share", "class_shares", "make_batch", "shipped_weights", "train",
]

# The skewed twin's data: "eyes" in 45% of the images, the other nine classes share the rest equally.
SKEWED_CLASS_WEIGHTS = tuple(0.45 if name == "eyes" else 0.55 / (len(CLASSES) - 1) for name in CLASSES)
WIDTHS = (16, 32, 48, 64, 96, 128)
STRIDES = (1, 2, 2, 2, 2, 1)  # receptive fields 3, 5, 9, 17, 33, 65 px


class ShapesNet(nn.Sequential):
    """Six conv blocks and a linear classifier; blocks conv1..conv6 are the ones to dream on.

    conv1..conv5 are conv-BatchNorm-ReLU; widths grow from 16 to 128 channels and
    strides (1, 2, 2, 2, 2, 1) grow the receptive field from 3 px at conv1 to
    65 px at conv6, more than a whole 48x48 image. The deepest block, conv6, is
    a plain conv-ReLU, like every layer of the GoogLeNet of the original
    DeepDream: batch norm rescales each channel to the statistics of the
    training data, which would hide how often a feature was seen there, and
    lesson 06 is about exactly that (with batch norm in conv6 too, the eye-heavy
    twin dreamed *fewer* eyes than the balanced model).
    Taught in notebook 07.
    """

    def __init__(self, classes: int = len(CLASSES)) -> None:
        super().__init__()
        widths = (3, *WIDTHS)
        for i, stride in enumerate(STRIDES):
            conv = nn.Conv2d(widths[i], widths[i + 1], 3, stride=stride, padding=1, bias=i == len(STRIDES) - 1)
            if conv.bias is None:
                block = nn.Sequential(conv, nn.BatchNorm2d(widths[i + 1]), nn.ReLU())
            else:  # the last block: no batch norm, so an initialisation that keeps the signal's scale
                nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
                nn.init.zeros_(conv.bias)
                block = nn.Sequential(conv, nn.ReLU())
            self.add_module(f"conv{i + 1}", block)
        self.add_module("pool", nn.AdaptiveAvgPool2d(1))
        self.add_module("flatten", nn.Flatten())
        self.add_module("fc", nn.Linear(widths[-1], classes))


MEAN, STD = (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)


def train(
    steps: int = 600,
    batch_size: int = 64,
    lr: float = 3e-3,
    seed: int = 0,
    progress: bool = True,
    callback: Callable[[int, float, float], None] | None = None,
    class_weights: Sequence[float] | None = None,
) -> nn.Module:
    """Train a fresh :class:`ShapesNet` on freshly generated batches; returns it in eval mode.

    ``class_weights`` (one number per class, passed to :func:`make_batch`) sets
    how often each class is shown: ``None`` is balanced, a 0 leaves a class out,
    :data:`SKEWED_CLASS_WEIGHTS` makes the eye-obsessed twin.
    ``callback(step, loss, batch_accuracy)`` is called after every step (the
    notebook plots it). Deterministic for a given seed on one machine.
    Taught in notebook 07.
    """
    from tqdm.auto import tqdm

    class_shares(class_weights)  # a bad value fails here, before any work
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    net = ShapesNet()
    mean, std = torch.tensor(MEAN).view(1, 3, 1, 1), torch.tensor(STD).view(1, 3, 1, 1)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    bar = tqdm(range(steps), desc="training", disable=not progress)
    for step in bar:
        images, labels = make_batch(batch_size, g, weights=class_weights)
        logits = net((images - mean) / std)
        loss = F.cross_entropy(logits, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        acc = (logits.argmax(1) == labels).float().mean().item()
        bar.set_postfix(loss=f"{loss.item():.3f}", acc=f"{acc:.0%}")
        if callback is not None:
            callback(step, loss.item(), acc)
    return net.eval()


def _device(model: nn.Module) -> torch.device:
    param = next(iter(model.parameters()), None)
    return param.device if param is not None else torch.device("cpu")


def _predictions(model: nn.Module, images: torch.Tensor, chunk: int = 256) -> torch.Tensor:
    """Top-1 class of each image, computed on the model's device without gradients; returned on the CPU."""
    device = _device(model)
    with torch.no_grad():
        return torch.cat([model(images[i:i + chunk].to(device)).argmax(1).cpu() for i in range(0, len(images), chunk)])


def accuracy(model: nn.Module, n: int = 600, seed: int = 12345) -> float:
    """Accuracy on ``n`` balanced held-out images (a generator seed never used in training).

    The images go to the model's device (CPU or GPU). Taught in notebook 07.
    """
    images, labels = make_batch(n, torch.Generator().manual_seed(seed))
    return (_predictions(model, images) == labels).float().mean().item()


def class_accuracy(model: nn.Module, n: int = 1000, seed: int = 12345) -> dict[str, float]:
    """Held-out accuracy of each class, ``{name: fraction correct}``, on ``n`` balanced images.

    Shows what a network never saw: after training with a class's weight at 0,
    that class scores 0. Taught in notebook 07 (the remove-a-class exercise).
    """
    images, labels = make_batch(n, torch.Generator().manual_seed(seed))
    right = _predictions(model, images) == labels
    return {name: right[labels == k].float().mean().item() if (labels == k).any() else float("nan")
            for k, name in enumerate(CLASSES)}


def class_share(model: nn.Module, images: torch.Tensor, index: int | str) -> float:
    """The fraction of ``images`` ((N, 3, H, W) in [0, 1]) whose top-1 class under ``model`` is ``index``.

    ``index`` is a class number or a name from ``model.categories``. Lesson 06's
    controlled experiment dreams the same photos with the balanced and the
    eye-heavy shapes models and compares ``class_share(model, dreams, "eyes")``.
    Runs on the model's device, without gradients. Taught in notebook 06.
    """
    categories = list(getattr(model, "categories", None) or CLASSES)
    if isinstance(index, str):
        if index not in categories:
            raise DreamError(f"unknown class {index!r}; valid classes: {', '.join(categories)}")
        index = categories.index(index)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(categories):
        raise DreamError(f"class {index!r} is out of range (valid: 0..{len(categories) - 1})")
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] != 3 or not len(images):
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise DreamError(f"class_share needs a non-empty (N, 3, H, W) batch of images, got {shape}")
    return (_predictions(model, images) == index).float().mean().item()


def shipped_weights(which: str = "shipped"):
    """The packaged state dict file: ``"shipped"`` (balanced) or ``"skewed"`` (eye-heavy twin).

    Both are made by ``scripts/train_shapes.py``. Taught in notebook 07.
    """
    files = {"shipped": "shapes.pth", "skewed": "shapes_skewed.pth"}
    if which not in files:
        raise DreamError(f"unknown shipped shapes weights {which!r}; choose one of: {', '.join(files)}")
    return resources.files("dreamlib").joinpath("weights", files[which])
