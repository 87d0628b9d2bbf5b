"""Shared fixtures: a tiny network, a random image, a photo file, random-weight InceptionV3; no env leaks.

``pytest tests notebooks --precision fp32`` (or ``bf16``) runs the whole suite, lessons included, with
``precision="auto"`` meaning that precision (it sets ``DREAMLIB_PRECISION`` for the run and the lessons' kernels),
whatever this CPU's probe would pick: ``auto`` picks bf16 on CPUs with AMX or AVX512-BF16 and fp32 on AVX2-only ones.
Only a ``dl.faster`` model runs in that precision; a model as built runs in its own dtype. Tests whose numbers
depend on the arithmetic take the ``run_as`` fixture and run both ways on every machine: on the network as built,
then on ``dl.faster(model, "bf16")``.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

import dreamlib
from tests.helpers import tiny_net


def pytest_addoption(parser):
    parser.addoption(
        "--precision",
        choices=("auto", "fp32", "bf16"),
        help="what precision='auto' means in this run, lessons included (sets DREAMLIB_PRECISION); "
        "default: the environment's, else this machine's probe",
    )


def pytest_configure(config):
    if config.getoption("--precision"):
        os.environ["DREAMLIB_PRECISION"] = config.getoption("--precision")  # the lessons' kernels inherit it


def pytest_report_header(config):
    return f"DREAMLIB_PRECISION: {os.environ.get('DREAMLIB_PRECISION') or 'unset (auto: the probe decides)'}"


@pytest.fixture(params=["fp32", "bf16"])
def both_precisions(request, monkeypatch):
    """The test runs twice: with ``precision="auto"`` meaning fp32, then bf16, on any CPU."""
    monkeypatch.setenv("DREAMLIB_PRECISION", request.param)
    return request.param


@pytest.fixture(params=["as built", "faster bf16"])
def run_as(request):
    """The test runs twice: on the model as built (the lessons' path), then on ``dl.faster(model, "bf16")``."""
    if request.param == "as built":
        return lambda model: model
    return lambda model: dreamlib.faster(model, "bf16")


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
