"""Whole folders at once: dream every image of a folder into another, resuming where a run stopped.

Each output is written atomically (a finished file or none) and carries its settings
(:mod:`dreamlib.io.records`); an output whose stored settings equal this run's is complete
and is skipped, so re-running an interrupted command finishes the rest. The CLI runs it as
``dreamlib dream FOLDER -o OUTFOLDER``. Builds on notebook 04's :func:`dream`.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..errors import DreamError, DreamWarning
from ..images import load_image, save_image
from ..octaves import dream
from ..recipe import Recipe, for_model
from .records import dream_record, png_text, read_record

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


@dataclass
class FolderReport:
    """What :func:`dream_folder` did: outputs written, outputs already complete, inputs that failed (with why)."""

    dreamed: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: dict[Path, str] = field(default_factory=dict)


def folder_images(folder: str | os.PathLike) -> list[Path]:
    """The image files directly inside ``folder`` (by extension, sorted); a one-line error if there are none."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise DreamError(f"no such folder: {folder}")
    files = sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
    )
    if not files:
        raise DreamError(f"no images in {folder} (looked for {', '.join(IMAGE_SUFFIXES)})")
    return files


def output_paths(files: list[Path], out_dir: str | os.PathLike) -> dict[Path, Path]:
    """Each input's output, ``OUTFOLDER/<name>.png``; refuses two inputs that would share one (a.jpg, a.png)."""
    out_dir = Path(out_dir).expanduser()
    outputs = {f: out_dir / f"{f.stem}.png" for f in files}
    seen: dict[Path, Path] = {}
    for f, out in outputs.items():
        if out in seen:
            raise DreamError(f"{seen[out].name} and {f.name} would both be written to {out}; rename one")
        seen[out] = f
    if out_dir.exists() and not out_dir.is_dir():
        raise DreamError(f"output folder {out_dir} is a file")
    return outputs


def is_complete(path: Path, record: dict[str, str]) -> bool:
    """Whether ``path`` is a finished output of exactly these settings (writes are atomic: it exists whole or not)."""
    try:
        return path.is_file() and read_record(path) == record
    except DreamError:
        return False


def dream_folder(  # noqa: PLR0913 (keyword settings, each with a default)
    model: torch.nn.Module,
    folder: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    recipe: Recipe | None = None,
    size: int | None = 512,
    layer: str | None = None,
    objective=None,
    progress: bool = True,
    record_extra: dict | None = None,
    **settings,
) -> FolderReport:
    """Dream every image in ``folder`` into ``out_dir/<name>.png`` with the same :class:`dreamlib.Recipe`.

    The recipe is ``recipe`` (default: the model's own) with ``settings`` changed (``steps=5``, ...:
    :func:`dreamlib.dream`'s keywords); its ``seed`` is 0 unless you give one (a fixed seed: every output can be
    re-made, and a re-run recognises its outputs). Images are loaded at ``size`` (longest side); ``layer`` and
    ``objective`` are :func:`dreamlib.dream`'s (pass a :func:`dreamlib.faster` model to run fast). Outputs already
    complete for these settings are skipped; an input that cannot be read is reported (a one-line warning) and the
    others go on.
    ``record_extra`` adds fields to the settings stored in each PNG. Builds on notebook 04.
    """
    from tqdm.auto import tqdm

    recipe = (recipe or for_model(model, seed=0)).replace(**settings)
    if recipe.seed is None:
        recipe = recipe.replace(seed=0)
    in_dir, target = Path(folder).expanduser(), Path(out_dir).expanduser()
    files = folder_images(in_dir)
    if os.path.realpath(in_dir) == os.path.realpath(target):
        raise DreamError(f"the output folder is the input folder {in_dir}; choose another")
    outputs = output_paths(files, target)
    run = dict(layer=layer, objective=objective)
    report = FolderReport()
    bar = tqdm(files, desc="images", unit="image", disable=not progress)
    for f in bar:
        out = outputs[f]
        bar.set_postfix_str(f.name)
        record = dream_record(model, source=f, size=size, extra=record_extra, **run, **recipe.settings())
        if is_complete(out, record):
            report.skipped.append(out)
            continue
        try:
            image = load_image(f, max_size=size, dtype=torch.uint8)  # dream() owns its float copy
        except DreamError as exc:
            warnings.warn(f"skipped {f.name}: {exc}", DreamWarning, stacklevel=2)
            report.failed[f] = str(exc)
            continue
        result = dream(model, image, progress=False, **run, **recipe.settings())
        save_image(result, out, source=f, text=png_text(record))
        report.dreamed.append(out)
    return report
