"""The weights cache: pre-seeded TORCH_HOME, failed downloads, local files (dreamlib/io/weights.py)."""

import dataclasses
import warnings
from types import SimpleNamespace

import pytest
import torch
import torchvision

import dreamlib
from dreamlib.io.weights import weights_cache_path
from dreamlib.models import MODELS
from tests.helpers import seed_weights_cache


def _random(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dreamlib.DreamWarning)
        return dreamlib.load_model(name, weights="random", device="cpu")


@pytest.mark.parametrize(
    "name, builder", [("inception_v3", torchvision.models.inception_v3), ("googlenet", torchvision.models.googlenet)]
)
def test_imagenet_weights_load_from_a_preseeded_torch_home(tmp_path, monkeypatch, name, builder):
    """The real torch-hub path, offline: seed TORCH_HOME with torchvision's file name and load it."""
    torch.manual_seed(0)
    reference = builder(weights=None, aux_logits=True, init_weights=True).eval()
    cached = seed_weights_cache(monkeypatch, tmp_path, name, reference.state_dict())
    url = MODELS[name].weights().url
    assert cached == weights_cache_path(url) == tmp_path / "hub" / "checkpoints" / url.rsplit("/", 1)[1]

    with warnings.catch_warnings():
        warnings.simplefilter("error", dreamlib.DreamWarning)  # no random-weights warning here
        model = dreamlib.load_model(name, weights="imagenet", device="cpu")
    torch.testing.assert_close(
        model.net.state_dict()[next(iter(model.net.state_dict()))], next(iter(reference.state_dict().values()))
    )
    # Our own [-1, 1] normalisation equals torchvision's transform_input=True on ImageNet-normalised input.
    reference.transform_input = True
    x = torch.rand(1, 3, 96, 96)
    imagenet_normalised = (x - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)) / torch.tensor(
        [0.229, 0.224, 0.225]
    ).view(1, 3, 1, 1)
    with torch.no_grad():
        ours, theirs = model(x), reference(imagenet_normalised)
    scale = theirs.abs().max()  # random-init logits are huge; compare relative to their size
    torch.testing.assert_close(ours / scale, theirs / scale, atol=1e-4, rtol=1e-3)


def test_failed_download_names_url_cache_path_and_offline_options(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    real = MODELS["googlenet"].weights()
    unreachable = "http://127.0.0.1:9/models/googlenet-1378be20.pth"  # nothing listens on port 9
    fake = SimpleNamespace(url=unreachable, meta=real.meta)
    monkeypatch.setitem(MODELS, "googlenet", dataclasses.replace(MODELS["googlenet"], weights=lambda: fake))
    with pytest.raises(dreamlib.WeightsUnavailableError) as info:
        dreamlib.load_model("googlenet", weights="imagenet", device="cpu")
    msg = str(info.value)
    assert unreachable in msg
    assert str(tmp_path / "hub" / "checkpoints" / "googlenet-1378be20.pth") in msg
    assert "weights='random'" in msg and "DREAMLIB_WEIGHTS" in msg and "\n" not in msg
    assert not (tmp_path / "hub" / "checkpoints" / "googlenet-1378be20.pth").exists()


def test_local_state_dict_loads_and_mismatch_is_explained(tmp_path):
    source = _random("googlenet")
    path = tmp_path / "mine.pth"
    torch.save(source.net.state_dict(), path)
    loaded = dreamlib.load_model("googlenet", weights=str(path), device="cpu")
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), source(x))
    torch.save(_random("vgg16").net.state_dict(), tmp_path / "vgg.pth")
    with pytest.raises(dreamlib.WeightsUnavailableError, match="do not fit googlenet: .* missing and .* unexpected"):
        dreamlib.load_model("googlenet", weights=str(tmp_path / "vgg.pth"))
    with pytest.raises(dreamlib.DreamError, match="neither 'imagenet', 'random' nor an existing .pth"):
        dreamlib.load_model("googlenet", weights=str(tmp_path / "missing.pth"))
