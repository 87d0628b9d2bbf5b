"""dreamlib: DeepDream in PyTorch, the companion library of the notebook series.

Each function's docstring names the notebook that teaches it:

- 01 hooks:            :func:`capture_activations`, :func:`forward_until`, :func:`load_model`
- 02 preprocessing:    :func:`load_image`, :func:`save_image`, :func:`sample_image`, :class:`DreamModel`
- 03 gradient ascent:  :func:`normalize_gradient`, :func:`ascent_step`, :func:`layer_mean`
- 04 octaves:          :func:`octave_sizes`, :func:`dream`
- 05 layer comparison: :func:`compare_layers`, :func:`show_grid`, :func:`receptive_field`, :func:`receptive_field_size`
- 06 why dogs:         :func:`top_classes`, :func:`dog_probability`, :func:`class_logit`,
                       :func:`dreamlib.shapes.class_share`, ``load_model("shapes", weights="skewed")``
- 07 your own dreamer: :mod:`dreamlib.shapes`, ``load_model("shapes")``
- 08 beyond:           :func:`channel`, :func:`neuron`, :func:`guide`, ``dream(tile=...)``, :func:`zoom`
- 09 feature visualisation: :func:`render`, :class:`Param`, :func:`high_frequency_energy`, :func:`diversity`,
                       :func:`direction`, ``dream(param="fft")``, :mod:`dreamlib.param`,
                       :mod:`dreamlib.transforms`, :mod:`dreamlib.regularisers`
- 10 neuron catalogue: :func:`catalogue`, :func:`write_catalogue`, :mod:`dreamlib.catalogue`

Exercise checkers for every notebook are in :mod:`dreamlib.exercises`. Beyond the lessons (building on 04):
:func:`dream_folder` (whole folders, resumable) and :func:`read_record` (the settings every PNG keeps).
"""

import sys as _sys

if _sys.argv[:1] == ["-m"]:  # imported by ``python -m dreamlib`` (argv[0] is "-m" while Python finds the module):
    import signal as _signal  # a Ctrl-C before the CLI can catch it (see __main__.py) is one line, not a traceback

    def _interrupted_while_starting(signum, frame):  # nothing is written yet, so there is nothing to clean up
        _sys.stderr.write("error: interrupted\n")
        _sys.stderr.flush()
        import os

        os._exit(130)

    try:
        _previous_sigint = _signal.signal(_signal.SIGINT, _interrupted_while_starting)
    except (ValueError, OSError):  # not the main thread
        pass

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: start-up stays instant

# Names are imported on first use (PEP 562), so ``import dreamlib`` and the CLI's start-up are
# instant and torch loads only when something needs it; ``from dreamlib import dream`` works as usual.
_EXPORTS = {
    "animate": ["save_animation", "zoom", "zoom_in"],
    "batch": ["dream_folder"],
    "ascent": ["ascent_step", "image_gradient", "normalize_gradient", "random_shift", "tile_spans", "tiled_gradient"],
    "cache": ["weights_cache_path"],
    "classes": ["DOG_CLASSES", "class_probabilities", "dog_probability", "top_classes"],
    "compare": ["compare_layers", "per_image_layers", "show_grid"],
    "config": ["pick", "quick_mode"],
    "device": ["resolve_device", "resolve_precision"],
    "fold": ["fold_batchnorm", "folded_twin"],
    "errors": ["DreamError", "DreamWarning", "ImageLoadError", "NonFiniteError", "WeightsUnavailableError"],
    "hooks": ["capture_activations", "count_hooks", "forward_until"],
    "images": ["list_samples", "load_image", "resize", "sample_image", "sample_image_path", "save_image",
               "tensor_to_pil"],
    "metadata": ["dream_record", "read_record", "rerun_command"],
    "models": ["DreamModel", "as_dream_model", "available_models", "load_model"],
    "objectives": ["Objective", "as_objective", "channel", "class_logit", "direction", "diversity", "guide",
                   "layer_l2", "layer_mean", "layers_sum", "neuron"],
    "param": ["Param", "high_frequency_energy"],
    "render": ["render"],
    "catalogue": ["catalogue", "write_catalogue"],
    "octaves": ["StepInfo", "check_settings", "dream", "octave_sizes"],
    "receptive": ["receptive_field", "receptive_field_size"],
}
_SUBMODULES = ["exercises", "regularisers", "reorder", "shapes", "transforms", "winograd"]
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__version__ = "0.1.0"  # the one source of the version: pyproject.toml and the CLI read it

__all__ = sorted([*_WHERE, *_SUBMODULES])


def __getattr__(name: str):
    import importlib

    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'dreamlib' has no attribute {name!r}")
    globals()[name] = value  # the next access is a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def _keep_functions_over_modules() -> None:
    """``dreamlib.render`` is the function, as it would be after ``from .render import render``.

    Importing a submodule makes Python set it as an attribute of the package, which would hide
    a function of the same name (``render``, ``catalogue``); this package ignores exactly that.
    """
    import sys
    import types

    shadowed = {name for name in _WHERE if name in _EXPORTS}

    class Package(types.ModuleType):
        def __setattr__(self, name, value):
            if name in shadowed and isinstance(value, types.ModuleType):
                return
            super().__setattr__(name, value)

    sys.modules[__name__].__class__ = Package


_keep_functions_over_modules()


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from . import exercises, regularisers, reorder, shapes, transforms, winograd
    from .catalogue import catalogue, write_catalogue
    from .param import Param, high_frequency_energy
    from .render import render
    from .animate import save_animation, zoom, zoom_in
    from .batch import dream_folder
    from .metadata import dream_record, read_record, rerun_command
    from .ascent import ascent_step, image_gradient, normalize_gradient, random_shift, tile_spans, tiled_gradient
    from .cache import weights_cache_path
    from .classes import DOG_CLASSES, class_probabilities, dog_probability, top_classes
    from .compare import compare_layers, per_image_layers, show_grid
    from .config import pick, quick_mode
    from .device import resolve_device, resolve_precision
    from .errors import DreamError, DreamWarning, ImageLoadError, NonFiniteError, WeightsUnavailableError
    from .fold import fold_batchnorm, folded_twin
    from .hooks import capture_activations, count_hooks, forward_until
    from .images import (list_samples, load_image, resize, sample_image, sample_image_path, save_image,
                         tensor_to_pil)
    from .models import DreamModel, as_dream_model, available_models, load_model
    from .objectives import (Objective, as_objective, channel, class_logit, direction, diversity, guide, layer_l2,
                             layer_mean, layers_sum, neuron)
    from .octaves import StepInfo, check_settings, dream, octave_sizes
    from .receptive import receptive_field, receptive_field_size
