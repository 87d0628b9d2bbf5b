"""The checkers of lessons 04-05 (dreamlib/exercises/scales.py): octaves, receptive fields."""

import random

import pytest
import torch
from torch import nn

import dreamlib as dl
from dreamlib import exercises
from dreamlib.exercises import scales

# Lesson 04: the octave loop with detail re-injection


def test_octave_reference_is_what_dream_does():
    model, objective = dl.as_dream_model(exercises._shared._probe_net()), dl.layer_mean("3")
    image = torch.rand(1, 3, 24, 32, generator=torch.Generator().manual_seed(0))
    sizes = dl.octave_sizes(24, 32, 3, 1.4)
    ours = scales._octave_loop(model, image, objective, sizes, 3, random.Random(0))
    packaged = dl.dream(model, image, objective=objective, octaves=3, octave_scale=1.4, steps=3, seed=0,
                        precision="fp32", progress=False)
    assert torch.allclose(ours, packaged, atol=1e-6)


@pytest.mark.parametrize("what, layers", scales.RECEPTIVE_STACKS)
def test_receptive_field_formula_matches_a_real_network(what, layers):
    """Build the stack with all-ones weights; one output unit's gradient covers exactly its receptive field."""
    expected = dl.receptive_field_size(layers)
    net = nn.Sequential(*[nn.Conv2d(1, 1, k, s, bias=False) for k, s in layers])
    for conv in net:
        nn.init.ones_(conv.weight)
    x = torch.rand(1, 1, 2 * expected + 8, 2 * expected + 8, requires_grad=True)
    out = net(x)
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    rows, cols = x.grad[0, 0].ne(0).any(1).nonzero(), x.grad[0, 0].ne(0).any(0).nonzero()
    assert rows.max() - rows.min() + 1 == expected == cols.max() - cols.min() + 1


def test_inception_stem_receptive_field_is_31_pixels():
    assert dl.receptive_field_size(scales.INCEPTION_STEM) == 31
