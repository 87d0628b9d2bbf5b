"""Winograd convolutions (dreamlib/winograd_conv.py): the same numbers as torch's convolution, forward and input
gradient, for every kind of kernel and shape the transforms take; the ordinary convolution where they do not apply."""

from __future__ import annotations

import ctypes
import threading

import pytest
import torch
from torch import nn

from dreamlib import compiled
from dreamlib import winograd_conv as wc
from dreamlib.winograd import KINDS, use_winograd

needs_library = pytest.mark.skipif(compiled.library() is None, reason=f"no compiled Winograd transforms: {compiled.why_not()}")


def conv_pair(cin, cout, k, padding, seed=0):
    torch.manual_seed(seed)
    conv = nn.Conv2d(cin, cout, k, padding=padding).requires_grad_(False)
    fast = nn.Conv2d(cin, cout, k, padding=padding).requires_grad_(False)
    fast.load_state_dict(conv.state_dict())
    assert use_winograd(fast, kinds=KINDS) == 1
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
        (1, 160, 192, (1, 7), 19, 30, (0, 3)),  # like Mixed_6c.branch7x7_2
        (1, 128, 160, (7, 1), 17, 17, (3, 0)),  # like Mixed_6b.branch7x7dbl_2
        (2, 13, 21, (1, 7), 5, 9, (0, 1)),  # a batch; odd channels; less padding
        (1, 8, 9, (7, 1), 7, 3, (6, 0)),  # the most padding
        (1, 8, 9, (7, 1), 7, 3, (0, 0)),  # one output row
        (1, 8, 8, (1, 7), 1, 1, (0, 3)),  # a 1x1 image
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
def test_line_kernels_really_run_winograd(monkeypatch):
    calls = []
    real = wc.line_conv2d
    monkeypatch.setattr(wc, "line_conv2d", lambda *a: calls.append(a[3]) or real(*a))
    for kernel, padding in (((1, 7), (0, 3)), ((7, 1), (3, 0))):
        conv, fast = conv_pair(16, 16, kernel, padding)
        x = torch.randn(1, 16, 12, 12, requires_grad=True)
        torch.autograd.grad(fast(x).sum(), x)
        conv(x)
    assert calls == [True, True, False, False]  # forward and input gradient along rows (1x7), then columns (7x1)


@needs_library
def test_really_runs_winograd_not_torch(monkeypatch):
    conv, fast = conv_pair(16, 16, 3, 1)
    calls = []
    real = wc.winograd_conv2d
    monkeypatch.setattr(wc, "winograd_conv2d", lambda *a: calls.append(a[0].shape) or real(*a))
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
    monkeypatch.setattr(wc, "KEEP_BYTES", 36 * 4 * 24 * 6 * 3)  # a few rows of tiles per chunk
    monkeypatch.setattr(wc, "PARALLEL_FROM", 0)
    monkeypatch.setattr(wc, "_workspace", threading.local())
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        for k, padding in ((3, 1), (5, 2), ((1, 7), (0, 3)), ((7, 1), (3, 0))):
            conv, fast = conv_pair(24, 16, k, padding)
            x = torch.randn(2, 24, 45, 23, requires_grad=True)
            y0, y1 = conv(x), fast(x)
            assert rel_err(y1, y0) < 1e-4
            g = torch.randn_like(y0)
            assert rel_err(torch.autograd.grad(y1, x, g)[0], torch.autograd.grad(y0, x, g)[0]) < 1e-4
        assert max(b.numel() for b in wc._workspace.buffers) * 4 <= wc.KEEP_BYTES
    finally:
        torch.set_num_threads(threads)


@needs_library
def test_bf16_autocast_other_dtypes_and_devices_use_torch(monkeypatch):
    conv, fast = conv_pair(16, 16, 3, 1)
    monkeypatch.setattr(wc, "winograd_conv2d", lambda *a: pytest.fail("Winograd ran"))
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
    use_winograd(made, kinds=KINDS)
    with torch.no_grad():
        assert torch.equal(made(x), nn.Conv2d.forward(made, x))


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
def test_line_transforms_in_c_are_the_toom_cook_matrices():
    """_winograd.c writes out F(4, 7)'s B^T and A^T; they are the ones toom_cook derives (and that make it exact)."""
    bt, at = (ctypes.c_float * 100)(), (ctypes.c_float * 40)()
    compiled.library().line_matrices(bt, at)
    a_t, g, b_t = wc.toom_cook(4, 7)
    assert torch.equal(torch.tensor(list(bt)).view(10, 10), b_t.float())
    assert torch.equal(torch.tensor(list(at)).view(4, 10), a_t.float())
    d, k = torch.randn(10, dtype=torch.float64), torch.randn(7, dtype=torch.float64)
    direct = torch.stack([(d[i:i + 7] * k).sum() for i in range(4)])
    assert torch.allclose(a_t @ ((g @ k) * (b_t @ d)), direct, atol=1e-9)


def test_which_convolutions_the_transforms_compute():
    kinds = [
        (nn.Conv2d(16, 16, 3, padding=1), "square"),
        (nn.Conv2d(16, 16, 5, padding=2), "square"),
        (nn.Conv2d(16, 16, (1, 7), padding=(0, 3)), "line"),
        (nn.Conv2d(16, 16, (7, 1), padding=(3, 0)), "line"),
        (nn.Conv2d(16, 16, (1, 7), padding=(1, 3)), None),  # padding across a line kernel
        (nn.Conv2d(16, 16, (1, 3), padding=(0, 1)), None),  # only 7 long
        (nn.Conv2d(16, 16, (3, 5)), None),
        (nn.Conv2d(16, 16, 3, stride=2), None),
        (nn.Conv2d(16, 16, 3, padding=1, groups=2), None),
        (nn.Conv2d(16, 16, 3, padding=1, dilation=2), None),
        (nn.Conv2d(16, 16, 3, padding=3), None),  # more padding than the transforms handle
        (nn.Conv2d(16, 16, (1, 7), padding=(0, 7)), None),
        (nn.Conv2d(16, 16, 3, padding=1, padding_mode="reflect"), None),
        (nn.Conv2d(3, 16, 3, padding=1), None),  # too few channels to pay
        (nn.Conv2d(16, 16, 3, padding=1).double(), None),
        (nn.Conv2d(16, 16, 7, padding=3), None),
    ]
    assert [wc.kind(m) for m, _ in kinds] == [k for _, k in kinds]


@needs_library
def test_toom_cook_refuses_points_that_cannot_work(monkeypatch):
    monkeypatch.setattr(wc, "LINE_POINTS", (0, 1, 1, 2, -2, 0.5, -0.5, 1.5, -1.5))  # a repeated point
    with pytest.raises((ArithmeticError, ZeroDivisionError)):
        wc.toom_cook(4, 7)
