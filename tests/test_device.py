"""The model owns its device and dtype: CPU images work with a model anywhere, in any floating precision
(dreamlib/device.py names the device; every lesson function is checked here).

There is no GPU in CI, so the ``meta`` device stands in for CUDA: a meta tensor
mixed with a CPU tensor raises a device-mismatch error, just like cuda vs cpu.
Meta tensors hold no data, so a call may still stop where data is needed (``.item()``,
copying a result back to the CPU); those errors are told apart from device
mismatches, and hooks on every layer check that only meta tensors reach the network.
The ``cuda``-marked tests at the end run the real thing on a GPU machine: ``pytest -m cuda``.
"""

from __future__ import annotations

import random
from contextlib import contextmanager

import pytest
import torch
from PIL import Image

import dreamlib
from dreamlib import (
    ascent_step,
    capture_activations,
    compare_layers,
    dream,
    forward_until,
    guide,
    image_gradient,
    layer_mean,
    tensor_to_pil,
    tiled_gradient,
    zoom,
)
from dreamlib.fast import fast_model
from dreamlib.tiles import dream_step
from tests.helpers import tiny_net

META = torch.device("meta")
# What a meta tensor may legitimately fail with: it has no data to read or copy.
META_NO_DATA = ("Cannot copy out of meta tensor", "cannot be called on meta tensors", "'Meta' backend")


def _model(plain: bool, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32) -> torch.nn.Module:
    """tiny_net (layers "0".."6": conv, relu, conv stride 2, relu, pool, flatten, linear), plain or wrapped."""
    net = tiny_net()
    model = net if plain else dreamlib.as_dream_model(net, normalization=((0.5, 0.4, 0.3), (0.2, 0.25, 0.3)))
    return model.to(device=device, dtype=dtype)


def _image(h: int = 40, w: int = 48) -> torch.Tensor:
    torch.manual_seed(2)
    return torch.rand(1, 3, h, w)


def is_device_mismatch(exc: BaseException) -> bool:
    return "device" in str(exc).lower()


@contextmanager
def layer_inputs(model: torch.nn.Module):
    """Record the device of every tensor that reaches a layer (a module without children) of ``model``."""
    seen: list[tuple[str, torch.device]] = []
    handles = [
        module.register_forward_pre_hook(
            lambda m, args, name=name: seen.extend((name, a.device) for a in args if isinstance(a, torch.Tensor))
        )
        for name, module in model.named_modules()
        if not list(module.children())
    ]
    try:
        yield seen
    finally:
        for h in handles:
            h.remove()


def _capture_and_call(model, image):
    with capture_activations(model, "2") as acts:
        model(image)
    assert acts["2"].device == META


def _guided_dream(model, image):
    objective = guide(model, image, "2")
    return dream(model, image, objective=objective, octaves=1, steps=1, progress=False)


def _receptive_field(model, image):
    from dreamlib import receptive_field

    return receptive_field(model, "2")


def _dream_video(model, image):
    import tempfile

    from dreamlib.video import dream_video, sample_clip

    with tempfile.TemporaryDirectory() as folder:
        clip = sample_clip(f"{folder}/clip.mp4", frames=2, fps=5, size=(48, 40), tone=False)
        return dream_video(model, clip, f"{folder}/out.mp4", "2", steps=1, first_steps=1, octaves=1, progress=False)


def _class_probabilities(model, image):
    return dreamlib.class_probabilities(dreamlib.as_dream_model(model), image)


def _ablated_call(model, image):
    with dreamlib.ablate(model, "2", [0, 3]):
        return dreamlib.as_dream_model(model)(image)


def _sae_render(model, image):
    from dreamlib.units.sae import SparseAutoencoder

    sae = SparseAutoencoder("2", channels=8, features=16, k=2)  # on the CPU: its weights go to the activations
    return dreamlib.render(model, sae.feature(1), size=24, steps=2, progress=False)


def _sae_ablated_call(model, image):
    from dreamlib.units.sae import SparseAutoencoder

    with dreamlib.ablate(model, SparseAutoencoder("2", channels=8, features=16, k=2), [1]):
        return dreamlib.as_dream_model(model)(image)


