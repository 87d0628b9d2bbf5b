"""Inception blocks rewritten for speed: pooling after the 1x1 convolution, and the 1x1 convolutions joined.

InceptionV3's blocks (torchvision's ``InceptionA``, ``InceptionC``, ``InceptionE``) have a
pooling branch: a 3x3 average pool of the block's input, then a 1x1 convolution that cuts
the channels four- to tenfold. Both are linear and work on different axes (pooling mixes
neighbouring pixels of one channel, the 1x1 convolution mixes channels of one pixel), so
their order can be swapped, exactly, when the convolution's bias comes after the pooling:
``relu(pool(conv(x)) + b)`` equals ``relu(conv(pool(x)) + b)``. With zero padding and
``count_include_pad=True`` (torchvision's setting) this holds at the borders too. The pool
then runs on the convolution's few output channels instead of the block's many inputs —
forward and, at every dream step, backward.

Every branch of these blocks then starts with a 1x1 convolution of the block's input; they
run as one convolution (their weights stacked, made once per set of weights), whose output
channels are split between the branches: one larger matrix product instead of four small
ones, forward and backward -- fewer calls, and a shape the CPU's kernels handle better.

:func:`pool_after_conv` applies both to the blocks of a copy that :func:`dreamlib.fold.folded_twin`
has already folded (so the convolution carries the BatchNorm's shift as its bias), checks
each rewritten block against the original on a random input, and leaves any block alone
that it cannot rewrite exactly. Measured in ``benchmarks/README.md``: pooling after the
convolution makes bf16 steps at ``Mixed_6c`` about 6-10% faster on an AVX512-BF16 CPU (fp32
about the same); joining the 1x1 convolutions, fp32 steps with AVX2 kernels 2-8%.
Taught in notebook 03, with BatchNorm folding.
"""

from __future__ import annotations

import types

import torch
import torch.nn.functional as F
from torch import nn

# block class name -> the branches before the pool, as ((name, ...) of a chain, or a (chain, (a, b)) fork)
BRANCHES = {
    "InceptionA": (("branch1x1",), ("branch5x5_1", "branch5x5_2"), ("branch3x3dbl_1", "branch3x3dbl_2", "branch3x3dbl_3")),
    "InceptionC": (("branch1x1",), ("branch7x7_1", "branch7x7_2", "branch7x7_3"),
                   ("branch7x7dbl_1", "branch7x7dbl_2", "branch7x7dbl_3", "branch7x7dbl_4", "branch7x7dbl_5")),
    "InceptionE": (("branch1x1",), (("branch3x3_1",), ("branch3x3_2a", "branch3x3_2b")),
                   (("branch3x3dbl_1", "branch3x3dbl_2"), ("branch3x3dbl_3a", "branch3x3dbl_3b"))),
}


def _run(block: nn.Module, branch, x: torch.Tensor) -> torch.Tensor:
    if isinstance(branch[0], tuple):  # a chain, then a fork whose two outputs are concatenated
        chain, fork = branch
        for name in chain:
            x = getattr(block, name)(x)
        return torch.cat([getattr(block, name)(x) for name in fork], 1)
    for name in branch:
        x = getattr(block, name)(x)
    return x


def _pooled(block: nn.Module, y: torch.Tensor) -> torch.Tensor:
    """The pooling branch after its 1x1 convolution (``y``, without bias): pool, then the bias, then the ReLU."""
    y = F.avg_pool2d(y, kernel_size=3, stride=1, padding=1)
    return F.relu(y + block.branch_pool.conv.bias.view(1, -1, 1, 1).to(y.dtype))


def _pooled_branch(block: nn.Module, x: torch.Tensor) -> torch.Tensor:
    conv = block.branch_pool.conv
    return _pooled(block, F.conv2d(x, conv.weight, None, conv.stride, conv.padding, conv.dilation, conv.groups))


