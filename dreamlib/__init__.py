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

Exercise checkers for every notebook are in :mod:`dreamlib.exercises`.
"""

from . import exercises, shapes
from .animate import save_animation, zoom, zoom_in
from .ascent import ascent_step, image_gradient, normalize_gradient, random_shift, tile_spans, tiled_gradient
from .classes import DOG_CLASSES, class_probabilities, dog_probability, top_classes
from .compare import compare_layers, per_image_layers, show_grid
from .config import pick, quick_mode
from .device import resolve_device, resolve_precision
from .errors import DreamError, DreamWarning, ImageLoadError, WeightsUnavailableError
from .hooks import capture_activations, count_hooks, forward_until
from .images import list_samples, load_image, resize, sample_image, sample_image_path, save_image, tensor_to_pil
from .models import DreamModel, as_dream_model, available_models, load_model, weights_cache_path
from .objectives import Objective, as_objective, channel, class_logit, guide, layer_l2, layer_mean, layers_sum, neuron
from .octaves import StepInfo, check_settings, dream, octave_sizes
from .receptive import receptive_field, receptive_field_size
from . import regularisers, transforms
from .objectives import direction, diversity
from .param import Param, high_frequency_energy
from .render import render
from .catalogue import catalogue, write_catalogue

__version__ = "0.1.0"

__all__ = [
    "as_objective", "compare_layers", "guide", "per_image_layers", "save_animation", "show_grid", "tile_spans",
    "tiled_gradient", "zoom", "zoom_in", "shapes",
    "DOG_CLASSES", "class_probabilities", "dog_probability", "exercises", "top_classes",
    "DreamError", "DreamModel", "DreamWarning", "ImageLoadError", "Objective", "StepInfo",
    "WeightsUnavailableError", "as_dream_model", "ascent_step", "available_models", "capture_activations",
    "channel", "check_settings", "class_logit", "count_hooks", "dream", "forward_until", "image_gradient",
    "layer_l2", "layer_mean", "layers_sum", "list_samples", "load_image", "load_model", "neuron",
    "normalize_gradient", "octave_sizes", "pick", "quick_mode", "random_shift", "resize", "resolve_device",
    "resolve_precision", "sample_image", "sample_image_path", "save_image", "tensor_to_pil",
    "weights_cache_path",
    "receptive_field", "receptive_field_size",
    "Param", "catalogue", "direction", "diversity", "high_frequency_energy", "regularisers", "render",
    "transforms", "write_catalogue",
]
