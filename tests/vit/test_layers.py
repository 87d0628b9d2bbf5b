"""Layer names of a vision transformer: blocks, attention, MLP neurons (dreamlib/vit/layers.py)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import dreamlib as dl
from dreamlib import vit
from tests.helpers import tiny_vit

BLOCK = "encoder.layers.encoder_layer_1"


def test_layers_are_named_for_blocks_attention_and_mlp_and_bad_names_are_one_line(vit_b_16):
    names = vit.layers(vit_b_16.net)
    assert len(names) == 1 + 12 * 4 + 1 and names == vit_b_16.layers == dl.models.model_layers("vit_b_16")[0]
    modules = dict(vit_b_16.net.named_modules())
    assert all(name in modules for name in names)
    assert isinstance(modules[vit.neurons(6)], nn.GELU) and vit_b_16.default_layer == vit.neurons(6)
    assert names[1:5] == tuple(
        f"encoder.layers.encoder_layer_0{part}" for part in (".self_attention", ".mlp.1", ".mlp", "")
    )
    assert dl.as_dream_model(tiny_vit()).layers == vit.layer_names(2)  # any torchvision ViT gets them too
    with pytest.raises(dl.DreamError, match="unknown layer 'encoder.layers.encoder_layer_12'.*valid layers: conv_proj"):
        dl.dream(vit_b_16, torch.rand(1, 3, 48, 48), "encoder.layers.encoder_layer_12", progress=False)
