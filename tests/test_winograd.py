"""Winograd convolutions (dreamlib/winograd.py): the same numbers as torch's convolution, used only where they
should be, compiled and cached safely."""

from __future__ import annotations

import json
import os
import shutil
import threading

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import dreamlib as dl
from dreamlib import winograd as wg
from dreamlib.fold import folded_twin

needs_library = pytest.mark.skipif(wg.library() is None, reason=f"no compiled Winograd transforms: {wg._why_not}")


def conv_pair(cin, cout, k, padding, seed=0):
    torch.manual_seed(seed)
    conv = nn.Conv2d(cin, cout, k, padding=padding).requires_grad_(False)
    fast = nn.Conv2d(cin, cout, k, padding=padding).requires_grad_(False)
    fast.load_state_dict(conv.state_dict())
    assert wg.use_winograd(fast, on=True) == 1
    return conv, fast


def rel_err(a, b):
    return ((a - b).abs().max() / b.abs().max()).item()


@needs_library
@pytest.mark.parametrize(
    "n, cin, cout, k, h, w, padding",
    [
        (1, 80, 192, 3, 37, 45, 0),  # like Conv2d_4a_3x3, no padding
        (1, 32, 64, 3, 30, 41, 1),  # like Conv2d_2b_3x3
        (2, 29, 19, 3, 17, 23, (1, 2)),  # a batch; channels not a multiple of 8; uneven padding
        (1, 8, 8, 3, 3, 3, 0),  # one output pixel
        (1, 8, 9, 3, 1, 1, 1),  # a 1x1 image, padded
        (1, 48, 64, 5, 20, 31, 2),  # like Mixed_5b.branch5x5_2
        (2, 13, 21, 5, 11, 7, (0, 3)),
        (1, 8, 8, 5, 2, 1, 4),
    ],
)
def test_forward_and_input_gradient_match_torch(n, cin, cout, k, h, w, padding):
    conv, fast = conv_pair(cin, cout, k, padding)
    x = torch.randn(n, cin, h, w, requires_grad=True)
    for layout in (torch.contiguous_format, torch.channels_last):
        xl = x.contiguous(memory_format=layout)
        y0, y1 = conv(xl), fast(xl)
        assert y1.shape == y0.shape
        assert rel_err(y1, y0) < 1e-4
        g = torch.randn_like(y0)
        (g0,) = torch.autograd.grad(y0, x, g)
        (g1,) = torch.autograd.grad(y1, x, g)
        assert rel_err(g1, g0) < 1e-4


@needs_library
def test_really_runs_winograd_not_torch(monkeypatch):
    conv, fast = conv_pair(16, 16, 3, 1)
    calls = []
    real = wg.winograd_conv2d
    monkeypatch.setattr(wg, "winograd_conv2d", lambda *a: calls.append(a[0].shape) or real(*a))
    x = torch.randn(1, 16, 12, 12, requires_grad=True)
    torch.autograd.grad(fast(x).sum(), x)
    assert len(calls) == 2  # forward, and the input gradient
    conv(x)
    assert len(calls) == 2  # the ordinary convolution is untouched


@needs_library
def test_weight_and_bias_gradients_when_asked_for():
    conv, fast = conv_pair(12, 10, 3, 1)
    for m in (conv, fast):
        m.requires_grad_(True)
    x = torch.randn(2, 12, 9, 9)
    grads = [torch.autograd.grad(m(x).square().sum(), [m.weight, m.bias]) for m in (conv, fast)]
    for a, b in zip(*grads):
        assert rel_err(b, a) < 1e-4


@needs_library
def test_changed_weights_are_transformed_again():
    conv, fast = conv_pair(16, 16, 3, 1)
    x = torch.randn(1, 16, 10, 10)
    fast(x)
    with torch.no_grad():
        fast.weight.mul_(-2)
        conv.weight.mul_(-2)
    assert rel_err(fast(x), conv(x)) < 1e-4
    new = torch.randn_like(conv.weight)
    fast.weight.data, conv.weight.data = new.clone(), new.clone()  # replaced: same version counter, new memory
    assert rel_err(fast(x), conv(x)) < 1e-4


