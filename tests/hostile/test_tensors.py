"""Tensors and models from the Python API: every dtype and value range handled or refused in one line.

uint8 images (what ``torchvision.io.read_image`` returns) are scaled; float images must be in [0, 1]
(the same rule for tensors and numpy arrays); NaN and inf never pass silently, in or out; a model in
float64 or half precision dreams like a float32 one.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import dreamlib
from tests.helpers import tiny_net


def _photo() -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return torch.rand(1, 3, 40, 48, generator=g)


def test_uint8_tensors_are_scaled_not_clamped_to_white():
    floats = (_photo() * 255).round() / 255
    as_uint8 = (floats * 255).round().to(torch.uint8)
    torch.testing.assert_close(dreamlib.load_image(as_uint8), floats)
    torch.testing.assert_close(dreamlib.load_image(as_uint8[0]), floats)  # (3, H, W) as read_image gives it
    model = dreamlib.as_dream_model(tiny_net())
    out = dreamlib.dream(model, as_uint8, "2", octaves=1, steps=1, lr=0.001, jitter=0, progress=False)
    assert out.dtype == torch.float32 and (out - floats).abs().mean() < 0.01  # one small step from the photo


@pytest.mark.skipif(not hasattr(torch, "uint16"), reason="this torch has no uint16 tensors")
def test_uint16_tensors_are_scaled():
    t = torch.full((1, 3, 4, 4), 65535, dtype=torch.int32).to(torch.uint16)
    assert dreamlib.load_image(t).min() == 1.0


@pytest.mark.parametrize(
    "values, hint",
    [
        (lambda x: x * 255, "divide by 255"),
        (lambda x: (x - 0.45) / 0.225, "before normalisation"),
        (lambda x: x * 1.5, "clamp"),
    ],
)
def test_out_of_range_floats_are_refused_the_same_way_as_tensor_or_array(values, hint):
    bad = values(_photo())
    for source in (bad, bad[0].permute(1, 2, 0).numpy()):
        with pytest.raises(dreamlib.ImageLoadError, match=hint) as info:
            dreamlib.load_image(source)
        assert "[0, 1]" in str(info.value)
    with pytest.raises(dreamlib.ImageLoadError, match=hint):
        dreamlib.dream(dreamlib.as_dream_model(tiny_net()), bad, "2", octaves=1, steps=1, progress=False)


def test_rounding_overshoot_is_clamped_not_refused():
    x = _photo()
    x[0, 0, 0, 0], x[0, 1, 0, 0] = 1.004, -0.003
    t = dreamlib.load_image(x)
    assert t.max() == 1.0 and t.min() >= 0.0
    assert dreamlib.load_image(x[0].permute(1, 2, 0).numpy()).shape == (1, 3, 40, 48)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_nan_and_inf_pixels_are_refused(bad):
    x = _photo()
    x[0, 1, 3, 4] = bad
    for source in (x, x[0].permute(1, 2, 0).numpy()):
        with pytest.raises(dreamlib.ImageLoadError, match="NaN or infinite"):
            dreamlib.load_image(source)
    with pytest.raises(dreamlib.ImageLoadError, match="NaN or infinite"):
        dreamlib.dream(dreamlib.as_dream_model(tiny_net()), x, "2", octaves=1, steps=1, progress=False)


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.bool])
def test_other_integer_tensors_are_refused_with_the_valid_dtypes(dtype):
    with pytest.raises(dreamlib.ImageLoadError, match="uint8") as info:
        dreamlib.load_image(torch.ones(1, 3, 8, 8, dtype=dtype))
    assert "float in [0, 1]" in str(info.value)
    with pytest.raises(dreamlib.ImageLoadError, match="unsupported array dtype"):
        dreamlib.load_image(np.ones((8, 8, 3), dtype=np.int64))


class _Blows(nn.Module):
    """Passes its input through for the first ``after`` calls, then returns NaN: a layer that diverges mid-dream."""

    def __init__(self, after: int):
        super().__init__()
        self.calls, self.after = 0, after

    def forward(self, x):
        self.calls += 1
        return x * float("nan") if self.calls > self.after else x


def _diverging(after: int) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3), _Blows(after))


@pytest.mark.parametrize("after", [0, 3])
def test_a_model_that_produces_nan_never_yields_a_nan_dream(after):
    with pytest.raises(dreamlib.NonFiniteError, match="NaN or infinite"):
        dreamlib.dream(_diverging(after), _photo(), "1", octaves=2, steps=3, progress=False)
    with pytest.raises(dreamlib.NonFiniteError):
        dreamlib.zoom(_diverging(after), _photo(), frames=2, layer="1", steps=2, progress=False)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.bfloat16])
def test_models_in_other_precisions_dream_and_capture(dtype):
    torch.manual_seed(0)
    net = tiny_net().to(dtype)
    x = _photo()
    out = dreamlib.dream(net, x, "2", octaves=2, steps=2, progress=False)
    assert out.dtype == torch.float32 and out.shape == x.shape and torch.isfinite(out).all()
    assert (out - x).abs().max() > 0  # it did dream
    tiled = dreamlib.dream(net, x, "2", octaves=1, steps=1, tile=24, progress=False)
    assert torch.isfinite(tiled).all()
    with dreamlib.capture_activations(net, ["0", "2"]) as acts:
        net(x)
    assert set(acts) == {"0", "2"} and all(torch.isfinite(a.float()).all() for a in acts.values())
    guided = dreamlib.dream(net, x, objective=dreamlib.guide(net, x.flip(-1), "2"), octaves=1, steps=1, progress=False)
    assert torch.isfinite(guided).all()
