"""An independent judge of the shapes model's pictures: another architecture, another seed, the same data.

A picture made by optimising a network (a dream, a render) can fool the network that made it: it may be a
pattern of that network's own weaknesses rather than the class. Olah et al. ("Feature Visualization", Distill
2017) and Fel et al. (MACO, NeurIPS 2023) therefore also ask whether *another* network sees the class: the
render's "transferability". :func:`judge` is that other network for the shapes model: :class:`JudgeNet` has a 5x5
first convolution, max pooling and group norm where :class:`ShapesNet` has 3x3 strided convolutions and batch norm, and
it was trained from another seed, adversarially (:data:`JUDGE_RECIPE`; ``python scripts/train_shapes.py judge.pth``
makes its weights, ``judge.pth``), so that it does not share an ordinary network's faint, non-robust features. It
looks at every picture at the size of its training images (48x48, resized with antialiasing), as a person looks at a
whole picture. Lesson 11 also asks a second, ordinary judge (``judge("ordinary")``): a :class:`ResJudgeNet`, a third
architecture, trained without the attack (:data:`ORDINARY_JUDGE_RECIPE`, ``judge_ordinary.pth``), so that an effect
seen by only one judge's kind of training or design does not pass as seen. Taught in notebook 10 (robust dreamers);
lessons 11, 14 and 18 use it too.
"""

from __future__ import annotations

from importlib import resources

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import DreamError
from .data import CLASSES, IMAGE_SIZE

JUDGE_SEED = 1  # the shapes model was trained from seed 0
# The judge is trained adversarially too (epsilon 0.5, one attack step, 2400 steps): an ordinarily trained judge
# shares an ordinarily trained dreamer's non-robust features and "recognises" its texture-like dreams (issue 20).
JUDGE_RECIPE = {"steps": 2400, "epsilon": 0.5, "attack_steps": 1}
JUDGE_WIDTHS = (24, 48, 96, 128)
RES_WIDTHS = (48, 64, 96)  # the ordinary judge's stages (ResJudgeNet)
# The ordinary judge: another architecture (ResJudgeNet), trained without the attack, from seed 2.
ORDINARY_JUDGE_RECIPE = {"steps": 2400, "epsilon": 0.0, "seed": 2}
JUDGE_KERNELS = (5, 3, 3, 3)
# How lesson 10, docs/results.md and the transfer test dream a class for the judge: plain pixel steps from a grey
# 64x64 picture, ``dl.dream(model, grey, objective=dl.class_logit(k), **CLASS_DREAM)``.
CLASS_DREAM = {"octaves": 2, "steps": 50, "lr": 0.02, "jitter": 4, "seed": 0}


class SeeWhole(nn.Module):
    """Resize any picture to ``size`` x ``size`` (antialiased): the judge sees it whole, at its training size."""

    def __init__(self, size: int = IMAGE_SIZE) -> None:
        super().__init__()
        self.size = size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] == (self.size, self.size):
            return x
        return F.interpolate(x, size=(self.size, self.size), mode="bilinear", antialias=True, align_corners=False)


