"""The networks a lesson can load by name: a registry, and torchvision's ImageNet classifiers in it.

:func:`load_model` looks a name up in the registry (:func:`list_models`) and calls its loader: torchvision's
InceptionV3, GoogLeNet, VGG16, ResNet-50 and the vision transformer ViT-B/16 with their ImageNet weights (through the
torch hub cache), and ``"shapes"``, ``"shapes_dreamer"`` and ``"shapes_vit"``, the small CNNs and transformer that
ship with dreamlib (:mod:`dreamlib.shapes`). :func:`register_model` adds
your own, as torchvision's ``register_model`` does. Each returns a :class:`dreamlib.DreamModel`
(:mod:`dreamlib.dream_model`), the network with its own preprocessing. Taught in notebook 01.
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from . import vit
from .config import OFFLINE_ENV, chosen_weights, default_weights, offline_mode
from .device import resolve_device
from .dream_model import DreamModel, as_dream_model, short_list, spread  # noqa: F401 (their old home, still valid)
from .errors import DreamError, DreamWarning, WeightsUnavailableError
from .io.weights import CorruptWeightsError, fetch_imagenet_weights, load_state_file, weights_cache_path
from .recipe import DEFAULT, Recipe, check_model_recipe
from .shapes import net as shapes_net
from .shapes import transformer as shapes_vit

RANDOM_SEED = 0  # the seed of weights="random": one fixed draw per architecture
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# torchvision's InceptionV3 and GoogLeNet weights (ported from the original papers' models) expect [-1, 1].
# torchvision reaches that with ``transform_input=True``; we normalise directly.
INCEPTION_MEAN = (0.5, 0.5, 0.5)
INCEPTION_STD = (0.5, 0.5, 0.5)


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


def _vit_b_16(init: bool) -> nn.Module:
    from torchvision.models import vit_b_16

    return vit_b_16(weights=None)


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
    "vit_b_16": ModelSpec(
        _vit_b_16,
        _weights("ViT_B_16_Weights"),
        layers=vit.layer_names(12),
        default_layer=vit.neurons(6),
        min_size=16,
        depth_layers=tuple(vit.neurons(i) for i in (2, 5, 8, 11)),
        mean=IMAGENET_MEAN,
        std=IMAGENET_STD,
    ),
}


@dataclass(frozen=True)
class Registered:
    """A model :func:`load_model` knows by name: how to load it and its layers, without building it."""

    load: Callable[..., DreamModel]  # load(weights, device) -> DreamModel
    layers: tuple[str, ...]
    default_layer: str
    imagenet: bool = False  # its weights are torchvision's ImageNet download (so ``fallback=`` applies)
    recipe: Recipe = DEFAULT  # the settings it dreams best with (DreamModel.recipe), for the command line's help


_REGISTRY: dict[str, Registered] = {}


def register_model(
    name: str, *, layers: Sequence[str], default_layer: str, imagenet: bool = False, recipe: Recipe | None = None
):
    """Register a loader under ``name``: ``@register_model("mine", layers=..., default_layer=...)`` over a function
    ``load(weights=None, device="auto") -> DreamModel`` makes ``load_model("mine")`` call it, and lists it in
    :func:`list_models` (torchvision's ``register_model`` / ``list_models`` shape). ``recipe``: the dream settings
    the loaded model carries where they are not the defaults (:func:`load_model` sets its ``recipe``). Taught in
    notebook 09.
    """
    if not isinstance(name, str) or not name:
        raise DreamError(f"a model name must be a non-empty string, got {name!r}")
    if default_layer not in layers:
        raise DreamError(f"default layer {default_layer!r} of {name!r} is not among its layers")
    own = DEFAULT if recipe is None else check_model_recipe(recipe)

    def wrap(load: Callable[..., DreamModel]) -> Callable[..., DreamModel]:
        if name in _REGISTRY:
            raise DreamError(f"a model named {name!r} is already registered")
        _REGISTRY[name] = Registered(load, tuple(layers), default_layer, imagenet, own)
        return load

    return wrap


def list_models() -> list[str]:
    """Names :func:`load_model` accepts (the registry's). Taught in notebook 01."""
    return sorted(_REGISTRY)


def available_models() -> list[str]:
    """Names :func:`load_model` accepts: the same as :func:`list_models`. Taught in notebook 01."""
    return list_models()


def _registered(name: str) -> Registered:
    if not isinstance(name, str) or name not in _REGISTRY:
        raise DreamError(f"unknown model {name!r}; choose one of: {', '.join(list_models())}")
    return _REGISTRY[name]


def model_layers(name: str) -> tuple[tuple[str, ...], str]:
    """(dreamable layers, default layer) of a named model, without building it."""
    entry = _registered(name)
    return entry.layers, entry.default_layer


def model_recipe(name: str) -> Recipe:
    """The dream settings a named model carries (:attr:`DreamModel.recipe`), without building it. Notebook 04."""
    return _registered(name).recipe


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
    notebooks 10 and 12; ``$DREAMLIB_WEIGHTS`` does not apply to it). ``"shapes_dreamer"`` is the
    same network trained with twice the robustness budget for longer, whose photo dreams show whole faces
    (``make demo``'s offline dreamer, notebook 10). ``"shapes_vit"`` is
    its vision transformer sibling of notebook 20 (``"shipped"`` or ``"random"``), and
    ``"vit_b_16"`` torchvision's ViT-B/16, which dreams at any picture size
    (:mod:`dreamlib.vit`).

    ``fallback`` (e.g. ``"shapes"``): when no weights were chosen (neither
    ``weights=`` nor ``$DREAMLIB_WEIGHTS``) and the ImageNet weights can be
    neither found in the cache nor downloaded, print one line saying so and
    return this model instead. The lessons use it so that they run in a
    classroom without internet on a *trained* network; an explicit
    ``weights="imagenet"`` never falls back. ``$DREAMLIB_OFFLINE=1`` takes the
    fallback at once (``make test`` sets it). Taught in notebook 01.
    """
    entry = _registered(name)
    if fallback is not None and weights is None and chosen_weights() is None and entry.imagenet:
        if fallback not in _REGISTRY:
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
    model = entry.load(weights, device)
    if entry.recipe != DEFAULT:  # the registry states a model's own settings once; the loaded model carries them
        if getattr(model, "recipe", DEFAULT) not in (DEFAULT, entry.recipe):
            raise DreamError(f"the loader of {name!r} gives its model another recipe than register_model's")
        model.recipe = entry.recipe
    return model


def _load_imagenet(name: str, weights: str | None = None, device: str = "auto") -> DreamModel:
    """One of torchvision's ImageNet classifiers (:data:`MODELS`), as :func:`load_model` describes."""
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


for _name, _spec in MODELS.items():
    register_model(_name, layers=_spec.layers, default_layer=_spec.default_layer, imagenet=True)(
        functools.partial(_load_imagenet, _name)
    )
register_model("shapes", layers=shapes_net.LAYERS, default_layer=shapes_net.DEFAULT_LAYER)(shapes_net.load)
register_model(
    "shapes_dreamer",
    layers=shapes_net.LAYERS,
    default_layer=shapes_net.DREAMER_LAYER,
    recipe=shapes_net.DREAMER_DREAM,
)(shapes_net.load_dreamer)
register_model("shapes_vit", layers=shapes_vit.LAYERS, default_layer=shapes_vit.DEFAULT_LAYER)(shapes_vit.load)
