"""The settings behind a dreamed picture, stored inside its PNG and read back.

Every PNG the command line writes carries text chunks ``dreamlib:model``, ``dreamlib:steps``, ... with
everything needed to make it again: the input, the model and its weights (name, or the file's SHA-256), the
layer or objective, the :class:`dreamlib.Recipe` (octaves, scale, steps, step size, jitter, seed, tile,
parameterisation), the size, precision, device, whether the fast path ran, and dreamlib's version.
``dreamlib info FILE.png`` prints them and the command that re-makes the picture (same machine and
precision give the same pixels). Builds on notebook 04 (the settings of :func:`dreamlib.dream`).
"""

from __future__ import annotations

import hashlib
import os
import shlex
from pathlib import Path

import torch
from PIL import Image, UnidentifiedImageError

from ..errors import DreamError
from ..recipe import Recipe, for_model, names

PREFIX = "dreamlib:"  # PNG text keys are PREFIX + field
OBJECTIVE_OPTIONS = ("channel", "class", "guide")  # the objectives the command line can set
# The order `dreamlib info` prints the fields in; each recipe field is its own command-line option.
FIELDS = (
    "input",
    "input_sha256",
    "model",
    "weights",
    "weights_file",
    "weights_sha256",
    "layer",
    "objective",
    *OBJECTIVE_OPTIONS,
    *names(),
    "decay",
    "size",
    "precision",
    "device",
    "fast",
    "version",
)
NOT_OPTIONS = {
    "input",
    "input_sha256",
    "weights_file",
    "weights_sha256",
    "objective",
    "decorrelate",
    "decay",
    "fast",
    "version",
}


def option(field: str) -> str:
    """The command-line option that sets a recorded field: ``octave_scale`` -> ``--octave-scale``."""
    return "--" + field.replace("_", "-")


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
        from ..models import MODELS

        if model.name in MODELS:
            record["weights_file"] = MODELS[model.name].weights().url.rsplit("/", 1)[-1]
    elif os.path.isfile(weights):
        record["weights_sha256"] = file_sha256(weights)
    return record


def _input(source) -> dict[str, str]:
    from ..images import SAMPLE_PREFIX, sample_image_path

    text = str(source)
    path = None if "://" in text else Path(text).expanduser()
    if text.startswith(SAMPLE_PREFIX):
        path = sample_image_path(text[len(SAMPLE_PREFIX) :])
    record = {"input": text}
    if path is not None and path.is_file():
        record["input_sha256"] = file_sha256(path)
    return record


def _text(value) -> str:
    if isinstance(value, float):
        return repr(value)  # floats round-trip exactly, so a re-run gets the very same numbers
    return str(value)


def _recipe_fields(recipe: Recipe) -> dict:
    """The recipe's fields to record; a ``dl.Param`` becomes its kind, plus what the kind alone does not say."""
    fields = recipe.settings()
    param = fields["param"]
    if not isinstance(param, str):
        fields["param"] = param.kind
        if fields["decorrelate"] is None and param.decorrelate != (param.kind == "fft"):
            fields["decorrelate"] = param.decorrelate
        if param.decay != 1.0:
            fields["decay"] = float(param.decay)
    return fields


def dream_record(
    model: torch.nn.Module,
    *,
    source=None,
    size: int | None = None,
    layer: str | None = None,
    objective=None,
    extra: dict | None = None,
    **settings,
) -> dict[str, str]:
    """The settings of one :func:`dreamlib.dream` call as text fields, in the order ``dreamlib info`` prints them.

    ``source``: what was loaded (a path, URL or ``sample:NAME``); ``size``: the ``max_size`` it was loaded at;
    ``layer``, ``objective``: as given to :func:`dreamlib.dream` (its precision and whether it ran fast come from
    ``model``: a :func:`dreamlib.faster` model, or the network as built, in fp32); ``settings``: the
    recipe (``octaves=``, ``steps=``, ...; those not given take the model's own, as in :func:`dreamlib.dream`, and are
    checked like them); ``extra``: more fields to keep (the command line adds ``channel``, ``class``, ``guide``).
    Builds on notebook 04.
    """
    from .. import __version__
    from ..fast import FastModel, resolve_precision
    from ..models import as_dream_model

    recipe = for_model(model, **settings)
    dm = as_dream_model(model)
    record: dict[str, str] = _input(source) if source is not None else {}
    record["model"] = dm.name
    record.update(_weights(dm))
    if objective is None:
        record["layer"] = layer or dm.default_layer
    else:
        record["objective"] = getattr(objective, "name", repr(objective))
        if layer is not None:
            record["layer"] = layer
    values = {**(extra or {}), **_recipe_fields(recipe), "size": size}
    record.update({k: _text(v) for k, v in values.items() if v is not None})
    fast = isinstance(dm, FastModel)
    record["precision"] = resolve_precision(dm.precision, dm.device) if fast else "fp32"
    record["device"] = dm.device.type
    record["fast"] = str(fast)
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
    record = {k[len(PREFIX) :]: v for k, v in text.items() if k.startswith(PREFIX)}
    if not record:
        raise DreamError(f"{path} carries no dreamlib settings (only PNGs that dreamlib wrote do)")
    return record


def rerun_command(record: dict[str, str], output: str = "again.png", program: str = "dreamlib") -> str:
    """The command line that dreams the recorded picture again (same machine and precision: same pixels).

    Notebook 04.
    """
    if "input" not in record:
        raise DreamError("the settings do not name their input image, so the picture cannot be re-made")
    if "seed" not in record:
        raise DreamError("the picture was dreamed without a seed (random jitter), so it cannot be re-made exactly")
    if "objective" in record and not set(OBJECTIVE_OPTIONS) & set(record):
        raise DreamError(f"objective {record['objective']} was set in Python; the command line cannot re-make it")
    for field in ("decorrelate", "decay"):
        if field in record:
            raise DreamError(f"{field} was set in Python; the command line cannot re-make it")
    from ..models import available_models

    if record.get("model") not in available_models() or record.get("weights") == "custom":
        raise DreamError(f"the model ({record.get('model')}) was built in Python; the command line cannot re-make it")
    if "size" not in record:
        raise DreamError("the input was dreamed at its full size, not loaded at a size the command line can ask for")
    options = []
    for field in FIELDS:
        if field in record and field not in NOT_OPTIONS and not (field == "device" and record[field] == "meta"):
            options += [option(field), record[field]]
    if record.get("fast") == "False":
        options.append("--no-fast")
    source = record["input"]
    if source.startswith("-"):  # a file named like an option: after "--", it is the input
        words = ["dream", "-o", output, *options, "--", source]
    else:
        words = ["dream", source, "-o", output, *options]
    return f"{program} {shlex.join(words)}"
