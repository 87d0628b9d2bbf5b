"""Checks for the notebook exercises: run your function against the reference and say what is wrong.

Each ``check_*`` calls the learner's function on random inputs, compares it with
a reference implementation, prints a plain-words verdict and returns True or
False. A function that still raises ``NotImplementedError`` is reported as "not
done yet" (so the notebooks still run top to bottom); any other exception is
reported, never raised. Instructors' solutions live in ``notebooks/solutions/``;
CI checks them with these same functions.

One module per group of lessons: :mod:`.pixels` (01-03), :mod:`.scales` (04-05),
:mod:`.training` (06-07), :mod:`.beyond` (08), :mod:`.visualisation` (09-12), :mod:`.motion` (13); the helpers they
share are in
:mod:`._shared`. Every checker is importable from here: ``dl.exercises.check_octave_dream``.
"""

from .beyond import check_contrast
from .motion import check_warp
from .pixels import check_denormalize, check_mean_activation, check_normalize, check_normalize_gradient
from .scales import check_activation_shapes, check_octave_dream, check_octave_sizes, check_receptive_field
from .training import check_batch_without, check_top_k, check_train_step
from .visualisation import check_fooling_circuit, check_image_from, check_top_examples, check_total_variation

__all__ = [
    "check_mean_activation",  # 01
    "check_normalize",
    "check_denormalize",  # 02
    "check_normalize_gradient",  # 03
    "check_octave_sizes",
    "check_octave_dream",  # 04
    "check_activation_shapes",
    "check_receptive_field",  # 05
    "check_top_k",  # 06
    "check_train_step",
    "check_batch_without",  # 07
    "check_contrast",  # 08
    "check_total_variation",  # 09
    "check_top_examples",  # 10
    "check_image_from",  # 11
    "check_fooling_circuit",  # 12
    "check_warp",  # 13
]
