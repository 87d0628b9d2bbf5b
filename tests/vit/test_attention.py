"""Where the class token looks (dreamlib/vit/attention.py)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import dreamlib as dl
from dreamlib import vit
from tests.helpers import tiny_vit

BLOCK = "encoder.layers.encoder_layer_1"


def test_attention_maps_say_where_the_class_token_looks():
    net = tiny_vit()
    maps = vit.attention_maps(net, torch.rand(3, 3, 48, 32), BLOCK)
    assert maps.shape == (3, 6, 4) and (maps >= 0).all() and (maps.flatten(1).sum(1) <= 1 + 1e-5).all()
    # by hand: the block's attention run on its own input, asking for the weights
    model = dl.as_dream_model(net)
    with dl.capture_activations(model, f"{BLOCK}.ln_1") as acts:
        model(torch.ones(1, 3, 32, 32))
    x = acts[f"{BLOCK}.ln_1"]
    weights = net.encoder.layers.encoder_layer_1.self_attention(x, x, x, need_weights=True)[1]
    assert torch.allclose(vit.attention_maps(net, torch.ones(1, 3, 32, 32), BLOCK)[0], weights[0, 0, 1:].view(4, 4))
    with pytest.raises(dl.DreamError, match="unknown block 'nope'; valid blocks: encoder.layers.encoder_layer_0"):
        vit.attention_maps(net, torch.rand(1, 3, 32, 32), "nope")
    with pytest.raises(dl.DreamError, match="not a vision transformer"):
        vit.attention_maps(nn.Conv2d(3, 3, 1), torch.rand(1, 3, 32, 32), "conv")