CALLS = {
    "call": lambda m, x: dreamlib.as_dream_model(m)(x),  # a plain module called directly is torch's business
    "forward_until": lambda m, x: forward_until(m, x, "2"),
    "forward_until_output": lambda m, x: forward_until(m, x, ["2", "output"]),
    "capture_activations": _capture_and_call,
    "image_gradient": lambda m, x: image_gradient(m, x, layer_mean("2")),
    "tiled_gradient": lambda m, x: tiled_gradient(m, x, layer_mean("2"), tile=24),
    "ascent_step": lambda m, x: ascent_step(m, x, layer_mean("2"), rng=random.Random(0)),
    "dream_step_tiled": lambda m, x: dream_step(
        m, x, layer_mean("2"), lr=0.01, jitter=8, rng=random.Random(0), tile=24
    ),
    "dream": lambda m, x: dream(m, x, "2", octaves=2, steps=1, progress=False),
    "dream_faster": lambda m, x: dream(dreamlib.faster(m), x, "2", octaves=2, steps=1, progress=False),
    "dream_tiled": lambda m, x: dream(m, x, "2", octaves=1, steps=1, tile=24, progress=False),
    # uint8 pixels (what the command line passes) stay uint8 on their way to the model's device
    "dream_uint8": lambda m, x: dream(m, (x * 255).round().to(torch.uint8), "2", octaves=2, steps=1, progress=False),
    "guide": lambda m, x: guide(m, x, "2"),
    "guided_dream": _guided_dream,
    "compare_layers": lambda m, x: compare_layers(m, x, ["0", "2"], octaves=1, steps=1, progress=False),
    "compare_layers_one_by_one": lambda m, x: compare_layers(
        m, x, ["0", "2"], batched=False, octaves=1, steps=1, progress=False
    ),
    "zoom": lambda m, x: zoom(m, x, frames=2, layer="2", steps=1, progress=False),
    "dream_video": _dream_video,
    "receptive_field": _receptive_field,
    "class_probabilities": _class_probabilities,
    "dream_fft": lambda m, x: dream(m, x, "2", octaves=2, steps=1, param="fft", progress=False),
    "render": lambda m, x: dreamlib.render(m, "2", size=24, steps=2, progress=False),
    "accentuate": lambda m, x: dreamlib.accentuate(m, x, "2", steps=2, progress=False),
    "render_maco": lambda m, x: dreamlib.render(m, "2", size=24, steps=2, param="maco", progress=False),
    "dissect": lambda m, x: dreamlib.dissect(m, "2", x, torch.zeros(1, 40, 48, dtype=torch.long), parts=("bg", "a")),
    "accuracy_drop": lambda m, x: dreamlib.accuracy_drop(m, "2", [0], x, torch.zeros(1, dtype=torch.long)),
    "ablate": _ablated_call,
    "sae_render": _sae_render,
    "sae_ablate": _sae_ablated_call,
    "render_pixel_batch": lambda m, x: dreamlib.render(
        m, "2", size=24, steps=2, param="pixel", batch=2, progress=False
    ),
}


@pytest.mark.parametrize("plain", [False, True], ids=["DreamModel", "nn.Module"])
@pytest.mark.parametrize("call", list(CALLS))
def test_cpu_images_reach_a_model_elsewhere_on_its_own_device(call, plain):
    """Every public function that takes a model and an image moves the image to the model's device."""
    model = _model(plain, META)
    with layer_inputs(model) as seen:
        try:
            CALLS[call](model, _image())
        except Exception as exc:  # noqa: BLE001 - sorted below
            assert not is_device_mismatch(exc), f"{call}: device mismatch: {exc}"
            if not any(text in str(exc) for text in META_NO_DATA):
                raise
    assert seen, f"{call}: no layer of the model ran"
    strays = sorted({(name, str(dev)) for name, dev in seen if dev != META})
    assert not strays, f"{call}: tensors reached layers on the wrong device: {strays}"


