"""Models: loading, wrapping, layers, fallback (dreamlib/models.py, lessons 01-02)."""

import dataclasses
import warnings
from types import SimpleNamespace

import pytest
import torch
import torchvision

import dreamlib
from dreamlib.models import MODELS
from tests.helpers import seed_weights_cache


def _random(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dreamlib.DreamWarning)
        return dreamlib.load_model(name, weights="random", device="cpu")


@pytest.mark.parametrize(
    "name, first, default, last",
    [
        ("inception_v3", "Conv2d_1a_3x3", "Mixed_6c", "Mixed_7c"),
        ("googlenet", "conv1", "inception4c", "inception5b"),
        ("vgg16", "features.0", "features.22", "features.30"),
        ("resnet50", "conv1", "layer3", "layer4.2"),
        ("vit_b_16", "conv_proj", "encoder.layers.encoder_layer_6.mlp.1", "encoder.ln"),
    ],
)
def test_every_model_lists_real_layers(name, first, default, last):
    model = _random(name)
    assert model.layers[0] == first and model.layers[-1] == last and model.default_layer == default
    for layer in model.layers:
        model.module(layer)  # every listed name is a real submodule
    assert not model.training
    assert all(not p.requires_grad for p in model.parameters())
    assert len(model.categories) == 1000
    out = model(torch.rand(1, 3, model.min_size, model.min_size))
    assert out.shape == (1, 1000)


def test_random_weights_warn_in_one_line():
    with pytest.warns(dreamlib.DreamWarning, match="random weights") as record:
        dreamlib.load_model("googlenet", weights="random", device="cpu")
    assert "\n" not in str(record[0].message)


def test_env_variable_sets_the_default_weights(monkeypatch):
    monkeypatch.setenv("DREAMLIB_WEIGHTS", "random")
    with pytest.warns(dreamlib.DreamWarning, match="random weights"):
        dreamlib.load_model("googlenet", device="cpu")


def test_unknown_model_names_the_choices():
    with pytest.raises(
        dreamlib.DreamError,
        match="googlenet, inception_v3, resnet50, shapes, shapes_dreamer, shapes_vit, vgg16, vit_b_16",
    ):
        dreamlib.load_model("alexnet", weights="random")


def test_unknown_layer_names_the_valid_layers(inception_random):
    with pytest.raises(dreamlib.DreamError, match="Mixed_5b.*Mixed_7c"):
        inception_random.module("Mixed_9z")


def test_device_and_precision_choices():
    cpu = torch.device("cpu")
    assert dreamlib.resolve_device("cpu") == cpu
    assert dreamlib.resolve_precision("fp32", cpu) == "fp32"
    assert dreamlib.resolve_precision("auto", cpu) in {"fp32", "bf16"}
    with pytest.raises(dreamlib.DreamError, match="auto, fp32, bf16"):
        dreamlib.resolve_precision("fp8", cpu)
    with pytest.raises(dreamlib.DreamError, match="use auto, cpu"):
        dreamlib.resolve_device("tpu")


