"""Vision transformers at any picture size: patches, tokens as maps, position tables (dreamlib/vit/tokens.py),
and every lesson function on a ViT."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

import dreamlib as dl
from dreamlib import vit
from tests.helpers import tiny_vit

BLOCK = "encoder.layers.encoder_layer_1"


def test_at_its_own_size_it_is_torchvisions_forward_exactly():
    net = tiny_vit()
    x = torch.rand(2, 3, 32, 32)
    assert torch.equal(vit.forward(net, x), net(x))
    assert vit.positions(net, 4, 4) is net.encoder.pos_embedding


def test_any_other_size_runs_on_whole_patches_with_an_interpolated_position_table():
    net = tiny_vit()
    model = dl.as_dream_model(net)
    for size in [(48, 48), (100, 70), (5, 9)]:
        assert model(torch.rand(1, 3, *size)).shape == (1, 5)
    assert vit.grid(net, 100, 70) == (12, 9) and vit.grid(net, 5, 9) == (1, 1)
    pos = vit.positions(net, 6, 3)
    assert pos.shape == (1, 1 + 18, 32)
    assert torch.equal(pos[:, 0], net.encoder.pos_embedding[:, 0])  # the class token's entry is kept
    # a table that is the same everywhere stays the same everywhere: it is resized like a picture
    flat = tiny_vit()
    flat.encoder.pos_embedding.data[:, 1:] = 0.25
    assert torch.allclose(vit.positions(flat, 7, 5)[:, 1:], torch.full((1, 35, 32), 0.25), atol=1e-6)
    # a picture of another size that is resized to whole patches keeps its gradient everywhere
    x = torch.rand(1, 3, 44, 52, requires_grad=True)
    dl.forward_until(model, x, BLOCK)[BLOCK].sum().backward()  # (its head starts at zero: read a block)
    assert (x.grad.abs().sum(1) > 0).float().mean() > 0.99
    with pytest.raises(dl.DreamError, match="not a vision transformer"):
        vit.grid(nn.Conv2d(3, 3, 1), 10, 10)


def test_objectives_read_tokens_as_a_map_of_patches_without_the_class_token():
    net = tiny_vit()
    model = dl.as_dream_model(net)
    x = torch.rand(2, 3, 40, 24)
    with dl.capture_activations(model, [BLOCK, f"{BLOCK}.self_attention"]) as raw:
        model(x)
    tokens = raw[BLOCK]
    assert tokens.shape == (2, 1 + 5 * 3, 32)  # the hook sees what torchvision computes: tokens
    assert isinstance(raw[f"{BLOCK}.self_attention"], tuple)
    acts = dl.forward_until(model, x, [BLOCK, f"{BLOCK}.self_attention", f"{BLOCK}.mlp.1"])
    by_hand = tokens[:, 1:].reshape(2, 5, 3, 32).permute(0, 3, 1, 2)
    assert torch.equal(acts[BLOCK], by_hand) and torch.equal(vit.token_grid(tokens, 5, 3), by_hand)
    assert acts[f"{BLOCK}.self_attention"].shape == (2, 32, 5, 3) and acts[f"{BLOCK}.mlp.1"].shape == (2, 64, 5, 3)
    # so a neuron is one channel at one patch
    score = dl.neuron(f"{BLOCK}.mlp.1", 7, 4, 2)(acts)
    assert torch.equal(score, acts[f"{BLOCK}.mlp.1"][:, 7, 4, 2])
    with pytest.raises(dl.DreamError, match=r"1 \+ 5\*3"):
        vit.token_grid(tokens[:, 1:], 5, 3)


@pytest.mark.parametrize("name", ["vit_b_16", "shapes_vit"])
def test_every_lesson_function_runs_a_vit_at_sizes_other_than_its_own(name, vit_b_16, tmp_path):
    """Issue 36: dream, render, accentuate, catalogue, zoom, dream_video and compare_layers, at 48 px and
    at a size that is not square and not whole patches, with no raw error."""
    from dreamlib.video.frames import sample_clip

    model = vit_b_16 if name == "vit_b_16" else dl.load_model("shapes_vit")
    neurons = vit.neurons(2)
    for size in [(48, 48), (60, 84)]:
        photo = torch.rand(3, *size)
        dreamed = dl.dream(model, photo, neurons, octaves=2, steps=2, progress=False)
        assert dreamed.shape == (1, 3, *size) and not torch.equal(dreamed[0], photo)
        tiled = dl.dream(model, photo, neurons, octaves=1, steps=1, tile=32, progress=False)
        assert tiled.shape == (1, 3, *size)
        assert dl.render(model, dl.channel(neurons, 3), size=size[0], steps=2, progress=False).shape[-1] == size[0]
        acc = dl.accentuate(model, photo, dl.channel(neurons, 3), steps=2, progress=False)
        assert acc.image.shape[-2:] == size
    frames = dl.zoom(model, torch.rand(3, 40, 56), frames=2, layer=neurons, steps=1, octaves=1, progress=False)
    assert len(frames) == 2 and frames[0].shape[-2:] == (40, 56)
    both = dl.compare_layers(model, torch.rand(1, 3, 50, 50), list(model.depth_layers[:2]), steps=1, octaves=1)
    assert all(d.shape == (1, 3, 50, 50) for d in both.values())
    entries = dl.catalogue(
        model,
        neurons,
        channels=[0, 1],
        images=torch.rand(6, 3, 40, 40),
        top=2,
        size=40,
        steps=2,
        progress=False,
        maco=False,
        accentuate=False,
    )
    assert len(entries) == 2
    images, _, parts = dl.shapes.make_batch(8, torch.Generator().manual_seed(0), size=40, parts=True)
    units = dl.forward_until(model, images[:1], neurons)[neurons].shape[1]  # the MLP's hidden width
    assert len(dl.dissect(model, neurons, images, parts)) == units
    clip = sample_clip(tmp_path / "pan.mp4", frames=3, fps=5, size=(56, 40))
    dl.dream_video(model, clip, tmp_path / "out.mp4", neurons, steps=1, first_steps=1, octaves=1, progress=False)
    assert (tmp_path / "out.mp4").stat().st_size > 0


def test_a_faster_vit_dreams_the_same_kind_of_picture():
    model = dl.load_model("shapes_vit")
    photo = torch.rand(3, 56, 56)
    plain = dl.dream(model, photo, octaves=1, steps=3, seed=0, progress=False)
    fast = dl.dream(dl.faster(model, "bf16"), photo, octaves=1, steps=3, seed=0, progress=False)
    assert (plain - fast).abs().mean() < 0.01


def test_a_vit_on_another_device_takes_pictures_from_the_cpu():
    """The Colab path: the model on a GPU, pictures on the CPU (here the 'meta' device stands in for the GPU)."""
    model = dl.as_dream_model(tiny_vit()).to("meta")
    out = model(torch.rand(2, 3, 40, 56))
    assert out.device.type == "meta" and out.shape == (2, 5)
    acts = dl.forward_until(model, torch.rand(1, 3, 40, 56), vit.neurons(1))
    assert acts[vit.neurons(1)].shape == (1, 64, 5, 7)


def test_vit_b_16_loads_torchvisions_imagenet_file_from_the_cache_and_falls_back_offline(tmp_path, monkeypatch, capsys):
    from tests.helpers import seed_weights_cache

    torch.manual_seed(1)
    state = torchvision.models.vit_b_16().state_dict()
    seed_weights_cache(monkeypatch, tmp_path, "vit_b_16", state)
    model = dl.load_model("vit_b_16", device="cpu", fallback="shapes_vit")
    assert (model.name, model.weights) == ("vit_b_16", "imagenet") and capsys.readouterr().err == ""
    assert torch.equal(model.net.encoder.pos_embedding, state["encoder.pos_embedding"])
    assert len(model.categories) == 1000 and model.min_size == 16
    monkeypatch.setenv("DREAMLIB_OFFLINE", "1")
    offline = dl.load_model("vit_b_16", device="cpu", fallback="shapes_vit")
    assert offline.name == "shapes_vit" and "continuing on the trained 'shapes_vit' model" in capsys.readouterr().err


def test_the_command_line_dreams_and_renders_with_a_vit_at_any_size(capsys, photo, tmp_path):
    from tests.helpers import run_cli

    out = tmp_path / "vit.png"
    code, _, err = run_cli(capsys, "dream", photo, "-o", out, "--model", "shapes_vit", "--steps", "1", "--octaves", "2")
    assert code == 0, err
    from PIL import Image

    assert Image.open(out).size == (120, 90)  # the photo's own size, not the network's 48
    code, _, err = run_cli(
        capsys,
        "render",
        "--model",
        "vit_b_16",
        "--weights",
        "random",
        "--size",
        "40",
        "--steps",
        "2",
        "--layer",
        "encoder.layers.encoder_layer_2.mlp.1",
        "-o",
        tmp_path / "r.png",
    )
    assert code == 0, err
    assert Image.open(tmp_path / "r.png").size == (40, 40)
    code, _, err = run_cli(capsys, "dream", photo, "-o", tmp_path / "x.png", "--model", "shapes_vit", "--layer", "blk")
    assert code == 2 and err.strip().splitlines()[-1].startswith("error: unknown layer 'blk' for shapes_vit")