@needs_library
def test_backward_uses_the_weights_of_its_forward():
    conv, fast = conv_pair(16, 16, 3, 1)
    x = torch.randn(1, 16, 10, 10, requires_grad=True)
    y0, y1 = conv(x), fast(x)
    g = torch.randn_like(y0)
    (expected,) = torch.autograd.grad(y0, x, g)
    with torch.no_grad():
        fast.weight.mul_(3)
    fast(x)  # a forward with the new weights before the old output's backward
    (got,) = torch.autograd.grad(y1, x, g)
    assert rel_err(got, expected) < 1e-4


@needs_library
def test_output_layout_follows_the_input():
    conv, fast = conv_pair(16, 16, 3, 1)
    x = torch.randn(2, 16, 10, 10)
    assert fast(x).is_contiguous() and fast(x).view(2, -1).shape == (2, 1600)
    assert fast(x.contiguous(memory_format=torch.channels_last)).is_contiguous(memory_format=torch.channels_last)


@needs_library
def test_second_derivatives_are_refused_not_wrong():
    conv, fast = conv_pair(16, 16, 3, 1)
    x = torch.randn(1, 16, 10, 10, requires_grad=True)
    (g,) = torch.autograd.grad(fast(x).square().sum(), x, create_graph=True)
    with pytest.raises(RuntimeError):
        torch.autograd.grad(g.sum(), x)


@needs_library
def test_big_convolutions_go_through_in_chunks_on_several_threads(monkeypatch):
    """A convolution whose scratch would pass KEEP_BYTES runs in chunks of tile rows (scratch stays bounded);
    the transforms split across threads; the answer is the same."""
    monkeypatch.setattr(wg, "KEEP_BYTES", 36 * 4 * 24 * 6 * 3)  # three tile rows of a 24-wide image per chunk
    monkeypatch.setattr(wg, "PARALLEL_FROM", 0)
    monkeypatch.setattr(wg, "_workspace", threading.local())
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        for k, padding in ((3, 1), (5, 2)):
            conv, fast = conv_pair(24, 16, k, padding)
            x = torch.randn(2, 24, 45, 23, requires_grad=True)
            y0, y1 = conv(x), fast(x)
            assert rel_err(y1, y0) < 1e-4
            g = torch.randn_like(y0)
            assert rel_err(torch.autograd.grad(y1, x, g)[0], torch.autograd.grad(y0, x, g)[0]) < 1e-4
        assert max(b.numel() for b in wg._workspace.buffers) * 4 <= wg.KEEP_BYTES
    finally:
        torch.set_num_threads(threads)


@needs_library
def test_bf16_autocast_other_dtypes_and_devices_use_torch(monkeypatch):
    conv, fast = conv_pair(16, 16, 3, 1)
    monkeypatch.setattr(wg, "winograd_conv2d", lambda *a: pytest.fail("Winograd ran"))
    x = torch.randn(1, 16, 10, 10)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert torch.equal(fast(x), conv(x))
    assert torch.equal(fast(x[0]), conv(x[0]))  # unbatched (C, H, W) input, as nn.Conv2d takes it
    fast.double()
    assert torch.equal(fast(x.double()), conv.double()(x.double()))
    fast.float().to("meta")
    assert fast(x.to("meta")).device.type == "meta"
    with torch.inference_mode():
        made = nn.Conv2d(16, 16, 3, padding=1)  # inference tensors have no version counter to watch
    wg.use_winograd(made, on=True)
    with torch.no_grad():
        assert torch.equal(made(x), nn.Conv2d.forward(made, x))


def test_only_exact_cases_are_switched():
    net = nn.Sequential(
        nn.Conv2d(16, 16, 3, padding=1),  # yes
        nn.Conv2d(16, 16, 3, stride=2),  # strided
        nn.Conv2d(16, 16, (1, 7), padding=(0, 3)),  # not square
        nn.Conv2d(16, 16, 3, padding=1, groups=2),
        nn.Conv2d(16, 16, 3, padding=1, dilation=2),
        nn.Conv2d(16, 16, 3, padding=3),  # more padding than the transforms handle
        nn.Conv2d(16, 16, 3, padding=1, padding_mode="reflect"),
        nn.Conv2d(3, 16, 3, padding=1),  # too few channels to pay
        nn.Conv2d(16, 16, 5, padding=2),  # yes (5x5)
        nn.Conv2d(16, 16, 3, padding=1),  # yes, unless skipped
    )
    assert [wg.eligible(m) for m in net] == [True] + [False] * 7 + [True, True]
    assert wg.use_winograd(net, on=False) == 0
    if wg.library() is None:
        assert wg.use_winograd(net, on=True) == 0  # nothing changes without the compiled transforms
        return
    assert wg.use_winograd(net, skip={id(net[9])}, on=True) == 2  # net[9] skipped
    assert "forward" in vars(net[0]) and "forward" in vars(net[8]) and "forward" not in vars(net[9])


