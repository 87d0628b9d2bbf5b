"""Networks to dream with, each wrapped together with its own preprocessing.

A :class:`DreamModel` takes RGB images in [0, 1] and normalises them itself, so
no normalised tensor ever leaks into user code (notebook 02 explains why the
model should own this). :func:`load_model` builds the four torchvision
classifiers the lessons use; :func:`as_dream_model` wraps any ``nn.Module``.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from .config import OFFLINE_ENV, chosen_weights, default_weights, offline_mode
from .device import resolve_device
from .errors import DreamError, DreamWarning, WeightsUnavailableError
from .io.weights import CorruptWeightsError, fetch_imagenet_weights, load_state_file, weights_cache_path

RANDOM_SEED = 0  # the seed of weights="random": one fixed draw per architecture
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# torchvision's InceptionV3 and GoogLeNet weights (ported from the original papers' models) expect [-1, 1].
# torchvision reaches that with ``transform_input=True``; we normalise directly.
INCEPTION_MEAN = (0.5, 0.5, 0.5)
INCEPTION_STD = (0.5, 0.5, 0.5)


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
    ``"shipped"``, a file path, or ``"custom"``).
    Taught in notebooks 01 (layers) and 02 (normalisation).
    """

    def __init__(
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
        all_names = [n for n, _ in net.named_modules() if n]
        self.layers: tuple[str, ...] = tuple(layers) if layers is not None else tuple(all_names)
        self.min_size = int(min_size)
        self.name = name
        self.default_layer = default_layer or (self.layers[-1] if self.layers else "")
        self.categories = list(categories) if categories is not None else None
        self.depth_layers: tuple[str, ...] = tuple(depth_layers) if depth_layers is not None else spread(self.layers)
        self.weights = weights

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
        precision. The output stays on the model's device, in its dtype.
        """
        x = self.normalize(images.to(self.device))  # normalise in the image's precision (or the buffers', if finer)
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


@dataclass(frozen=True)
class ModelSpec:
    """What dreamlib knows about one architecture."""

    build: Callable[[bool], nn.Module]  # argument: initialise weights randomly
    weights: Callable[[], object]  # the torchvision weights enum entry (URL, categories)
    layers: tuple[str, ...]
    default_layer: str
    min_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    depth_layers: tuple[str, ...] = ()  # four layers, shallow to deep, that the lessons compare
    aux: tuple[str, ...] = ()  # training-only heads, dropped after loading


def _inception_v3(init: bool) -> nn.Module:
    from torchvision.models import inception_v3

    return inception_v3(weights=None, aux_logits=True, transform_input=False, init_weights=init)


def _googlenet(init: bool) -> nn.Module:
    from torchvision.models import googlenet

    return googlenet(weights=None, aux_logits=True, transform_input=False, init_weights=init)


def _vgg16(init: bool) -> nn.Module:
    from torchvision.models import vgg16

    return vgg16(weights=None)


def _resnet50(init: bool) -> nn.Module:
    from torchvision.models import resnet50

    return resnet50(weights=None)


def _weights(enum_name: str) -> Callable[[], object]:
    def get():
        import torchvision.models as tvm

        return getattr(tvm, enum_name).IMAGENET1K_V1

    return get


MODELS: dict[str, ModelSpec] = {
    "inception_v3": ModelSpec(
        _inception_v3,
        _weights("Inception_V3_Weights"),
        layers=(
            "Conv2d_1a_3x3",
            "Conv2d_2a_3x3",
            "Conv2d_2b_3x3",
            "Conv2d_3b_1x1",
            "Conv2d_4a_3x3",
            "Mixed_5b",
            "Mixed_5c",
            "Mixed_5d",
            "Mixed_6a",
            "Mixed_6b",
            "Mixed_6c",
            "Mixed_6d",
            "Mixed_6e",
            "Mixed_7a",
            "Mixed_7b",
            "Mixed_7c",
        ),
        default_layer="Mixed_6c",
        min_size=75,
        mean=INCEPTION_MEAN,
        std=INCEPTION_STD,
        depth_layers=("Conv2d_4a_3x3", "Mixed_5b", "Mixed_6c", "Mixed_7c"),
        aux=("AuxLogits",),
    ),
    "googlenet": ModelSpec(
        _googlenet,
        _weights("GoogLeNet_Weights"),
        layers=(
            "conv1",
            "conv2",
            "conv3",
            "inception3a",
            "inception3b",
            "inception4a",
            "inception4b",
            "inception4c",
            "inception4d",
            "inception4e",
            "inception5a",
            "inception5b",
        ),
        default_layer="inception4c",
        min_size=15,
        mean=INCEPTION_MEAN,
        std=INCEPTION_STD,
        depth_layers=("conv3", "inception3b", "inception4c", "inception5b"),
        aux=("aux1", "aux2"),
    ),
    "vgg16": ModelSpec(
        _vgg16,
        _weights("VGG16_Weights"),
        layers=tuple(f"features.{i}" for i in range(31)),
        default_layer="features.22",
        min_size=32,
        depth_layers=("features.8", "features.15", "features.22", "features.29"),
        mean=IMAGENET_MEAN,
        std=IMAGENET_STD,
    ),
    "resnet50": ModelSpec(
        _resnet50,
        _weights("ResNet50_Weights"),
        layers=("conv1",)
        + tuple(
            name
            for stage, blocks in (("layer1", 3), ("layer2", 4), ("layer3", 6), ("layer4", 3))
            for name in (stage, *(f"{stage}.{i}" for i in range(blocks)))
        ),
        default_layer="layer3",
        min_size=32,
        depth_layers=("layer1", "layer2", "layer3", "layer4"),
        mean=IMAGENET_MEAN,
        std=IMAGENET_STD,
    ),
}


def available_models() -> list[str]:
    """Names :func:`load_model` accepts. Taught in notebook 01."""
    return sorted([*MODELS, "shapes"])


def model_layers(name: str) -> tuple[tuple[str, ...], str]:
    """(dreamable layers, default layer) of a named model, without building it."""
    if name == "shapes":
        from .shapes.net import DEFAULT_LAYER, LAYERS

        return LAYERS, DEFAULT_LAYER
    if name not in MODELS:
        raise DreamError(f"unknown model {name!r}; choose one of: {', '.join(available_models())}")
    return MODELS[name].layers, MODELS[name].default_layer


def load_model(
    name: str = "inception_v3", weights: str | None = None, device: str = "auto", fallback: str | None = None
) -> DreamModel:
    """Build a pretrained classifier ready for dreaming: eval mode, frozen, owning its preprocessing.

    ``weights``: ``"imagenet"`` (torchvision's, through the torch hub cache, which
    honours ``TORCH_HOME``), ``"random"`` (random init: dreams will be noise; always
    the same draw, seed ``RANDOM_SEED``, and your own random numbers are left alone), or a
    path to a ``.pth`` state dict. ``None`` means ``$DREAMLIB_WEIGHTS`` or ``"imagenet"``.
    Never falls back from imagenet to random: a failed download raises an error
    that names the URL and the cache file to place. ``"shapes"`` is the small
    pattern classifier of notebook 09: its weights ship with dreamlib (``"shipped"``,
    the default; ``"skewed"``, its twin trained with dog faces over-represented, for
    notebook 11; ``"ordinary"``, its twin trained without adversarial examples, for
    notebooks 10 and 12; ``$DREAMLIB_WEIGHTS`` does not apply to it).

    ``fallback`` (e.g. ``"shapes"``): when no weights were chosen (neither
    ``weights=`` nor ``$DREAMLIB_WEIGHTS``) and the ImageNet weights can be
    neither found in the cache nor downloaded, print one line saying so and
    return this model instead. The lessons use it so that they run in a
    classroom without internet on a *trained* network; an explicit
    ``weights="imagenet"`` never falls back. ``$DREAMLIB_OFFLINE=1`` takes the
    fallback at once (``make test`` sets it). Taught in notebook 01.
    """
    if fallback is not None and weights is None and chosen_weights() is None and name in MODELS:
        if fallback not in available_models():
            raise DreamError(f"unknown fallback model {fallback!r}; choose one of: {', '.join(available_models())}")
        if offline_mode():
            reason = f"{OFFLINE_ENV} is set"
        else:
            try:
                return load_model(name, "imagenet", device)
            except CorruptWeightsError as exc:
                reason = str(exc)
            except WeightsUnavailableError:
                cached = weights_cache_path(MODELS[name].weights().url)
                reason = f"not in {cached.parent}, and the download failed"
        print(
            f"note: no ImageNet weights for {name} ({reason}); continuing on the trained '{fallback}' model "
            f"that ships with dreamlib (docs/offline.md)",
            file=sys.stderr,
        )
        return load_model(fallback, device=device)
    if name == "shapes":
        from .shapes.net import load

        return load(weights, device)
    if name not in MODELS:
        raise DreamError(f"unknown model {name!r}; choose one of: {', '.join(available_models())}")
    spec = MODELS[name]
    weights = weights or default_weights()
    meta = spec.weights()
    if weights == "random":
        warnings.warn(
            f"{name} has random weights: it has learned nothing, so its dreams will be noise, not dogs",
            DreamWarning,
            stacklevel=2,
        )
        state = None
    else:
        state = fetch_imagenet_weights(name, meta.url) if weights == "imagenet" else load_state_file(name, weights)
    # Random weights are always the same draw (seed RANDOM_SEED), so the same settings make the same picture
    # (``--seed`` and ``dreamlib info`` promise that); and building never uses up the caller's random numbers.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(RANDOM_SEED)
        net = spec.build(state is None)
    for head in spec.aux:
        setattr(net, head, None)  # only used in training mode; no need to carry them
    if state is not None:
        state = {k: v for k, v in state.items() if k.split(".")[0] not in spec.aux}
        try:
            net.load_state_dict(state)
        except RuntimeError as exc:
            missing = net.state_dict().keys() - state.keys()
            unexpected = state.keys() - net.state_dict().keys()
            detail = f"{len(missing)} missing and {len(unexpected)} unexpected keys"
            if not missing and not unexpected:
                detail = str(exc).splitlines()[1].strip() if len(str(exc).splitlines()) > 1 else "shape mismatch"
            raise WeightsUnavailableError(f"weights {weights!r} do not fit {name}: {detail}") from None
    for p in net.parameters():
        p.requires_grad_(False)
    model = DreamModel(
        net,
        mean=spec.mean,
        std=spec.std,
        layers=spec.layers,
        min_size=spec.min_size,
        name=name,
        default_layer=spec.default_layer,
        categories=meta.meta["categories"],
        depth_layers=spec.depth_layers,
        weights=weights,
    )
    return model.to(resolve_device(device)).eval()
