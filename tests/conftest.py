"""Shared fixtures: a tiny network, a random image, a photo file, random-weight InceptionV3; no env leaks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from PIL import Image

import dreamlib
from tests.helpers import tiny_net


@pytest.fixture(autouse=True)
def _no_env_leaks(monkeypatch):
    """Tests choose their weights: DREAMLIB_WEIGHTS/QUICK/OFFLINE (make test sets OFFLINE) must not change them."""
    for name in ("DREAMLIB_WEIGHTS", "DREAMLIB_QUICK", "DREAMLIB_OFFLINE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def tiny():
    return tiny_net()


@pytest.fixture
def image():
    torch.manual_seed(1)
    return torch.rand(1, 3, 48, 64)


@pytest.fixture(scope="session")
def inception_random():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dreamlib.DreamWarning)
        return dreamlib.load_model("inception_v3", weights="random", device="cpu")


@pytest.fixture
def photo(tmp_path):
    """A small photo file (120x90 px) in the test's own folder."""
    path = tmp_path / "in.png"
    Image.new("RGB", (120, 90), (90, 120, 200)).save(path)
    return path


@pytest.fixture
def photos(tmp_path):
    """A folder of three small random photos and a text file."""
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a.png", "b.jpg", "c.png"):
        Image.fromarray(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8)).save(folder / name)
    (folder / "notes.txt").write_text("not an image")
    return folder
