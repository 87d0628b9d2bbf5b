"""The shapes network: :class:`ShapesNet`, how it is trained and measured, and its shipped weights.

Part of :mod:`dreamlib.shapes`. Taught in notebooks 09 (training), 10 (adversarial training and the ordinary
twin) and 11 (the skewed twin).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from importlib import resources
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import check_index, check_non_negative
from ..errors import DreamError, DreamWarning, WeightsUnavailableError
from ..recipe import Recipe
from .data import CLASSES, class_shares, make_batch

# The skewed twin's data: dog faces in 45% of the images, the other nine classes share the rest equally.
SKEWED_CLASS_WEIGHTS = tuple(0.45 if name == "dogs" else 0.55 / (len(CLASSES) - 1) for name in CLASSES)
WIDTHS = (16, 32, 48, 64, 96, 128)
STRIDES = (1, 2, 2, 2, 2, 1)  # receptive fields 3, 5, 9, 17, 33, 65 px
CHUNK = 8  # training draws this many batches at a time
# How the shipped dreamer and its skewed twin are trained (scripts/train_shapes.py): adversarially, with an L2 budget
# of 0.75 (in [0, 1] pixel units, about 1.6% of a typical 48x48 picture's norm) ramped up over the first half, one
# attack step.
ROBUST_RECIPE = {"steps": 1500, "epsilon": 0.75, "attack_steps": 1}
# The ordinary twin (lessons 10 and 12, ``weights="ordinary"``): the same recipe and seed without the attack, so its
# input gradients are the noisy ones of an ordinarily trained network. 97.9% held-out accuracy (the shipped one: 96.6%);
# lesson 10's one-step attack at epsilon 0.75 leaves it 45% right on 300 held-out pictures, the shipped one 83%.
ORDINARY_RECIPE = dict(ROBUST_RECIPE, epsilon=0.0)
# The photo dreamer of `make demo` and the README (``load_model("shapes_dreamer")``): the same network trained with
# twice the budget (1.5, about 3% of a typical picture's norm) for 4000 steps. By eye its dreams of photos show whole
# faces (a head, two eyes, a smile) where the shipped model's show rows of eyes and windows; the judges do not confirm
# it (lesson 10). scripts/train_shapes.py has what else was tried. It dreams on conv6 unless told otherwise.
DREAMER_RECIPE = {"steps": 4000, "epsilon": 1.5, "attack_steps": 1}
DREAMER_LAYER = "conv6"
# ... and the settings it dreams photos with when the caller does not choose (its ``recipe``: make demo, the command
# line, the lessons on the offline path): 4 octaves 2.0 apart (the smallest a 384-px photo's is 48 px, this world's
# picture size), 15 steps. scripts/dream_settings.py measured them on the five bundled photos at 384 px, three seeds:
# both judges name an object (not stripes) in 9.3-11.0% of the dreams' patches, against 6.4-8.5% with the 2015
# DeepDream's 1.4 apart and 10 steps and 7.0-8.9% with the defaults' 20 (the photos themselves: 1.7%).
DREAMER_DREAM = Recipe(octave_scale=2.0, steps=15)


class ShapesNet(nn.Sequential):
    """Six conv blocks and a linear classifier; blocks conv1..conv6 are the ones to dream on.

    conv1..conv5 are conv-BatchNorm-ReLU; widths grow from 16 to 128 channels and
    strides (1, 2, 2, 2, 2, 1) grow the receptive field from 3 px at conv1 to
    65 px at conv6, more than a whole 48x48 image. The deepest block, conv6, is
    a plain conv-ReLU, like every layer of the GoogLeNet of the original
    DeepDream: batch norm rescales each channel to the statistics of the
    training data, which would hide how often a feature was seen there, and
    lesson 11 is about exactly that (in an earlier version, with batch norm in conv6 too,
    the twin trained on more eyes dreamed *fewer* eyes than the balanced model).
    ``last_norm=True`` gives conv6 batch norm too (lesson 11's batch-norm arm); ``classes`` is the number of outputs.
    Taught in notebook 09.
    """

    def __init__(self, classes: int = len(CLASSES), last_norm: bool = False) -> None:
        super().__init__()
        widths = (3, *WIDTHS)
        for i, stride in enumerate(STRIDES):
            plain = i == len(STRIDES) - 1 and not last_norm
            conv = nn.Conv2d(widths[i], widths[i + 1], 3, stride=stride, padding=1, bias=plain)
            if conv.bias is None:
                block = nn.Sequential(conv, nn.BatchNorm2d(widths[i + 1]), nn.ReLU())
            else:  # the last block: no batch norm, so an initialisation that keeps the signal's scale
                nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
                nn.init.zeros_(conv.bias)
                block = nn.Sequential(conv, nn.ReLU())
            self.add_module(f"conv{i + 1}", block)
        self.add_module("pool", nn.AdaptiveAvgPool2d(1))
        self.add_module("flatten", nn.Flatten())
        self.add_module("fc", nn.Linear(widths[-1], classes))


MEAN, STD = (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)
LAYERS = ("conv1", "conv2", "conv3", "conv4", "conv5", "conv6")
DEFAULT_LAYER = "conv5"
DEPTH_LAYERS = ("conv2", "conv4", "conv5", "conv6")  # receptive fields 5, 17, 33 and 65 px
# How a ShapesNet is described to DreamModel, whichever weights it has (load(), and lesson 11's twins)
DESCRIPTION = {"layers": LAYERS, "min_size": 16, "default_layer": DEFAULT_LAYER, "depth_layers": DEPTH_LAYERS}
# shipped: balanced classes; skewed: 45% dogs (lesson 11); ordinary: balanced, not adversarially trained (10, 12)
WEIGHTS = ("shipped", "skewed", "ordinary", "random")


def _stats(device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """``MEAN`` and ``STD`` as (1, 3, 1, 1) tensors on ``device``, to normalise [0, 1] pictures for the raw net."""
    return torch.tensor(MEAN, device=device).view(1, 3, 1, 1), torch.tensor(STD, device=device).view(1, 3, 1, 1)


def l2_attack(
    net: nn.Module, images: torch.Tensor, labels: torch.Tensor, epsilon: float, steps: int = 3
) -> torch.Tensor:
    """The images each moved by at most ``epsilon`` (L2 norm, in [0, 1] pixel units) to raise ``net``'s loss.

    Projected gradient ascent (Madry et al. 2018) with ``steps`` steps of size ``2.5 * epsilon / steps``; ``net``
    takes normalised input (``MEAN``, ``STD``). Training on these images instead of the clean ones is adversarial
    training: it makes the network's input gradients look like the things it recognises (Santurkar et al. 2019;
    Engstrom et al. 2019), so its dreams do too. ``net`` keeps its mode: during :func:`train` its batch norm also
    sees the attack's forward passes, as in the shipped weights' training. Taught in notebook 10.
    """
    mean, std = _stats(images.device)
    delta = torch.zeros_like(images, requires_grad=True)
    for _ in range(steps):
        loss = F.cross_entropy(net((images + delta - mean) / std), labels)
        (grad,) = torch.autograd.grad(loss, delta)
        with torch.no_grad():
            delta += 2.5 * epsilon / steps * grad / grad.flatten(1).norm(dim=1).clamp(min=1e-12).view(-1, 1, 1, 1)
            delta *= (epsilon / delta.flatten(1).norm(dim=1).clamp(min=1e-12)).clamp(max=1).view(-1, 1, 1, 1)
            delta.copy_((images + delta).clamp(0, 1) - images)
    return (images + delta).detach()


def train(  # noqa: PLR0913 (keyword settings, each with a default)
    steps: int = 600,
    batch_size: int = 64,
    lr: float = 3e-3,
    seed: int = 0,
    progress: bool = True,
    callback: Callable[[int, float, float], None] | None = None,
    class_weights: Sequence[float] | None = None,
    architecture: Callable[[], nn.Module] = ShapesNet,
    epsilon: float = 0.0,
    attack_steps: int = 3,
    classes: Sequence[str] = CLASSES,
) -> nn.Module:
    """Train a fresh :class:`ShapesNet` on freshly generated batches; returns it in eval mode.

    ``class_weights`` (one number per class, passed to :func:`make_batch`) sets
    how often each class is shown: ``None`` is balanced, a 0 leaves a class out,
    :data:`SKEWED_CLASS_WEIGHTS` makes the dog-obsessed twin.
    ``epsilon`` > 0 trains adversarially (:func:`l2_attack` with ``attack_steps`` steps), the budget ramped up
    from 0 over the first half of the run: the robust dreamer. ``callback(step, loss, batch_accuracy)`` is
    called after every step (the notebook plots it). ``classes`` (default the ten :data:`CLASSES`) are the classes
    to draw and tell apart (lesson 11's breeds arm splits dogs into breeds); ``class_weights`` then has one number
    per entry. ``architecture(number_of_classes)`` builds the network to train (the judge of
    notebook 10 is a :class:`dreamlib.shapes.judge.JudgeNet`). Deterministic for a given seed on one machine.
    Taught in notebook 09.
    """
    from tqdm.auto import tqdm

    class_shares(class_weights, classes)  # a bad value fails here, before any work
    check_non_negative("epsilon", epsilon)  # 0: ordinary training
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    net = architecture(len(classes))
    mean, std = _stats(torch.device("cpu"))
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    bar = tqdm(range(steps), desc="training", disable=not progress)
    for step in bar:
        if step % CHUNK == 0:  # drawing several batches at once is quicker per image
            pool = make_batch(batch_size * min(CHUNK, steps - step), g, weights=class_weights, classes=classes)
        at = step % CHUNK * batch_size
        images, labels = pool[0][at : at + batch_size], pool[1][at : at + batch_size]
        if epsilon > 0:
            images = l2_attack(net, images, labels, epsilon * min(1.0, 2 * step / steps), attack_steps)
        logits = net((images - mean) / std)
        loss = F.cross_entropy(logits, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        acc = (logits.argmax(1) == labels).float().mean().item()
        bar.set_postfix(loss=f"{loss.item():.3f}", acc=f"{acc:.0%}")
        if callback is not None:
            callback(step, loss.item(), acc)
    return net.eval()


def _device(model: nn.Module) -> torch.device:
    param = next(iter(model.parameters()), None)
    return param.device if param is not None else torch.device("cpu")


def _predictions(model: nn.Module, images: torch.Tensor, chunk: int = 256) -> torch.Tensor:
    """Top-1 class of each image, computed on the model's device without gradients; returned on the CPU."""
    device = _device(model)
    with torch.no_grad():
        return torch.cat(
            [model(images[i : i + chunk].to(device)).argmax(1).cpu() for i in range(0, len(images), chunk)]
        )


def accuracy(model: nn.Module, n: int = 600, seed: int = 12345, classes: Sequence[str] = CLASSES) -> float:
    """Accuracy on ``n`` balanced held-out images (a generator seed never used in training).

    The images go to the model's device (CPU or GPU); ``classes`` are the ones the model tells apart (lesson 11's
    breeds arm has its own). Taught in notebook 09.
    """
    images, labels = make_batch(n, torch.Generator().manual_seed(seed), classes=classes)
    return (_predictions(model, images) == labels).float().mean().item()


def class_accuracy(
    model: nn.Module, n: int = 1000, seed: int = 12345, classes: Sequence[str] = CLASSES
) -> dict[str, float]:
    """Held-out accuracy of each class, ``{name: fraction correct}``, on ``n`` balanced images of ``classes``.

    Shows what a network never saw: after training with a class's weight at 0,
    that class scores 0. Taught in notebook 09 (the remove-a-class exercise).
    """
    images, labels = make_batch(n, torch.Generator().manual_seed(seed), classes=classes)
    right = _predictions(model, images) == labels
    return {
        name: right[labels == k].float().mean().item() if (labels == k).any() else float("nan")
        for k, name in enumerate(classes)
    }


def class_share(model: nn.Module, images: torch.Tensor, index: int | str) -> float:
    """The fraction of ``images`` ((N, 3, H, W) in [0, 1]) whose top-1 class under ``model`` is ``index``.

    ``index`` is a class number or a name from ``model.categories``. Lesson 11's
    experiment counts the dream patches a judge calls dogs with it (:func:`dreamlib.shapes.dog_share`).
    Runs on the model's device, without gradients. Taught in notebook 11.
    """
    categories = list(getattr(model, "categories", None) or CLASSES)
    if isinstance(index, str):
        if index not in categories:
            raise DreamError(f"unknown class {index!r}; valid classes: {', '.join(categories)}")
        index = categories.index(index)
    check_index("class", index, len(categories))
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] != 3 or not len(images):
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise DreamError(f"class_share needs a non-empty (N, 3, H, W) batch of images, got {shape}")
    return (_predictions(model, images) == index).float().mean().item()


