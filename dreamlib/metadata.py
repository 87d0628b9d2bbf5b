"""The settings behind a dreamed picture, stored inside its PNG and read back.

Every PNG the command line writes carries text chunks ``dreamlib:model``,
``dreamlib:steps``, ... with everything needed to make it again: the input, the
model and its weights (name, or the file's SHA-256), the layer or objective, the
octaves, scale, steps, step size, jitter, seed, precision, device and dreamlib's
version. ``dreamlib info FILE.png`` prints them and the command that re-makes the
picture (same machine and precision give the same pixels). Taught in notebook 04
(the settings of :func:`dream`).
"""

from __future__ import annotations

import hashlib
import os
import shlex
from pathlib import Path

import torch
from PIL import Image, UnidentifiedImageError

from .device import resolve_precision
from .errors import DreamError
from .images import SAMPLE_PREFIX

PREFIX = "dreamlib:"  # PNG text keys are PREFIX + field
# The order `dreamlib info` prints them in; the ones a re-run passes back as options are mapped in _OPTIONS.
FIELDS = ("input", "input_sha256", "model", "weights", "weights_file", "weights_sha256", "layer", "objective",
          "channel", "class", "guide", "octaves", "octave_scale", "steps", "lr", "jitter", "size", "seed",
          "precision", "device", "tile", "version")
_OPTIONS = {"model": "--model", "weights": "--weights", "layer": "--layer", "channel": "--channel", "class": "--class",
            "guide": "--guide", "octaves": "--octaves", "octave_scale": "--octave-scale", "steps": "--steps",
            "lr": "--lr", "jitter": "--jitter", "size": "--size", "seed": "--seed", "precision": "--precision",
            "device": "--device", "tile": "--tile"}


def file_sha256(path: str | os.PathLike) -> str:
    """The SHA-256 of a file, in hex (how a weights file or an input image is identified)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _weights(model) -> dict[str, str]:
    weights = str(getattr(model, "weights", "custom"))
    record = {"weights": weights}
    if weights == "imagenet":
        from .models import MODELS

        if model.name in MODELS:
            record["weights_file"] = MODELS[model.name].weights().url.rsplit("/", 1)[-1]
    elif os.path.isfile(weights):
        record["weights_sha256"] = file_sha256(weights)
    return record


# The settings of dream() that a record keeps; their defaults are read from dream() itself.
SETTINGS = ("layer", "objective", "octaves", "octave_scale", "steps", "lr", "jitter", "seed", "precision", "tile")


def dream_record(model: torch.nn.Module, *, source=None, size: int | None = None, **settings) -> dict[str, str]:
    """The settings of one :func:`dream` call as text fields (the arguments of :func:`dream`, plus the input).

    ``source``: what was loaded (a path, URL or ``sample:NAME``); ``size``: the ``max_size`` it was loaded at;
    ``settings``: :func:`dream`'s keyword arguments (``layer``, ``octaves``, ``steps``, ...; the ones not given
    take :func:`dream`'s defaults) and more fields to keep (the command line adds ``channel``, ``class``,
    ``guide``). Notebook 04.
    """
    import inspect

    from .models import as_dream_model
    from .octaves import dream

    defaults = inspect.signature(dream).parameters
    given = {**{k: defaults[k].default for k in SETTINGS}, **settings}
    layer, objective, precision = given.pop("layer"), given.pop("objective"), given.pop("precision")
    dm = as_dream_model(model)
    record: dict[str, str] = {}
    if source is not None:
        record["input"] = str(source)
        text = str(source)
        path = None if "://" in text else Path(text).expanduser()
        if text.startswith(SAMPLE_PREFIX):
            from .images import sample_image_path

            path = sample_image_path(text[len(SAMPLE_PREFIX):])
        if path is not None and path.is_file():
            record["input_sha256"] = file_sha256(path)
    record["model"] = dm.name
    record.update(_weights(dm))
    if objective is None:
        record["layer"] = layer or dm.default_layer
    else:
        record["objective"] = getattr(objective, "name", repr(objective))
        if layer is not None:
            record["layer"] = layer
    values = dict(given, size=size)
    # repr: floats round-trip exactly, so a re-run gets the very same numbers
    record.update({k: (repr(v) if isinstance(v, float) else str(v)) for k, v in values.items() if v is not None})
    record["precision"] = resolve_precision(precision, dm.device)
    record["device"] = dm.device.type
    from . import __version__

    record["version"] = __version__
    return {k: record[k] for k in sorted(record, key=lambda k: FIELDS.index(k) if k in FIELDS else len(FIELDS))}


def png_text(record: dict[str, str]) -> dict[str, str]:
    """PNG text chunks (``dreamlib:FIELD`` -> value) for :func:`save_image`'s ``text=``, from :func:`dream_record`."""
    return {PREFIX + key: value for key, value in record.items()}


def read_record(path: str | os.PathLike) -> dict[str, str]:
    """The settings stored in a PNG that dreamlib wrote; one-line :class:`DreamError` if there are none. Notebook 04."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise DreamError(f"no such file: {path}")
    try:
        with Image.open(path) as im:
            im.load()
            text = dict(getattr(im, "text", {}) or {})
    except (UnidentifiedImageError, OSError) as exc:
        raise DreamError(f"{path} is not an image dreamlib can read ({exc})") from None
    record = {k[len(PREFIX):]: v for k, v in text.items() if k.startswith(PREFIX)}
    if not record:
        raise DreamError(f"{path} carries no dreamlib settings (only PNGs that dreamlib wrote do)")
    return record


def rerun_command(record: dict[str, str], output: str = "again.png", program: str = "dreamlib") -> str:
    """The command line that dreams the recorded picture again (same machine and precision: same pixels). Notebook 04."""
    if "input" not in record:
        raise DreamError("the settings do not name their input image, so the picture cannot be re-made")
    if "seed" not in record:
        raise DreamError("the picture was dreamed without a seed (random jitter), so it cannot be re-made exactly")
    words = ["dream", record["input"], "-o", output]
    if "objective" in record and not {"channel", "class", "guide"} & set(record):
        raise DreamError(f"objective {record['objective']} was set in Python; the command line cannot re-make it")
    for field, option in _OPTIONS.items():
        if field in record and not (field == "device" and record[field] == "meta"):
            words += [option, record[field]]
    return f"{program} {shlex.join(words)}"
