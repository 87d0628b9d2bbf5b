"""The tutorial's DeepDream, written out as the baseline dreamlib is measured against.

As the original PyTorch tutorial ran it: torchvision InceptionV3 with
``transform_input=True``, forward hooks on its 13 named blocks, the *whole*
network run forward at every step, loss = mean of the target block's output,
the input gradient divided by its standard deviation and added (lr 0.01) to the
ImageNet-normalised image, float32, no jitter, no clamping, octaves (4 x 1.4)
with detail re-injection, smallest first. Parameters keep ``requires_grad=True``
as in the tutorial (so ``backward`` also computes weight gradients).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
import torchvision

HOOKED = (
    "Conv2d_3b_1x1",
    "Conv2d_4a_3x3",
    "Mixed_5b",
    "Mixed_5c",
    "Mixed_5d",
    "Mixed_6a",
    "Mixed_6b",
    "Mixed_6c",
    "Mixed_6d",
    "Mixed_6e",
    "Mixed_7a",
    "Mixed_7b",
    "Mixed_7c",
)
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


class TutorialDreamer:
    """InceptionV3 with a hook on each named block, as in the tutorial."""

    def __init__(self, state_dict: dict) -> None:
        self.net = torchvision.models.inception_v3(
            weights=None, aux_logits=True, transform_input=True, init_weights=False
        )
        self.net.load_state_dict(state_dict)
        self.net.eval()
        self.outputs: dict[str, torch.Tensor] = {}
        for name in HOOKED:
            getattr(self.net, name).register_forward_hook(lambda m, i, o, name=name: self.outputs.__setitem__(name, o))

    def step(self, x: torch.Tensor, layer: str, lr: float = 0.01) -> torch.Tensor:
        x = x.detach().requires_grad_(True)
        self.net.zero_grad(set_to_none=True)
        self.net(x)  # the whole network, every step
        loss = self.outputs[layer].mean()
        loss.backward()
        g = x.grad
        return (x + lr * g / g.std()).detach()

    def dream(
        self, image01: torch.Tensor, layer: str, octaves: int = 4, scale: float = 1.4, steps: int = 20
    ) -> torch.Tensor:
        mean, std = MEAN.to(image01.device), STD.to(image01.device)
        base = (image01 - mean) / std
        h, w = base.shape[2:]
        sizes = [(round(h / scale**i), round(w / scale**i)) for i in range(octaves)][::-1]
        detail = torch.zeros(1, 3, *sizes[0], device=image01.device)
        for size in sizes:
            plain = F.interpolate(base, size=size, mode="bilinear", align_corners=False)
            detail = F.interpolate(detail, size=size, mode="bilinear", align_corners=False)
            x = plain + detail
            for _ in range(steps):
                x = self.step(x, layer)
            detail = x - plain
        return (x * std + mean).clamp(0, 1)
