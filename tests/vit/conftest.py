"""A random-weight ViT-B/16, built once for the tests of dreamlib/vit (nothing downloaded)."""

import warnings

import pytest

import dreamlib as dl


@pytest.fixture(scope="session")
def vit_b_16():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dl.DreamWarning)
        return dl.load_model("vit_b_16", weights="random", device="cpu")