def shipped_weights(which: str = "shipped"):
    """The packaged state dict file: ``"shipped"`` (balanced), ``"skewed"`` (dog-heavy twin) or ``"ordinary"``
    (the twin trained without adversarial examples).

    All three are made by ``scripts/train_shapes.py``. Taught in notebook 09.
    """
    files = {"shipped": "shapes.pth", "skewed": "shapes_skewed.pth", "ordinary": "shapes_ordinary.pth"}
    if which not in files:
        raise DreamError(f"unknown shipped shapes weights {which!r}; choose one of: {', '.join(files)}")
    return resources.files("dreamlib.shapes").joinpath("weights", files[which])


def load(weights: str | None = None, device: str = "auto"):
    """The shapes model as ``load_model("shapes", weights, device)`` returns it: a frozen :class:`DreamModel`.

    ``weights``: ``"shipped"`` (default; trained on balanced classes), ``"skewed"``
    (the same recipe with dog faces in 45% of the images, notebook 11), ``"ordinary"``
    (the same recipe without the adversarial examples, :data:`ORDINARY_RECIPE`, notebooks 10 and 12), ``"random"``,
    or a path to a state dict. Taught in notebook 09.
    """
    return frozen_model(
        "shapes",
        ShapesNet(),
        weights or "shipped",
        {w: shipped_weights(w) for w in WEIGHTS if w != "random"},
        device,
        **DESCRIPTION,
    )