@pytest.mark.parametrize("call", ["dream", "dream_tiled", "dream_fft", "render", "zoom"])
def test_the_fast_twin_dream_steps_on_lives_on_the_models_device(call):
    """dream/render step on a fast twin of the model (dreamlib.fast, BatchNorm folded): on the model's device too."""
    model = dreamlib.load_model("shapes").to(META)
    twin = fast_model(model, ["conv3"], torch.zeros(1, 3, 32, 32, device=META))
    kinds = {name: type(m).__name__ for name, m in twin.net.named_modules()}
    assert twin.net is not model.net and kinds["conv1.1"] == kinds["conv3.1"] == "Identity"  # folded up to conv3
    assert {t.device for t in (*twin.parameters(), *twin.buffers())} == {META}
    calls = {
        "dream": lambda x: dream(model, x, "conv3", octaves=2, steps=1, progress=False),
        "dream_tiled": lambda x: dream(model, x, "conv3", octaves=1, steps=1, tile=24, progress=False),
        "dream_fft": lambda x: dream(model, x, "conv3", octaves=2, steps=1, param="fft", progress=False),
        "render": lambda x: dreamlib.render(model, "conv3", size=24, steps=2, progress=False),
        "zoom": lambda x: zoom(model, x, frames=2, layer="conv3", steps=1, progress=False),
    }
    try:
        calls[call](_image())
    except Exception as exc:  # noqa: BLE001 - only "no data" is allowed, never a device mismatch
        assert not is_device_mismatch(exc), f"{call}: device mismatch: {exc}"
        assert any(text in str(exc) for text in META_NO_DATA), exc


def test_the_model_reports_its_device_and_dtype():
    dm = _model(False, META, torch.float64)
    assert dm.device == META and dm.dtype == torch.float64
    empty = dreamlib.as_dream_model(torch.nn.Sequential(torch.nn.ReLU()))
    assert empty.device == torch.device("cpu") and empty.dtype == torch.float32
    buffers_only = dreamlib.as_dream_model(torch.nn.Sequential(torch.nn.BatchNorm2d(3, affine=False))).double()
    assert buffers_only.dtype == torch.float64


# ---- other dtypes, for real, on the CPU -------------------------------------------------------------------------

DTYPES = [torch.float64, torch.bfloat16]


@pytest.mark.parametrize("plain", [False, True], ids=["DreamModel", "nn.Module"])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_models_in_other_dtypes_dream_float32_images_in_unit_range(dtype, plain):
    model, image = _model(plain, dtype=dtype), _image()
    out = dream(model, image, "2", octaves=2, steps=3, seed=0, progress=False)
    assert out.dtype == torch.float32 and out.device.type == "cpu" and out.shape == image.shape
    assert 0 <= out.min() and out.max() <= 1
    assert (out - image).abs().mean() > 1e-3  # it dreamed
    stepped, score = ascent_step(model, image, layer_mean("2"), rng=random.Random(0))
    assert stepped.dtype == torch.float32 and 0 <= stepped.min() and stepped.max() <= 1
    assert score.dtype == torch.float32 and torch.isfinite(score).all()
    frames = zoom(model, image, frames=2, layer="2", steps=1, progress=False)
    assert all(f.dtype == torch.float32 and f.shape == image.shape for f in frames)
    assert tensor_to_pil(frames[0].to(dtype)).size == (48, 40)


@pytest.mark.parametrize("dtype", [torch.float32, *DTYPES], ids=str)
def test_a_learners_leaf_tensor_gets_its_gradient_through_forward_until(dtype):
    """Hand-written ascent loops in the lessons: a float32 CPU leaf, a model in another dtype."""
    for plain in (False, True):
        model = _model(plain, dtype=dtype)
        x = _image().requires_grad_(True)
        acts = forward_until(model, x, "2")
        assert acts["2"].dtype == dtype  # activations stay as the model made them (its device and dtype)
        acts["2"].float().mean().backward()
        assert x.grad is not None and x.grad.dtype == torch.float32 and x.grad.abs().sum() > 0

        y = _image().requires_grad_(True)
        with capture_activations(model, "2") as captured:
            model(y)  # calling the model itself, plain or wrapped, also takes the CPU float32 image
        captured["2"].float().mean().backward()
        assert y.grad is not None and y.grad.abs().sum() > 0


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16, torch.float16], ids=str)
def test_pictures_are_made_from_any_dtype(dtype, tmp_path, monkeypatch):
    image = _image().to(dtype)
    assert tensor_to_pil(image).size == (48, 40)
    path = dreamlib.save_image(image, tmp_path / "x.png")
    with Image.open(path) as im:
        assert im.size == (48, 40)
    dreamlib.save_animation([image, image], tmp_path / "x.gif")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "show", lambda: None)
    dreamlib.show_grid({"a": image, "b": image.requires_grad_(True) if dtype.is_floating_point else image})
    plt.close("all")