def test_the_probe_decides(monkeypatch):
    monkeypatch.delenv(wg.ENV, raising=False)
    if wg.library() is None:
        assert wg.enabled(probe=lambda: 3.0) is False
        return
    assert wg.enabled(probe=lambda: 1.2) is True
    assert wg.enabled(probe=lambda: wg.MIN_SPEEDUP - 0.01) is False
    monkeypatch.setenv(wg.ENV, "0")
    assert wg.enabled(probe=lambda: 3.0) is False
    assert wg.status() == f"off ({wg.ENV}=0)"
    monkeypatch.setenv(wg.ENV, "all")
    assert wg.enabled(probe=lambda: 0.1) is True
    assert wg.status() == "on: 3x3 and 5x5 convolutions in fp32 on the CPU"


@needs_library
def test_the_real_probe_measures_a_step():
    """The probe's stack really switches convolutions to Winograd, and gives a positive speed-up."""
    assert sum("forward" in vars(m) for m in wg._probe_net().modules()) == 0
    net = wg._probe_net()
    assert wg.use_winograd(net, on=True) == 6  # the stem's two 3x3, the 80 -> 192 one, two in the block, the 5x5
    assert 0 < wg.probe_winograd(size=96, repeats=1, budget_s=0)


@needs_library
def test_decision_cached_on_disk_per_machine(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv(wg.ENV, raising=False)
    monkeypatch.setattr(wg, "_decided", {})
    runs = []
    monkeypatch.setattr(wg, "probe_winograd", lambda: runs.append(1) or 1.31)
    assert wg.enabled() is True
    saved = json.loads((tmp_path / "dreamlib" / "winograd.json").read_text())
    (entry,) = saved["machines"].values()
    assert entry["speedup"] == 1.31 and entry["version"] == wg.PROBE_VERSION
    monkeypatch.setattr(wg, "_decided", {})  # a new process: the file answers
    assert wg.enabled() is True and len(runs) == 1
    (tmp_path / "dreamlib" / "winograd.json").write_text("{not json")  # corrupt: measured again, rewritten
    monkeypatch.setattr(wg, "_decided", {})
    assert wg.enabled() is True and len(runs) == 2
    entry["version"] = wg.PROBE_VERSION - 1  # an older probe's answer: measured again
    (tmp_path / "dreamlib" / "winograd.json").write_text(json.dumps({**saved, "machines": {k: entry for k in saved["machines"]}}))
    monkeypatch.setattr(wg, "_decided", {})
    assert wg.enabled() is True and len(runs) == 3


def fresh_library(monkeypatch, tmp_path, cc):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("CC", cc)
    monkeypatch.setattr(wg, "_tried", False)
    monkeypatch.setattr(wg, "_lib", None)
    monkeypatch.setattr(wg, "_why_not", "")


def test_a_failing_probe_means_torch_convolutions_and_a_reason(monkeypatch):
    monkeypatch.delenv(wg.ENV, raising=False)
    monkeypatch.setattr(wg, "_decided", {})
    monkeypatch.setattr(wg, "_probe_failed", "")
    monkeypatch.setattr(wg, "probe_winograd", lambda: 1 / 0)
    monkeypatch.setenv("DREAMLIB_PROBE_CACHE", "0")
    if wg.library() is None:
        pytest.skip(f"no compiled Winograd transforms: {wg._why_not}")
    assert wg.enabled() is False
    assert wg.status() == "off: its measurement failed (ZeroDivisionError: division by zero)"


def test_no_compiler_means_torch_convolutions_and_a_reason(tmp_path, monkeypatch):
    failing = tmp_path / "cc"
    failing.write_text("#!/bin/sh\necho 'cc: fatal error: no input' >&2\nexit 1\n")
    failing.chmod(0o755)
    fresh_library(monkeypatch, tmp_path, str(failing))
    assert wg.library() is None
    monkeypatch.delenv(wg.ENV, raising=False)
    assert wg.status() == f"off: compiling _winograd.c with {failing} failed: cc: fatal error: no input"
    assert wg.enabled() is False
    net = nn.Sequential(nn.Conv2d(16, 16, 3, padding=1))
    assert wg.use_winograd(net, on=True) == 0
    assert not list((tmp_path / "dreamlib").iterdir())  # no half-written library or build folder left behind


def test_a_library_that_crashes_is_not_loaded(tmp_path, monkeypatch):
    """A build that would kill the process (say, an instruction this CPU lacks) fails its trial run in a child
    process and is never loaded here."""
    if shutil.which("cc") is None:
        pytest.skip("needs a C compiler (cc)")
    boom = tmp_path / "boom.c"  # compiled in with the real file: kills the process with SIGILL when loaded
    boom.write_text("#include <signal.h>\n__attribute__((constructor)) static void boom(void) { raise(SIGILL); }\n")
    crashing = tmp_path / "cc"
    crashing.write_text(f'#!/bin/sh\nexec cc "$@" {boom}\n')
    crashing.chmod(0o755)
    fresh_library(monkeypatch, tmp_path, str(crashing))
    assert wg.library() is None
    assert wg._why_not.startswith("the compiled transforms failed a trial run (exit status -")
    assert not list((tmp_path / "dreamlib").glob("*.so"))


def test_compiler_given_with_arguments(tmp_path, monkeypatch):
    if shutil.which("cc") is None:
        pytest.skip("needs a C compiler (cc)")
    fresh_library(monkeypatch, tmp_path, "cc -Wall")  # CC may be a command with arguments, e.g. "ccache gcc"
    assert wg.library() is not None, wg._why_not


@needs_library
def test_compiled_once_into_the_cache(tmp_path, monkeypatch):
    cc = os.environ.get("CC") or "cc"
    fresh_library(monkeypatch, tmp_path, cc)
    assert wg.library() is not None
    (so,) = (tmp_path / "dreamlib").glob("winograd-*.so")
    assert not [p for p in (tmp_path / "dreamlib").iterdir() if p.name.startswith(".winograd-")]  # build folder gone
    stamp = so.stat().st_mtime_ns
    fresh_library(monkeypatch, tmp_path, cc)  # a new process reuses it
    assert wg.library() is not None and so.stat().st_mtime_ns == stamp


@needs_library
def test_threads_share_nothing():
    """Two threads convolving different shapes at once (each has its own scratch buffers) get the right answers."""
    pairs = [conv_pair(16, 24, 3, 1, seed=1), conv_pair(24, 16, 5, 2, seed=2)]
    inputs = [torch.randn(1, 16, 40, 40), torch.randn(1, 24, 33, 29)]
    errors = []

    def work(i):
        conv, fast = pairs[i]
        for _ in range(20):
            errors.append(rel_err(fast(inputs[i]), conv(inputs[i])))

    threads = [threading.Thread(target=work, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 40 and max(errors) < 1e-4


@needs_library
def test_folded_twin_uses_it_and_keeps_the_gradient(monkeypatch):
    """dream()'s folded copy of a network runs its eligible convolutions by Winograd (when measured faster) and
    gives the same input gradient as the network itself."""
    monkeypatch.setenv(wg.ENV, "all")
    torch.manual_seed(0)
    model = dl.load_model("shapes")
    image = torch.rand(1, 3, 48, 48)
    objective = dl.layer_mean("conv5")
    twin = folded_twin(model, ["conv5"])
    switched = [name for name, m in twin.net.named_modules() if "forward" in vars(m) and isinstance(m, nn.Conv2d)]
    assert switched and all(wg.eligible(dict(twin.net.named_modules())[n]) for n in switched)
    g0, s0 = dl.image_gradient(model, image, objective)
    g1, s1 = dl.image_gradient(twin, image, objective)
    assert torch.allclose(s1, s0, rtol=1e-4)
    assert F.cosine_similarity(g1.flatten(), g0.flatten(), dim=0) > 0.99999


def test_folded_twin_without_it(monkeypatch):
    monkeypatch.setenv(wg.ENV, "0")
    model = dl.load_model("shapes")
    twin = folded_twin(model, ["conv4"])
    assert not [m for m in twin.net.modules() if "forward" in vars(m) and isinstance(m, nn.Conv2d)]