def load_dreamer(weights: str | None = None, device: str = "auto"):
    """``load_model("shapes_dreamer", weights, device)``: the shapes network trained with :data:`DREAMER_RECIPE`, a
    frozen :class:`DreamModel` whose default layer is conv6 (the photo dreamer of ``make demo`` and the README).

    ``weights``: ``"shipped"`` (default), ``"random"`` or a path to a state dict. Taught in notebook 10 (robust
    dreamers).
    """
    shipped = {"shipped": resources.files("dreamlib.shapes").joinpath("weights", "shapes_dreamer.pth")}
    return frozen_model(
        "shapes_dreamer",
        ShapesNet(),
        weights or "shipped",
        shipped,
        device,
        **{**DESCRIPTION, "default_layer": DREAMER_LAYER},
    )


def frozen_model(name: str, net: nn.Module, weights: str, shipped: dict, device: str, **description):
    """``net`` with ``weights`` loaded (a name from ``shipped``, a file, or ``"random"``), frozen, as a
    :class:`DreamModel` described by ``description`` (layers, sizes), on ``device``: how the shapes world's
    networks load (:func:`load`, :func:`dreamlib.shapes.transformer.load`). Taught in notebook 09."""
    from ..device import resolve_device
    from ..dream_model import DreamModel
    from ..io.weights import load_state_file

    if weights == "random":
        warnings.warn(
            f"{name} has random weights: it has learned nothing, so its dreams will be noise",
            DreamWarning,
            stacklevel=4,
        )
    else:
        if weights in shipped:
            with resources.as_file(shipped[weights]) as path:
                state = torch.load(path, map_location="cpu", weights_only=True)
        else:
            named = ", ".join(repr(w) for w in (*shipped, "random"))
            state = load_state_file(name, weights, named=named)
        try:
            net.load_state_dict(state)
        except RuntimeError:
            raise WeightsUnavailableError(f"weights {weights!r} do not fit the {name} model") from None
    for p in net.parameters():
        p.requires_grad_(False)
    description = {"categories": CLASSES, **description}
    model = DreamModel(net, mean=MEAN, std=STD, name=name, weights=weights, **description)
    return model.to(resolve_device(device)).eval()