def _forward(block: nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    return [_run(block, branch, x) for branch in BRANCHES[type(block).__name__]] + [_pooled_branch(block, x)]


def _firsts(block: nn.Module) -> list[nn.Module]:
    """The first module of each branch (the block's input goes into each), the pooling branch last."""
    return [getattr(block, b[0][0] if isinstance(b[0], tuple) else b[0]) for b in BRANCHES[type(block).__name__]] + [block.branch_pool]


def _rest(block: nn.Module, branch, x: torch.Tensor) -> torch.Tensor:
    """A branch after its first module (``x``: that module's output)."""
    if isinstance(branch[0], tuple):
        chain, fork = branch
        for name in chain[1:]:
            x = getattr(block, name)(x)
        return torch.cat([getattr(block, name)(x) for name in fork], 1)
    for name in branch[1:]:
        x = getattr(block, name)(x)
    return x


def _joined(block: nn.Module) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
    """The first 1x1 convolutions' weights stacked (channels-last), their biases (zero for the pooling branch,
    whose bias comes after the pool), and how many output channels each has; kept, and made again if the weights
    change (made at every call, with their gradients, if the weights require them)."""
    convs = [m.conv for m in _firsts(block)]
    tensors = [t for c in convs for t in (c.weight, c.bias)]

    def stack():
        weight = torch.cat([c.weight for c in convs]).contiguous(memory_format=torch.channels_last)
        return weight, torch.cat([c.bias for c in convs[:-1]] + [torch.zeros_like(convs[-1].bias)])

    sizes = [c.out_channels for c in convs]
    if ((torch.is_grad_enabled() and any(t.requires_grad for t in tensors))
            or torch.is_inference_mode_enabled() or any(t.is_inference() for t in tensors)):
        return (*stack(), sizes)  # kept weights would carry a graph, or be inference tensors later calls cannot use
    key = tuple((id(t), t.data_ptr(), t._version) for t in tensors)
    cached = block.__dict__.get("_joined_weights")
    if cached is None or cached[0] != key:
        with torch.no_grad():
            cached = block._joined_weights = (key, *stack())
    return cached[1], cached[2], sizes


def _forward_joined(block: nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    weight, bias, sizes = _joined(block)
    *heads, pooled = F.conv2d(x, weight, bias).split(sizes, 1)
    branches = BRANCHES[type(block).__name__]
    return [_rest(block, branch, F.relu(h)) for branch, h in zip(branches, heads)] + [_pooled(block, pooled)]


def _joinable(block: nn.Module) -> bool:
    """Every branch starts with a folded BasicConv2d (1x1 convolution with bias, BatchNorm gone, ReLU) of the input."""
    return all(type(m).__name__ == "BasicConv2d" and isinstance(getattr(m, "bn", None), nn.Identity)
               and _plain_1x1(getattr(m, "conv", None)) for m in _firsts(block))


def _plain_1x1(conv) -> bool:
    return (isinstance(conv, nn.Conv2d) and conv.kernel_size == (1, 1) and conv.stride == (1, 1)
            and conv.padding == (0, 0) and conv.dilation == (1, 1) and conv.groups == 1 and conv.bias is not None)


def _rewritable(block: nn.Module) -> bool:
    bp = getattr(block, "branch_pool", None)
    conv = getattr(bp, "conv", None)
    return (
        type(block).__name__ in BRANCHES and isinstance(conv, nn.Conv2d) and conv.kernel_size == (1, 1)
        and conv.stride == (1, 1) and conv.padding == (0, 0) and conv.bias is not None
        and isinstance(getattr(bp, "bn", None), nn.Identity)  # BatchNorm folded: the shift is the conv's bias
        and all(hasattr(block, n) for b in BRANCHES[type(block).__name__] for n in _names(b))
    )


def _names(branch) -> list[str]:
    return [n for part in branch for n in (part if isinstance(part, tuple) else (part,))]


def pool_after_conv(net: nn.Module, keep: set[int] = frozenset()) -> int:
    """Swap pool and 1x1 convolution in every rewritable Inception block of ``net`` (a folded copy), and join the
    first 1x1 convolutions of its branches where they all are folded ``BasicConv2d``s; returns how many blocks.

    Blocks in ``keep`` (module ids: those holding a layer an objective reads) and blocks
    on the ``meta`` device are left alone, and so is any block whose rewritten output
    differs from its original on a random input (a torchvision whose blocks changed); where
    only the joined version differs, the block gets the pool swap alone.
    """
    done = 0
    for block in net.modules():
        if id(block) in keep or not _rewritable(block):
            continue
        conv = block.branch_pool.conv
        if conv.weight.device.type == "meta":
            continue
        x = torch.rand(1, conv.in_channels, 7, 7, generator=torch.Generator().manual_seed(0))
        x = x.to(device=conv.weight.device, dtype=conv.weight.dtype)
        with torch.no_grad():
            expected = torch.cat(type(block)._forward(block, x), 1)
            for forward in [_forward_joined] * _joinable(block) + [_forward]:  # joined if it can be, else the swap only
                got = torch.cat(forward(block, x), 1)
                block.__dict__.pop("_joined_weights", None)  # made at the first real call: blocks never run cost nothing
                if got.shape == expected.shape and torch.allclose(got, expected, rtol=1e-4,
                                                                  atol=1e-4 * (1 + float(expected.abs().max()))):
                    block._forward = types.MethodType(forward, block)
                    done += 1
                    break
    return done
