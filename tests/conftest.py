"""Shared fixtures: small models whose features are known by construction, and random-weight models."""

from __future__ import annotations

import http.server
import threading
from contextlib import contextmanager

import warnings

import pytest
import torch
from torch import nn

import dreamlib


@pytest.fixture(autouse=True)
def _no_env_leaks(monkeypatch):
    """Tests choose their weights explicitly; DREAMLIB_WEIGHTS/QUICK/OFFLINE (make test sets OFFLINE) must not change them."""
    for name in ("DREAMLIB_WEIGHTS", "DREAMLIB_QUICK", "DREAMLIB_OFFLINE"):
        monkeypatch.delenv(name, raising=False)


def edge_model(orientation: str = "vertical") -> nn.Sequential:
    """A one-filter network: a fixed Sobel edge detector on grey levels, then ReLU.

    ``vertical`` responds to left-to-right brightness steps (vertical edges),
    ``horizontal`` to top-to-bottom steps. Nothing is learned: we know exactly
    what it "sees", so we can check that dreaming draws exactly that.
    """
    sobel = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    kernel = sobel if orientation == "vertical" else sobel.T
    conv = nn.Conv2d(3, 1, 3, padding=1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(kernel.expand(1, 3, 3, 3) / 3.0)
    return nn.Sequential(conv, nn.ReLU(), nn.AvgPool2d(2), nn.Conv2d(1, 2, 1))


def tiny_net() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1, stride=2), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4),
    )


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


def two_edge_model() -> nn.Sequential:
    """Channel 0 detects vertical edges, channel 1 horizontal edges (fixed Sobel filters, then ReLU)."""
    sobel = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    conv = nn.Conv2d(3, 2, 3, padding=1, bias=False)
    with torch.no_grad():
        conv.weight[0] = sobel.expand(3, 3, 3) / 3.0
        conv.weight[1] = sobel.T.expand(3, 3, 3) / 3.0
    return nn.Sequential(conv, nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2, 3))


def edge_energy(img: torch.Tensor) -> tuple[float, float]:
    """(vertical, horizontal) edge strength: mean |left-right| and |top-bottom| grey-level steps."""
    grey = img.mean(1)
    return (grey[..., :, 1:] - grey[..., :, :-1]).abs().mean().item(), (grey[..., 1:, :] - grey[..., :-1, :]).abs().mean().item()


def seed_weights_cache(monkeypatch, tmp_path, name: str, state: dict):
    """Pre-seed ``$TORCH_HOME`` the way torch hub would: the file named ``<name>-<sha256[:8]>.pth``.

    A state dict we make ourselves cannot have torchvision's hash, so the model's weights URL is
    pointed at a file name carrying *this* file's hash; the cache check then passes as for a real copy.
    Returns the cached path.
    """
    import dataclasses
    import hashlib
    import io
    from types import SimpleNamespace

    from dreamlib.models import MODELS, weights_cache_path

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    buffer = io.BytesIO()
    torch.save(state, buffer)
    data = buffer.getvalue()
    real = MODELS[name].weights()
    fake = SimpleNamespace(url=f"https://download.pytorch.org/models/{name}-{hashlib.sha256(data).hexdigest()[:8]}.pth",
                           meta=real.meta)
    monkeypatch.setitem(MODELS, name, dataclasses.replace(MODELS[name], weights=lambda: fake))
    path = weights_cache_path(fake.url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def run_cli(capsys, *argv):
    """Run the ``dreamlib`` command line in-process: (exit code, stdout, stderr); arguments may be paths."""
    from dreamlib.cli import main

    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@contextmanager
def local_server(handler):
    """Serve ``handler`` on 127.0.0.1 (a free port) in a thread; yields ``http://127.0.0.1:PORT``."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
