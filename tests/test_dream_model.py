"""A network with its own preprocessing (dreamlib/dream_model.py, lessons 01-02)."""

import pytest
import torch

import dreamlib


def test_any_module_can_be_wrapped_with_its_normalisation(tiny, image):
    wrapped = dreamlib.as_dream_model(tiny, normalization=((0.5, 0.5, 0.5), (0.25, 0.25, 0.25)))
    assert "0" in wrapped.layers and wrapped.default_layer == wrapped.layers[-1]
    with torch.no_grad():
        torch.testing.assert_close(wrapped(image), tiny((image - 0.5) / 0.25))
        torch.testing.assert_close(wrapped.denormalize(wrapped.normalize(image)), image)
    assert dreamlib.as_dream_model(wrapped) is wrapped
    with pytest.raises(dreamlib.DreamError, match="Module"):
        dreamlib.as_dream_model("not a model")


def test_model_on_a_meta_device_reports_it():
    model = dreamlib.load_model("shapes", device="cpu").to("meta")
    assert model.device.type == "meta"


def test_the_unknown_layer_error_lists_the_valid_layers(tiny):
    wrapped = dreamlib.as_dream_model(tiny)
    with pytest.raises(dreamlib.DreamError, match="unknown layer|valid"):
        wrapped.module("nope")


def test_description_names_everything_init_sets_besides_network_and_normalisation(tiny):
    """A model made from another (dl.faster's) copies DreamModel.DESCRIPTION: it must name every such attribute."""
    model = dreamlib.DreamModel(tiny, mean=[0.5] * 3, std=[0.25] * 3, name="tiny", weights="random")
    plain = set(vars(torch.nn.Module()))
    assert set(vars(model)) - plain == set(dreamlib.DreamModel.DESCRIPTION)
    fast = dreamlib.faster(model)
    assert all(getattr(fast, key) == getattr(model, key) for key in dreamlib.DreamModel.DESCRIPTION)