def _unreachable_googlenet(tmp_path, monkeypatch):
    """An empty TORCH_HOME and a download address where nothing listens: what an offline classroom sees."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    real = MODELS["googlenet"].weights()
    fake = SimpleNamespace(url="http://127.0.0.1:9/models/googlenet-1378be20.pth", meta=real.meta)
    monkeypatch.setitem(MODELS, "googlenet", dataclasses.replace(MODELS["googlenet"], weights=lambda: fake))


def test_fallback_announces_itself_in_one_line_and_gives_the_trained_model(tmp_path, monkeypatch, capsys):
    _unreachable_googlenet(tmp_path, monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error", dreamlib.DreamWarning)  # no random weights anywhere on this path
        model = dreamlib.load_model("googlenet", device="cpu", fallback="shapes")
    assert (model.name, model.weights) == ("shapes", "shipped")
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "googlenet" in err and "'shapes'" in err and str(tmp_path) in err
    assert dreamlib.shapes.accuracy(model, n=120) > 0.8  # trained, not random


def test_explicit_weights_never_fall_back(tmp_path, monkeypatch):
    _unreachable_googlenet(tmp_path, monkeypatch)
    with pytest.raises(dreamlib.WeightsUnavailableError):
        dreamlib.load_model("googlenet", weights="imagenet", device="cpu", fallback="shapes")
    monkeypatch.setenv("DREAMLIB_WEIGHTS", "imagenet")  # chosen through the environment: also explicit
    with pytest.raises(dreamlib.WeightsUnavailableError):
        dreamlib.load_model("googlenet", device="cpu", fallback="shapes")


def test_fallback_uses_cached_imagenet_weights_when_present(tmp_path, monkeypatch, capsys):
    seed_weights_cache(
        monkeypatch,
        tmp_path,
        "googlenet",
        torchvision.models.googlenet(weights=None, aux_logits=True, init_weights=True).state_dict(),
    )
    model = dreamlib.load_model("googlenet", device="cpu", fallback="shapes")
    assert (model.name, model.weights) == ("googlenet", "imagenet")
    assert capsys.readouterr().err == ""


def test_offline_switch_takes_the_fallback_without_touching_cache_or_network(monkeypatch, capsys):
    monkeypatch.setenv("DREAMLIB_OFFLINE", "1")

    def no_network(*args, **kwargs):
        raise AssertionError("DREAMLIB_OFFLINE=1 must not look for ImageNet weights")

    monkeypatch.setattr(dreamlib.models, "fetch_imagenet_weights", no_network)
    model = dreamlib.load_model("inception_v3", device="cpu", fallback="shapes")
    assert model.name == "shapes" and "DREAMLIB_OFFLINE" in capsys.readouterr().err
    with pytest.raises(dreamlib.DreamError, match="unknown fallback model 'nope'"):
        dreamlib.load_model("inception_v3", device="cpu", fallback="nope")


def test_every_shipped_shapes_twin_loads_by_name_offline(monkeypatch):
    """ "shipped", "skewed" (lesson 11) and "ordinary" (lessons 10 and 12) come from the package, never the network."""
    monkeypatch.setenv("DREAMLIB_OFFLINE", "1")
    monkeypatch.setenv("DREAMLIB_WEIGHTS", "random")  # does not apply to shapes

    def no_network(*args, **kwargs):
        raise AssertionError("the shapes weights ship with dreamlib")

    monkeypatch.setattr(dreamlib.models, "fetch_imagenet_weights", no_network)
    states = []
    for weights in ("shipped", "skewed", "ordinary"):
        model = dreamlib.load_model("shapes", weights=weights, device="cpu")
        assert (model.name, model.weights) == ("shapes", weights)
        states.append(model.net.state_dict()["fc.weight"])
    assert not torch.equal(states[0], states[2]) and not torch.equal(states[1], states[2])


@pytest.mark.parametrize("name", ["inception_v3", "googlenet", "vgg16", "resnet50", "vit_b_16"])
def test_depth_layers_are_real_layers_shallow_to_deep(name):
    spec = MODELS[name]
    assert len(spec.depth_layers) == 4
    positions = [spec.layers.index(layer) for layer in spec.depth_layers]
    assert positions == sorted(positions) and len(set(positions)) == 4


def test_random_weights_are_one_fixed_draw_that_leaves_the_callers_random_numbers_alone():
    # the same settings must make the same picture (--seed, `dreamlib info`), also with --weights random
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dreamlib.DreamWarning)
        torch.manual_seed(0)
        expected = torch.rand(3)
        torch.manual_seed(0)
        a = dreamlib.load_model("googlenet", weights="random", device="cpu")
        assert torch.equal(torch.rand(3), expected)  # building drew nothing from torch's global generator
        torch.manual_seed(123)
        b = dreamlib.load_model("googlenet", weights="random", device="cpu")
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(x, y), name


def test_the_registry_lists_every_model_and_takes_your_own():
    shipped = ["shapes", "shapes_dreamer", "shapes_vit"]
    assert dreamlib.list_models() == dreamlib.available_models() == sorted([*MODELS, *shipped])
    from dreamlib import models

    def load(weights=None, device="auto"):
        return dreamlib.as_dream_model(torch.nn.Sequential(torch.nn.Conv2d(3, 2, 3), torch.nn.ReLU()))

    try:
        models.register_model("mine", layers=("0", "1"), default_layer="1", recipe=dreamlib.Recipe(steps=3))(load)
        assert "mine" in dreamlib.list_models() and models.model_layers("mine") == (("0", "1"), "1")
        assert models.model_recipe("mine") == dreamlib.Recipe(steps=3)  # for the command line, without building
        assert dreamlib.load_model("mine").recipe == dreamlib.Recipe(steps=3)  # and the loaded model carries it
        assert "1" in dreamlib.load_model("mine").layers  # load_model calls the registered loader
        with pytest.raises(dreamlib.DreamError, match="already registered"):
            models.register_model("mine", layers=("0",), default_layer="0")(load)

        def load_other(weights=None, device="auto"):  # a loader whose model says otherwise than its registration
            model = load(weights, device)
            model.recipe = dreamlib.Recipe(steps=5)
            return model

        models.register_model("other", layers=("0", "1"), default_layer="1", recipe=dreamlib.Recipe(steps=3))(
            load_other
        )
        with pytest.raises(dreamlib.DreamError, match="the loader of 'other' gives its model another recipe"):
            dreamlib.load_model("other")
    finally:
        models._REGISTRY.pop("mine", None)
        models._REGISTRY.pop("other", None)
    with pytest.raises(dreamlib.DreamError, match="not among its layers"):
        models.register_model("other", layers=("0",), default_layer="9")
    with pytest.raises(dreamlib.DreamError, match="a model's recipe sets only .*; it sets seed"):
        models.register_model("other", layers=("0",), default_layer="0", recipe=dreamlib.Recipe(seed=0))
    assert "mine" not in dreamlib.list_models()
