"""compare_layers and show_grid (dreamlib/compare.py, lesson 05)."""

import torch

from dreamlib import compare_layers


def test_batched_comparison_equals_one_by_one(tiny, image):
    layers = ["0", "2", "4"]
    kw = dict(octaves=2, steps=3, progress=False)
    batched = compare_layers(tiny, image, layers, **kw)
    single = compare_layers(tiny, image, layers, batched=False, **kw)
    assert list(batched) == layers
    for layer in layers:
        assert batched[layer].shape == image.shape
        torch.testing.assert_close(batched[layer], single[layer], atol=1e-5, rtol=1e-4)
    assert not torch.allclose(batched["0"], batched["2"])  # different layers, different dreams


def test_batched_comparison_on_batchnorm_model_in_eval_mode(inception_random):
    x = torch.rand(1, 3, 90, 100)
    layers = ["Conv2d_4a_3x3", "Mixed_5b"]
    batched = compare_layers(inception_random, x, layers, octaves=1, steps=2, progress=False)
    single = compare_layers(inception_random, x, layers, batched=False, octaves=1, steps=2, progress=False)
    for layer in layers:  # equal up to float rounding (batched convolutions sum in another order)
        diff = (batched[layer] - single[layer]).abs()
        assert diff.max() < 1 / 255 and diff.mean() < 1e-5
