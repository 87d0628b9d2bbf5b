"""The network a lesson dreams with, wrapped together with its own preprocessing: :class:`DreamModel`.

A :class:`DreamModel` takes RGB images in [0, 1] and normalises them itself, so no normalised tensor ever leaks into
user code (notebook 02 explains why the model should own this); it knows its layers worth dreaming on and the
smallest picture it takes. :func:`as_dream_model` wraps any ``nn.Module``; :func:`dreamlib.load_model`
(:mod:`dreamlib.models`) builds the named ones. Taught in notebooks 01 and 02.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from . import vit
from .errors import DreamError
from .recipe import DEFAULT, Recipe, check_model_recipe


def short_list(names: Sequence[str], limit: int = 40) -> str:
    """Names joined by commas, cut after ``limit`` (error messages list the valid options)."""
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[:limit]) + f", ... ({len(names)} in all; see model.layers)"


def spread(layers: Sequence[str], count: int = 4) -> tuple[str, ...]:
    """``count`` layers spread evenly from the first to the last (all of them if there are fewer)."""
    if len(layers) <= count:
        return tuple(layers)
    return tuple(layers[round(i * (len(layers) - 1) / (count - 1))] for i in range(count))


class DreamModel(nn.Module):
    """A network plus its input normalisation; call it on RGB images in [0, 1].

    ``layers`` lists the names of the layers worth dreaming on (they are
    ``named_modules()`` names of ``net``); ``depth_layers`` picks four of them,
    shallow to deep, that the lessons compare (so a lesson runs unchanged on
    any model); ``min_size`` is the smallest image side the network accepts;
    ``weights`` says what the weights are (``"imagenet"``, ``"random"``,
    ``"shipped"``, a file path, or ``"custom"``); ``recipe`` is the :class:`dreamlib.Recipe`
    it dreams best with where it differs from the defaults (octaves, octave scale, steps,
    step size, jitter, basis; :data:`dreamlib.recipe.MODEL_FIELDS`), which
    :func:`dreamlib.dream` and the command line use when the caller does not choose.
    Taught in notebooks 01 (layers) and 02 (normalisation).
    """

    # What __init__ sets besides the network and normalisation: a model made from this one (dl.faster's) shares them.
    DESCRIPTION = ("layers", "min_size", "name", "default_layer", "categories", "depth_layers", "weights", "recipe")

    def __init__(  # noqa: PLR0913 (keyword settings, each with a default)
        self,
        net: nn.Module,
        *,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
        layers: Sequence[str] | None = None,
        min_size: int = 1,
        name: str = "custom",
        default_layer: str | None = None,
        categories: Sequence[str] | None = None,
        depth_layers: Sequence[str] | None = None,
        weights: str = "custom",
        recipe: Recipe | None = None,
    ) -> None:
        super().__init__()
        self.net = net.eval()
        if (mean is None) != (std is None):
            raise DreamError("give both mean and std for the normalisation, or neither")
        if mean is not None:
            self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
            self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))
        else:
            self.mean = self.std = None
        patch = vit.patch_size(net)  # a vision transformer: any size, in whole patches (lesson 20)
        if layers is None:
            layers = vit.layers(net) if patch else [n for n, _ in net.named_modules() if n]
        self.layers: tuple[str, ...] = tuple(layers)
        self.min_size = max(int(min_size), patch or 1)
        self.name = name
        self.default_layer = default_layer or (self.layers[-1] if self.layers else "")
        self.categories = list(categories) if categories is not None else None
        self.depth_layers: tuple[str, ...] = tuple(depth_layers) if depth_layers is not None else spread(self.layers)
        self.weights = weights
        self.recipe = DEFAULT if recipe is None else check_model_recipe(recipe)

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        """[0, 1] RGB -> what the network was trained on."""
        if self.mean is None:
            return images
        return (images - self.mean) / self.std

    def denormalize(self, images: torch.Tensor) -> torch.Tensor:
        """The inverse of :meth:`normalize`: back to [0, 1] RGB."""
        if self.mean is None:
            return images
        return images * self.std + self.mean

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Run the network on [0, 1] images from any device: they are moved to the model's device and dtype.

        The move is differentiable, so a CPU leaf tensor with ``requires_grad``
        still gets its gradient when the model lives on a GPU or in another
        precision. The output stays on the model's device, in its dtype. A vision
        transformer takes pictures of any size (:func:`dreamlib.vit.forward`).
        """
        x = self.normalize(images.to(self.device))  # normalise in the image's precision (or the buffers', if finer)
        if vit.patch_size(self.net):  # a vision transformer, run at the picture's size (lesson 20)
            return vit.forward(self.net, x.to(self.dtype))
        return self.net(x.to(self.dtype))

    @property
    def device(self) -> torch.device:
        """Where the model lives: the device of its first parameter or buffer (CPU if it has none)."""
        for p in self.parameters():
            return p.device
        for b in self.buffers():
            return b.device
        return torch.device("cpu")

    @property
    def dtype(self) -> torch.dtype:
        """The model's floating dtype (float32, float64, float16, bfloat16): that of its first floating
        parameter or buffer (float32 if it has none). Input images are cast to it."""
        for tensors in (self.parameters(), self.buffers()):
            for t in tensors:
                if t.is_floating_point():
                    return t.dtype
        return torch.float32

    def module(self, layer: str) -> nn.Module:
        """The submodule called ``layer``; a clear error lists the valid names."""
        modules = dict(self.net.named_modules())
        if layer not in modules or not layer:
            raise DreamError(f"unknown layer {layer!r} for {self.name}; valid layers: {short_list(self.layers)}")
        return modules[layer]

    def extra_repr(self) -> str:
        return f"name={self.name!r}, weights={self.weights!r}, layers={len(self.layers)}, min_size={self.min_size}"


def as_dream_model(
    model: nn.Module,
    normalization: tuple[Sequence[float], Sequence[float]] | None = None,
    min_size: int = 1,
) -> DreamModel:
    """Wrap any ``nn.Module`` (put in eval mode) so :func:`dream` can use it.

    Its layers are addressed by their ``named_modules()`` names. Input is [0, 1]
    RGB unless ``normalization=(mean, std)`` is given. A :class:`DreamModel`
    is returned unchanged.
    Taught in notebook 01.
    """
    if isinstance(model, DreamModel):
        return model
    if not isinstance(model, nn.Module):
        raise DreamError(f"expected a torch.nn.Module or a DreamModel, got {type(model).__name__}")
    mean, std = normalization if normalization is not None else (None, None)
    return DreamModel(model, mean=mean, std=std, min_size=min_size)