class JudgeNet(nn.Sequential):
    """Four conv blocks (5x5, 3x3, 3x3, 3x3; group norm; max pooling) and a linear classifier.

    Another architecture than :class:`dreamlib.shapes.ShapesNet`, trained on the same generator. Taught in
    notebook 10.
    """

    def __init__(self, classes: int = len(CLASSES)) -> None:
        super().__init__()
        self.add_module("see", SeeWhole())
        widths = (3, *JUDGE_WIDTHS)
        for i, kernel in enumerate(JUDGE_KERNELS):
            layers = [
                nn.Conv2d(widths[i], widths[i + 1], kernel, padding=kernel // 2, bias=False),
                nn.GroupNorm(8, widths[i + 1]),
                nn.ReLU(),
            ]
            if i < 3:
                layers.append(nn.MaxPool2d(2))
            self.add_module(f"block{i + 1}", nn.Sequential(*layers))
        self.add_module("pool", nn.AdaptiveAvgPool2d(1))
        self.add_module("flatten", nn.Flatten())
        self.add_module("fc", nn.Linear(widths[-1], classes))


# The judges' weight files: "robust" (JudgeNet, JUDGE_RECIPE) and "ordinary" (ResJudgeNet, ORDINARY_JUDGE_RECIPE).
# Lesson 11 asks both, so that an effect that one judge's training or design could explain does not pass as seen.
JUDGES = {"robust": "judge.pth", "ordinary": "judge_ordinary.pth"}


class ResJudgeNet(nn.Sequential):
    """A small residual network (a stem and three torchvision ``BasicBlock`` stages, widths 32 to 96; batch norm):
    the ordinary judge's architecture, a third design beside :class:`JudgeNet` and
    :class:`dreamlib.shapes.ShapesNet`. Taught in notebook 11."""

    def __init__(self, classes: int = len(CLASSES)) -> None:
        from torchvision.models.resnet import BasicBlock

        super().__init__()
        self.add_module("see", SeeWhole())
        self.add_module(
            "stem", nn.Sequential(nn.Conv2d(3, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU())
        )
        widths = (32, *RES_WIDTHS)
        for i in range(len(RES_WIDTHS)):
            down = nn.Sequential(
                nn.Conv2d(widths[i], widths[i + 1], 1, stride=2, bias=False), nn.BatchNorm2d(widths[i + 1])
            )
            self.add_module(f"block{i + 1}", BasicBlock(widths[i], widths[i + 1], stride=2, downsample=down))
        self.add_module("pool", nn.AdaptiveAvgPool2d(1))
        self.add_module("flatten", nn.Flatten())
        self.add_module("fc", nn.Linear(widths[-1], classes))


def judge(weights: str = "robust", device: str = "auto"):
    """A shipped judge, frozen, as a :class:`dreamlib.DreamModel` (call it on [0, 1] RGB
    pictures of any size; ``categories`` names its classes). ``weights``: ``"robust"`` (a :class:`JudgeNet`
    trained adversarially, :data:`JUDGE_RECIPE`, lessons 10-18) or ``"ordinary"`` (a :class:`ResJudgeNet` trained
    without the attack, :data:`ORDINARY_JUDGE_RECIPE`: lesson 11's second judge). Taught in notebooks 10 and 11."""
    from ..device import resolve_device
    from ..dream_model import DreamModel
    from .net import MEAN, STD

    if weights not in JUDGES:
        raise DreamError(f"unknown judge {weights!r}; choose one of: {', '.join(JUDGES)}")
    net = JudgeNet() if weights == "robust" else ResJudgeNet()
    with resources.as_file(resources.files("dreamlib.shapes").joinpath("weights", JUDGES[weights])) as path:
        net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    for p in net.parameters():
        p.requires_grad_(False)
    model = DreamModel(
        net,
        mean=MEAN,
        std=STD,
        layers=tuple(name for name, _ in net.named_children() if name.startswith("block")),
        min_size=8,
        name="shapes judge" if weights == "robust" else "shapes judge (ordinary)",
        default_layer="block3",
        categories=CLASSES,
    )
    return model.to(resolve_device(device)).eval()


def verdicts(judge_model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """The judge's top-1 class of each picture (N,), on the CPU: no gradients, on the judge's device.
    Taught in notebook 10."""
    param = next(iter(judge_model.parameters()))
    with torch.no_grad():
        return judge_model(images.to(param.device, param.dtype)).argmax(1).cpu()


def patches(images: torch.Tensor, size: int = IMAGE_SIZE, stride: int | None = None) -> torch.Tensor:
    """Every ``size`` x ``size`` patch of ``images`` (N, 3, H, W), ``stride`` apart (default ``size // 2``).

    Returns (N * P, 3, size, size): the pieces the judge looks at when a picture is bigger than its training
    images (lesson 11 counts the patches of a dreamed photo it calls dogs). A picture smaller than ``size`` on a
    side is returned whole. Taught in notebook 11.
    """
    if not isinstance(images, torch.Tensor) or images.dim() != 4:
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise DreamError(f"patches needs an (N, 3, H, W) batch of images, got {shape}")
    if min(images.shape[-2:]) < size:
        return images
    stride = stride or size // 2
    n, c = images.shape[:2]
    grid = images.unfold(2, size, stride).unfold(3, size, stride)  # (N, C, rows, cols, size, size)
    return grid.permute(0, 2, 3, 1, 4, 5).reshape(-1, c, size, size)
