"""The neuron catalogue's web page: ``DIR/index.html`` with its pictures in ``DIR/images/``.

:func:`write_catalogue` turns the entries of :func:`dreamlib.vis.catalogue.catalogue` into one card per channel:
its feature visualisation beside its top dataset examples and, when the catalogue made them, a second row with the
channel's MACO render, where the gradient fell over that render, and its top example before and after
accentuation. No network, no scripts from elsewhere, sortable, one column on a phone, written atomically.
Taught in notebook 16 (the neuron catalogue).
"""

from __future__ import annotations

import html
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DreamError
from ..images import save_image
from ..io.files import existing_parent

if TYPE_CHECKING:
    from .catalogue import ChannelEntry

MARKER = '<meta name="generator" content="dreamlib catalogue">'

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
.extras {{ display: grid; grid-template-columns: repeat(4, 1fr); gap: 0.3rem; margin-top: 0.4rem; }}
img {{ width: 100%; height: auto; image-rendering: pixelated; display: block; }}
figure {{ margin: 0; }} figcaption {{ font-size: 0.7rem; color: #555; }}
button {{ font-size: 1rem; margin: 0 0.3rem 0.5rem 0; }}
</style></head><body>
<h1>{title}</h1>
<p>{intro}</p>
{legend}
<div>Sort by: {buttons}</div>
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

MACO_LEGEND = (
    "the channel's <b>MACO render</b> (only the phases of its spectrum optimised, the magnitudes fixed to those of "
    "natural photos: Fel et al., NeurIPS 2023), the render's <b>attribution map</b> (where the objective's gradient "
    "fell over the run; white where it fell most)"
)
ACCENT_LEGEND = (
    "its top example <b>before and after accentuation</b> (the example changed to raise the channel while staying "
    "near it: Hamblin, Fel et al. 2024)"
)


def _legend(entries: Sequence[ChannelEntry]) -> str:
    parts = [MACO_LEGEND] * any(e.maco is not None for e in entries)
    parts += [ACCENT_LEGEND] * any(e.accentuated is not None for e in entries)
    if not parts:
        return ""
    return f"<p>Below each card's first row: {' and '.join(parts)}. Numbers: the channel's mean activation.</p>"


def _figure(src: str, alt: str, caption: str, cls: str = "") -> str:
    kind = f' class="{cls}"' if cls else ""
    return f'<figure{kind}><img src="{src}" alt="{html.escape(alt)}"><figcaption>{caption}</figcaption></figure>'


def _card(entry: ChannelEntry, files: dict[str, str]) -> str:
    c = entry.index
    examples = "".join(
        _figure(files[f"e{c}_{k}"], f"example {k + 1} of channel {c}", f"{a:.2f}")
        for k, a in enumerate(entry.activations)
    )
    extras = []
    if entry.maco is not None:
        extras.append(_figure(files[f"m{c}"], f"MACO render of channel {c}", f"MACO render: {entry.maco_rendered:.2f}"))
        extras.append(
            _figure(
                files[f"a{c}"],
                f"attribution map of channel {c}'s MACO render",
                "attribution: where the gradient fell over the run",
            )
        )
    if entry.accentuated is not None:
        extras.append(
            _figure(files[f"e{c}_0"], f"top example of channel {c}", f"top example: {entry.accent_before:.2f}")
        )
        extras.append(
            _figure(
                files[f"x{c}"],
                f"top example of channel {c}, accentuated",
                f"accentuated: {entry.accent_before:.2f} &rarr; {entry.accent_after:.2f}",
            )
        )
    top = entry.activations[0] if entry.activations else 0.0
    data = f'data-index="{c}" data-top="{top:.6g}" data-rendered="{entry.rendered:.6g}"'
    if entry.maco is not None:
        data += f' data-maco="{entry.maco_rendered:.6g}"'
    title = f"channel {c}"
    if entry.part is not None:  # its network-dissection label (dreamlib.dissect, lesson 19)
        title += f": {html.escape(entry.part)} <small>(IoU {entry.iou:.3f})</small>"
        data += f' data-iou="{entry.iou:.6g}"'
    return (
        f'<div class="card" {data}><h2>{title}</h2><div class="row">'
        + _figure(files[f"v{c}"], f"visualisation of channel {c}", f"visualisation: {entry.rendered:.2f}", "vis")
        + f'<div class="examples">{examples}</div></div>'
        + (f'<div class="extras">{"".join(extras)}</div>' if extras else "")
        + "</div>"
    )


def _buttons(entries: Sequence[ChannelEntry]) -> str:
    keys = [("index", "channel"), ("top", "top example's activation"), ("rendered", "visualisation's activation")]
    if entries and all(e.maco is not None for e in entries):
        keys.append(("maco", "MACO render's activation"))
    return "".join(f'<button data-key="{key}">{label}</button>' for key, label in keys)


def check_output_dir(out: str | os.PathLike) -> Path:
    """``out`` as a Path if a catalogue may be written there: new, empty, or an earlier catalogue. Notebook 16."""
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


def _save_pictures(entries: Sequence[ChannelEntry], work: Path) -> dict[str, str]:
    """Every picture of every card into ``work/images``; returns its address on the page by key."""
    files = {}

    def save(key: str, image, name: str) -> None:
        save_image(image, work / name)
        files[key] = name

    for e in entries:
        stem = f"images/channel{e.index:04d}"
        save(f"v{e.index}", e.visualisation, f"{stem}.png")
        for k, example in enumerate(e.examples):
            save(f"e{e.index}_{k}", example, f"{stem}_example{k}.png")
        if e.maco is not None:
            save(f"m{e.index}", e.maco, f"{stem}_maco.png")
            save(f"a{e.index}", e.attribution.expand(3, -1, -1), f"{stem}_attribution.png")  # grey: white = most
        if e.accentuated is not None:
            save(f"x{e.index}", e.accentuated, f"{stem}_accentuated.png")
    return files


def write_catalogue(
    entries: Sequence[ChannelEntry], out: str | os.PathLike, title: str = "Neuron catalogue", intro: str = ""
) -> Path:
    """Write ``out/index.html`` and ``out/images/*.png``; returns the page's path.

    One card per entry of :func:`dreamlib.catalogue`: the visualisation and the top examples, then (where the
    entry has them) the MACO render, its attribution map as a grey picture, and the top example beside its
    accentuation, each captioned. Everything is written into a temporary folder beside ``out`` first and moved
    into place at the end, so a failure never leaves half a catalogue. Taught in notebook 16.
    """
    out = check_output_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        (work / "images").mkdir()
        files = _save_pictures(entries, work)
        page = PAGE.format(
            marker=MARKER,
            title=html.escape(title),
            intro=html.escape(intro),
            legend=_legend(entries),
            buttons=_buttons(entries),
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
