"""Helpers the tests share: small models whose features are known by construction, and test plumbing.

Fixtures live in ``conftest.py``; these are plain functions, imported where needed.
"""

from __future__ import annotations

import http.server
import threading
from contextlib import contextmanager
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent  # the repository


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
        nn.Conv2d(3, 8, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(8, 8, 3, padding=1, stride=2),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8, 4),
    )


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
    return (grey[..., :, 1:] - grey[..., :, :-1]).abs().mean().item(), (
        grey[..., 1:, :] - grey[..., :-1, :]
    ).abs().mean().item()


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

    from dreamlib.io.weights import weights_cache_path
    from dreamlib.models import MODELS

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    buffer = io.BytesIO()
    torch.save(state, buffer)
    data = buffer.getvalue()
    real = MODELS[name].weights()
    fake = SimpleNamespace(
        url=f"https://download.pytorch.org/models/{name}-{hashlib.sha256(data).hexdigest()[:8]}.pth", meta=real.meta
    )
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
    httpd.daemon_threads = False  # server_close() waits for requests still being answered: nothing prints later,
    httpd.block_on_close = True  # into another test's captured output
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def random_bn_stats(model: nn.Module) -> None:
    """Give every BatchNorm non-trivial statistics, so folding has something to get wrong."""
    g = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.2)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(n, generator=g) * 0.1)


def count_bn(module: nn.Module) -> int:
    return sum(isinstance(x, nn.BatchNorm2d) for x in module.modules())


def stripes(vertical: bool, n: int = 4, size: int = 24, seed: int = 0) -> torch.Tensor:
    """``n`` grey stripe pictures (vertical or horizontal), random periods and brightness: known edge content."""
    g = torch.Generator().manual_seed(seed)
    period = 4 + torch.randint(4, (n, 1, 1), generator=g)
    coord = torch.arange(size).view(1, 1, size) if vertical else torch.arange(size).view(1, size, 1)
    wave = ((coord % period) < period // 2).float().expand(n, size, size)
    return wave[:, None].expand(n, 3, size, size) * (0.5 + 0.5 * torch.rand(n, 1, 1, 1, generator=g))


class PartDetector(nn.Module):
    """Channel ``j`` fires (up to 1) exactly where a pixel has colour ``colours[j]``: a detector of one part."""

    def __init__(self, colours: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("colours", colours)  # (parts, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        distance = (x[:, None] - self.colours[None, :, :, None, None]).abs().sum(2)  # (N, parts, H, W)
        return (1 - 10 * distance).relu()


def part_world(n: int = 40, size: int = 32, seed: int = 0):
    """Pictures whose parts have known colours, a network that detects each, and the pictures' part masks.

    Returns ``(model, images, masks, parts)``: part ``j`` (1..3) is drawn as a square in colour ``COLOURS[j]`` on
    grey noise; ``model.detect`` has one channel per part (channel ``j - 1`` detects part ``j``), ``model.pooled``
    is the same map at half resolution; the output classifies a picture by which part covers most of it.
    """
    g = torch.Generator().manual_seed(seed)
    colours = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    images = 0.3 + 0.2 * torch.rand(n, 3, size, size, generator=g)
    masks = torch.zeros(n, size, size, dtype=torch.long)
    for i in range(n):
        for j in range(3):  # each part in its own quarter of the picture
            s = int(torch.randint(3, 8, (1,), generator=g))
            big = s + 6 if j == i % 3 else s  # the picture's class: its biggest part
            y, x = (int(v) for v in torch.randint(0, size // 2 - big + 1, (2,), generator=g))
            y, x = y + size // 2 * (j // 2), x + size // 2 * (j % 2)
            images[i, :, y : y + big, x : x + big] = colours[j].view(3, 1, 1)
            masks[i, y : y + big, x : x + big] = j + 1
    model = nn.Sequential()
    model.add_module("detect", PartDetector(colours))
    model.add_module("pooled", nn.AvgPool2d(2))
    model.add_module("flat", nn.AdaptiveAvgPool2d(1))
    model.add_module("out", nn.Flatten())
    labels = torch.arange(n) % 3
    return model, images, masks, ("background", "red", "blue", "green"), labels


def tiny_vit(image_size: int = 32):
    """A random torchvision ViT small enough to test quickly: 8-px patches, two blocks of width 32."""
    import torchvision

    torch.manual_seed(0)
    net = torchvision.models.VisionTransformer(
        image_size=image_size, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64, num_classes=5
    )
    return net.eval().requires_grad_(False)