# ---- the real thing on a GPU: pytest -m cuda ---------------------------------------------------------------------


def needs_cuda(test):
    test = pytest.mark.skipif(
        not torch.cuda.is_available(), reason="no CUDA GPU here; on a GPU machine run `pytest -m cuda`"
    )(test)
    return pytest.mark.cuda(test)


@pytest.fixture
def cuda_shapes():
    return dreamlib.load_model("shapes", device="cuda")


@needs_cuda
def test_cuda_dream_ascent_and_zoom_return_cpu_images(cuda_shapes):
    image = dreamlib.sample_image(max_size=64)
    out = dream(cuda_shapes, image, "conv3", octaves=2, steps=3, seed=0, progress=False)
    assert out.device.type == "cpu" and out.dtype == torch.float32 and out.shape == image.shape
    assert 0 <= out.min() and out.max() <= 1 and (out - image).abs().mean() > 1e-3
    stepped, score = ascent_step(cuda_shapes, image, layer_mean("conv3"), rng=random.Random(0))
    assert stepped.device.type == "cpu" and score.device.type == "cpu"
    grad, _ = image_gradient(cuda_shapes, image, layer_mean("conv3"))
    assert grad.device.type == "cpu" and grad.abs().sum() > 0
    grad, _ = tiled_gradient(cuda_shapes, image, layer_mean("conv3"), tile=32)
    assert grad.device.type == "cpu"
    frames = zoom(cuda_shapes, image, frames=2, layer="conv3", steps=1, progress=False)
    assert all(f.device.type == "cpu" for f in frames)
    guided = dream(cuda_shapes, image, objective=guide(cuda_shapes, image, "conv2"), octaves=1, steps=2, progress=False)
    assert guided.device.type == "cpu"


@needs_cuda
def test_cuda_activations_stay_on_the_gpu_and_gradients_reach_a_cpu_leaf(cuda_shapes):
    x = dreamlib.sample_image(max_size=64).requires_grad_(True)
    acts = forward_until(cuda_shapes, x, "conv3")
    assert acts["conv3"].device.type == "cuda"
    acts["conv3"].mean().backward()
    assert x.grad.device.type == "cpu" and x.grad.abs().sum() > 0
    plain = tiny_net().cuda()
    with capture_activations(plain, "2") as captured:
        plain(x.detach())
    assert captured["2"].device.type == "cuda"


@needs_cuda
def test_cuda_compare_layers_pictures_and_receptive_field(cuda_shapes, tmp_path):
    image = dreamlib.sample_image(max_size=64)
    dreams = compare_layers(cuda_shapes, image, ["conv2", "conv3"], octaves=1, steps=2, progress=False)
    assert all(d.device.type == "cpu" for d in dreams.values())
    on_gpu = image.cuda()
    assert dream(cuda_shapes, on_gpu, "conv2", octaves=1, steps=1, progress=False).device.type == "cuda"
    assert tensor_to_pil(on_gpu).size == (image.shape[3], image.shape[2])
    dreamlib.save_image(on_gpu.to(torch.bfloat16), tmp_path / "gpu.png")
    dreamlib.save_animation([on_gpu, on_gpu], tmp_path / "gpu.gif")
    cpu_model = dreamlib.load_model("shapes", device="cpu")
    assert dreamlib.receptive_field(cuda_shapes, "conv3") == dreamlib.receptive_field(cpu_model, "conv3")


@needs_cuda
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=str)
def test_cuda_half_precision_models(dtype):
    model = dreamlib.load_model("shapes", device="cuda").to(dtype)
    image = dreamlib.sample_image(max_size=64)
    out = dream(model, image, "conv3", octaves=1, steps=3, seed=0, progress=False)
    assert out.device.type == "cpu" and out.dtype == torch.float32 and 0 <= out.min() and out.max() <= 1
    assert (out - image).abs().mean() > 1e-3
