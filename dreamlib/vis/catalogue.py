"""A neuron catalogue: for every channel of a layer, what it draws and which real images excite it most.

A feature visualisation (:func:`dreamlib.render`) shows what a channel
*would* respond to most; the top dataset examples show what it *does* respond
to in real data. Olah et al. ("Feature Visualization", Distill 2017, section
"Dataset Examples") show both side by side because each can mislead alone:
examples mix a channel's feature with whatever co-occurs with it, and a
visualisation can show a feature that never occurs in the data.
:func:`catalogue` computes both and :func:`write_catalogue` writes a page,
``DIR/index.html``, with its pictures in ``DIR/images/``: no network, no
scripts from elsewhere, sortable by channel or by activation, readable on a
phone. For the shapes model the examples come from its own data generator
(:func:`dreamlib.shapes.make_batch`); for other models from a folder of
images. Taught in notebook 10 (the neuron catalogue).
"""

from __future__ import annotations

import html
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..errors import DreamError
from ..hooks import forward_until
from ..images import load_image, resize, save_image
from ..io.files import existing_parent
from ..models import as_dream_model
from ..objectives import Activations, Objective, activation
from ..recipe import CATALOGUE
from .render import render

MARKER = '<meta name="generator" content="dreamlib catalogue">'


@dataclass
class ChannelEntry:
    """One channel: its visualisation, its top examples and their activations (mean over positions)."""

    index: int
    visualisation: torch.Tensor  # (3, H, W) in [0, 1]
    examples: list[torch.Tensor] = field(default_factory=list)  # each (3, h, w)
    activations: list[float] = field(default_factory=list)  # of each example, highest first
    rendered: float = 0.0  # the channel's mean activation on its own visualisation


def channels_objective(layer: str, channels: Sequence[int]) -> Objective:
    """Image ``i`` of a batch maximises channel ``channels[i]`` of ``layer``: one render for many channels."""
    index = torch.as_tensor(list(channels))

    def fn(a: Activations) -> torch.Tensor:
        x = activation(a, layer)
        return x[torch.arange(len(index)), index.to(x.device)].flatten(1).mean(1)

    return Objective(fn, [layer], f"channels({layer})")


def dataset_examples(model, images: torch.Tensor, layer: str, chunk: int = 64) -> torch.Tensor:
    """Mean activation of every channel of ``layer`` on each image: (N, channels), on the CPU."""
    dm = as_dream_model(model)
    rows = []
    with torch.no_grad():
        for start in range(0, len(images), chunk):
            acts = activation(forward_until(dm, images[start : start + chunk], layer), layer)
            rows.append(acts.flatten(2).mean(2).float().cpu())
    return torch.cat(rows)


def list_images(folder: str | os.PathLike) -> list[Path]:
    """The .png/.jpg/.jpeg files directly inside ``folder``, sorted by name."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise DreamError(f"no such folder of images: {str(folder)!r}")
    return sorted(p for p in path.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg") and p.is_file())


def example_images(
    model, folder: str | os.PathLike | None = None, count: int = 512, size: int = 128, seed: int = 0
) -> torch.Tensor:
    """The images to search: ``folder``'s (each resized to ``size`` x ``size``), else the shapes training data.

    Without a folder only the shapes model has data of its own (``count``
    images from :func:`dreamlib.shapes.make_batch` with ``seed``).
    """
    if folder is not None:
        paths = list_images(folder)
        if not paths:
            raise DreamError(f"no images (.png, .jpg, .jpeg) found in {str(folder)!r}")
        return torch.cat([resize(load_image(p, max_size=None), (size, size)) for p in paths])
    if getattr(model, "name", None) != "shapes":
        raise DreamError(
            f"{getattr(model, 'name', 'this model')} has no data of its own: give a folder of images (--images FOLDER)"
        )
    from ..shapes.data import make_batch

    return make_batch(count, torch.Generator().manual_seed(seed))[0]


def catalogue(
    model,
    layer: str,
    *,
    channels: Sequence[int] | None = None,
    images: torch.Tensor | None = None,
    top: int = 6,
    size: int = CATALOGUE.size,
    steps: int = CATALOGUE.steps,
    seed: int = 0,
    progress: bool = True,
    chunk: int = 32,
    fast: bool = True,
) -> list[ChannelEntry]:
    """Visualise each channel of ``layer`` and find its ``top`` examples among ``images`` (N, 3, H, W).

    ``channels`` defaults to all of them; ``images`` to the shapes model's
    own data (:func:`example_images`). Visualisations come from :func:`render`
    with the FFT parameterisation, ``chunk`` channels per batch (``fast`` as in
    :func:`render`). Taught in notebook 10.
    """
    dm = as_dream_model(model)
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise DreamError(f"top must be a whole number >= 1, got {top!r}")
    images = example_images(dm) if images is None else images
    scores = dataset_examples(dm, images, layer)
    count = scores.shape[1]
    channels = list(range(count)) if channels is None else list(channels)
    for c in channels:
        if isinstance(c, bool) or not isinstance(c, int) or not 0 <= c < count:
            raise DreamError(f"channel {c!r} is out of range for {layer} (valid: 0..{count - 1})")
    if not channels:
        raise DreamError("no channels to catalogue")
    entries = []
    for start in range(0, len(channels), chunk):
        group = channels[start : start + chunk]
        pictures = render(
            dm,
            channels_objective(layer, group),
            size=size,
            steps=steps,
            seed=seed + start,
            batch=len(group),
            progress=progress,
            fast=fast,
        )
        rendered = dataset_examples(dm, pictures, layer)
        for i, c in enumerate(group):
            best = scores[:, c].argsort(descending=True)[:top]
            entries.append(
                ChannelEntry(
                    c,
                    pictures[i],
                    [images[j].cpu().float() for j in best],
                    [float(scores[j, c]) for j in best],
                    float(rendered[i, c]),
                )
            )
    return entries


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{marker}
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 0.5rem; background: #fafafa; color: #222; }}
h1 {{ font-size: 1.2rem; }}
#cards {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 22rem), 1fr)); gap: 0.6rem; }}
.card {{ background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 0.5rem; }}
.card h2 {{ font-size: 1rem; margin: 0 0 0.3rem; }}
.row {{ display: flex; gap: 0.3rem; align-items: flex-start; }}
.vis {{ width: 40%; }}
.examples {{ display: grid; grid-template-columns: repeat(3, 1fr); gap: 2px; width: 60%; }}
img {{ width: 100%; height: auto; image-rendering: pixelated; display: block; }}
figure {{ margin: 0; }} figcaption {{ font-size: 0.7rem; color: #555; }}
button {{ font-size: 1rem; margin: 0 0.3rem 0.5rem 0; }}
</style></head><body>
<h1>{title}</h1>
<p>{intro}</p>
<div>Sort by: <button data-key="index">channel</button><button data-key="top">top example's activation</button>
<button data-key="rendered">visualisation's activation</button></div>
<div id="cards">
{cards}
</div>
<script>
document.querySelectorAll("button[data-key]").forEach(function (b) {{
  b.addEventListener("click", function () {{
    var key = b.dataset.key, box = document.getElementById("cards");
    var cards = Array.prototype.slice.call(box.children);
    cards.sort(function (x, y) {{
      var a = parseFloat(x.dataset[key]), c = parseFloat(y.dataset[key]);
      return key === "index" ? a - c : c - a;
    }});
    cards.forEach(function (card) {{ box.appendChild(card); }});
  }});
}});
</script>
</body></html>
"""


