"""Crafted image files, too-small guides, fixed-size networks and damaged weights caches.

Every file is generated in ``tmp_path``; each must give one DreamError line (CLI: ``error:``, exit 2,
nothing written), or a correct result where the input is valid.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
import torch
from PIL import Image, PngImagePlugin
from torch import nn

import dreamlib
from dreamlib.cli import main
from tests.helpers import seed_weights_cache


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(extra_chunk: bytes = b"", size=(20, 20)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format="PNG")
    data = buf.getvalue()
    return data[:33] + extra_chunk + data[33:]  # after the signature and IHDR


INFLATES_TOO_FAR = zlib.compress(b"a" * (PngImagePlugin.MAX_TEXT_CHUNK + 1024))

CRAFTED = {
    "ztxt_bomb.png": _png(_chunk(b"zTXt", b"Comment\0\0" + INFLATES_TOO_FAR)),
    "iccp_bomb.png": _png(_chunk(b"iCCP", b"icc\0\0" + INFLATES_TOO_FAR)),
    "bad_crc.png": _png(b"\0\0\0\x04tEXtab\0c\xde\xad\xbe\xef"),
    "truncated.png": _png()[:60],
    "empty.png": b"",
    "noise.jpg": bytes(range(256)) * 8,
    "png_header_only.png": b"\x89PNG\r\n\x1a\n",
    "zero_size.png": b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 0, 0, 8, 2, 0, 0, 0)),
}


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_crafted_image_files_are_one_line_errors(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(CRAFTED[name])
    with pytest.raises(dreamlib.ImageLoadError) as info:
        dreamlib.load_image(path)
    assert name in str(info.value) and "\n" not in str(info.value)


def test_crafted_file_on_the_cli_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "in.png"
    bad.write_bytes(CRAFTED["ztxt_bomb.png"])
    code = main(["dream", str(bad), "-o", str(tmp_path / "out.png"), "--model", "shapes", "-q"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: could not read image") and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png"]


def test_a_directory_is_not_an_image(tmp_path):
    with pytest.raises(dreamlib.ImageLoadError, match="no such image file"):
        dreamlib.load_image(tmp_path)


def test_guide_smaller_than_the_model_needs_names_the_size(tmp_path, capsys):
    model = dreamlib.load_model("shapes", device="cpu")
    with pytest.raises(dreamlib.DreamError, match=f"needs at least {model.min_size} px"):
        dreamlib.guide(model, torch.rand(1, 3, 8, 8), "conv2")
    tiny = tmp_path / "tiny.png"
    Image.new("RGB", (6, 6), (0, 0, 255)).save(tiny)
    photo = tmp_path / "photo.png"
    Image.new("RGB", (64, 64), (0, 255, 0)).save(photo)
    code = main(
        [
            "dream",
            str(photo),
            "-o",
            str(tmp_path / "out.png"),
            "--model",
            "shapes",
            "--guide",
            str(tiny),
            "--steps",
            "1",
            "-q",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "needs at least 16 px" in err and err.count("\n") == 1
    assert not (tmp_path / "out.png").exists()


def test_fixed_size_network_gets_a_message_naming_its_size():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 32 * 32, 5))
    with pytest.raises(dreamlib.DreamError, match="works at 32x32") as info:
        dreamlib.dream(
            net, torch.rand(1, 3, 48, 40), objective=dreamlib.class_logit(2), octaves=1, steps=1, progress=False
        )
    assert "fails on a 40x48 image" in str(info.value) and "\n" not in str(info.value)
    # Layers before the Linear one do not care about the size: the forward pass stops there.
    assert dreamlib.dream(net, torch.rand(1, 3, 48, 40), "1", octaves=2, steps=1, progress=False).shape == (
        1,
        3,
        48,
        40,
    )
    out = dreamlib.dream(
        net, torch.rand(1, 3, 32, 32), objective=dreamlib.class_logit(2), octaves=1, steps=2, progress=False
    )
    assert out.shape == (1, 3, 32, 32)  # at its own size it dreams


def test_errors_inside_a_users_network_pass_through():
    class Broken(nn.Module):
        def forward(self, x):
            raise RuntimeError("my own bug")

    with pytest.raises(RuntimeError, match="my own bug"):
        dreamlib.dream(
            Broken(), torch.rand(1, 3, 32, 32), objective=dreamlib.class_logit(0), octaves=1, steps=1, progress=False
        )


# --- the weights cache -----------------------------------------------------------------------------------


@pytest.fixture
def seeded(tmp_path, monkeypatch):
    state = {"weight": torch.arange(50_000, dtype=torch.float32)}
    return seed_weights_cache(monkeypatch, tmp_path, "googlenet", state)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_a_damaged_cache_file_is_named_with_the_fix(seeded, damage):
    data = seeded.read_bytes()
    seeded.write_bytes({"garbage": b"\0" * 1000, "truncated": data[: len(data) // 2], "empty": b""}[damage])
    with pytest.raises(dreamlib.WeightsUnavailableError) as info:
        dreamlib.load_model("googlenet", weights="imagenet", device="cpu")
    message = str(info.value)
    assert str(seeded) in message and "delete it" in message and "copy it again" in message and "\n" not in message


def test_damaged_cache_under_the_fallback_says_why(seeded, capsys):
    seeded.write_bytes(b"PK\x03\x04 half a zip")
    model = dreamlib.load_model("googlenet", device="cpu", fallback="shapes")
    err = capsys.readouterr().err
    assert model.name == "shapes" and str(seeded) in err and "damaged" in err and err.count("\n") == 1


def test_damaged_cache_on_the_cli(seeded, tmp_path, capsys):
    seeded.write_bytes(b"not a checkpoint")
    photo = tmp_path / "p.png"
    Image.new("RGB", (80, 80)).save(photo)
    code = main(
        [
            "dream",
            str(photo),
            "-o",
            str(tmp_path / "o.png"),
            "--model",
            "googlenet",
            "--weights",
            "imagenet",
            "--steps",
            "1",
            "-q",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: the cached weights file") and err.count("\n") == 1


@pytest.mark.parametrize("content", [b"", b"\0" * 64, b"PK\x03\x04garbage"])
def test_a_damaged_local_weights_file_is_one_line(tmp_path, content):
    path = tmp_path / "mine.pth"
    path.write_bytes(content)
    with pytest.raises(dreamlib.WeightsUnavailableError) as info:
        dreamlib.load_model("shapes", weights=str(path), device="cpu")
    assert str(path) in str(info.value) and "\n" not in str(info.value)