def _card(entry: ChannelEntry, files: dict[str, str]) -> str:
    examples = "".join(
        f'<figure><img src="{files[f"e{entry.index}_{k}"]}" alt="example {k + 1} of channel {entry.index}">'
        f"<figcaption>{a:.2f}</figcaption></figure>"
        for k, a in enumerate(entry.activations)
    )
    top = entry.activations[0] if entry.activations else 0.0
    return (
        f'<div class="card" data-index="{entry.index}" data-top="{top:.6g}" data-rendered="{entry.rendered:.6g}">'
        f'<h2>channel {entry.index}</h2><div class="row">'
        f'<figure class="vis"><img src="{files[f"v{entry.index}"]}" alt="visualisation of channel {entry.index}">'
        f"<figcaption>visualisation: {entry.rendered:.2f}</figcaption></figure>"
        f'<div class="examples">{examples}</div></div></div>'
    )


def check_output_dir(out: str | os.PathLike) -> Path:
    """``out`` as a Path if a catalogue may be written there: new, empty, or an earlier catalogue."""
    out = Path(out).expanduser()
    if out.exists():
        if not out.is_dir():
            raise DreamError(f"output {str(out)!r} is a file; give a folder for the catalogue")
        index = out / "index.html"
        ours = index.is_file() and MARKER in index.read_text(encoding="utf-8", errors="replace")[:2000]
        if any(out.iterdir()) and not ours:
            raise DreamError(f"output folder {str(out)!r} is not empty and holds no earlier catalogue; choose another")
    parent = existing_parent(out)
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise DreamError(f"cannot write {str(out)!r}: the location is not writable")
    return out


def write_catalogue(
    entries: Sequence[ChannelEntry], out: str | os.PathLike, title: str = "Neuron catalogue", intro: str = ""
) -> Path:
    """Write ``out/index.html`` and ``out/images/*.png``; returns the page's path.

    Everything is written into a temporary folder beside ``out`` first and
    moved into place at the end, so a failure never leaves half a catalogue.
    Taught in notebook 10.
    """
    out = check_output_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        (work / "images").mkdir()
        files = {}
        for e in entries:
            name = f"images/channel{e.index:04d}.png"
            save_image(e.visualisation, work / name)
            files[f"v{e.index}"] = name
            for k, example in enumerate(e.examples):
                name = f"images/channel{e.index:04d}_example{k}.png"
                save_image(example, work / name)
                files[f"e{e.index}_{k}"] = name
        page = PAGE.format(
            marker=MARKER,
            title=html.escape(title),
            intro=html.escape(intro),
            cards="\n".join(_card(e, files) for e in entries),
        )
        (work / "index.html").write_text(page, encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return out / "index.html"
