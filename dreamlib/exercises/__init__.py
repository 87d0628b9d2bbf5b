"""Checks for the notebook exercises: run your function against the reference and say what is wrong.

Each ``check_*`` calls the learner's function on random inputs, compares it with
a reference implementation, prints a plain-words verdict and returns True or
False. A function that still raises ``NotImplementedError`` is reported as "not
done yet" (so the notebooks still run top to bottom); any other exception is
reported, never raised. A checker leaves the notebook's random generators (torch's and
Python's ``random``) as it found them. Instructors' solutions live in ``notebooks/solutions/``;
CI checks them with these same functions.

One module per group of lessons: :mod:`.pixels` (01-03), :mod:`.scales` (04-05), :mod:`.beyond` (06),
:mod:`.motion` (07-08), :mod:`.training` (09-11), :mod:`.visualisation` (12-18), :mod:`.units` (19),
:mod:`.transformers` (20); the helpers they share are in :mod:`._shared`. A predict-then-run checker
(``check_dog_twin(my_prediction, measured)``) compares the learner's prediction with what their own run measured.
Every checker is importable from here: ``dl.exercises.check_octave_dream``.
"""

from .beyond import check_contrast, check_neuron_patch
from .motion import check_same_seed, check_warp
from .pixels import (
    check_denormalize,
    check_hook_calls,
    check_jitter,
    check_mean_activation,
    check_normalize,
    check_normalize_gradient,
    check_png_round_trip,
)
from .scales import (
    check_activation_shapes,
    check_octave_count,
    check_octave_dream,
    check_octave_sizes,
    check_receptive_field,
    check_whole_picture_layer,
)
from .training import check_attack_accuracy, check_batch_without, check_dog_twin, check_top_k, check_train_step
from .transformers import check_shape_follower, check_token_grid
from .units import check_iou, check_more_detectors, check_owner_loses_most, check_unit_part
from .visualisation import (
    check_better_references,
    check_fooling_circuit,
    check_image_from,
    check_least_high_frequency,
    check_robust_gap,
    check_sanity_flag,
    check_still_rises,
    check_super_stimulus,
    check_top_examples,
    check_total_variation,
)

__all__ = [
    "check_mean_activation",
    "check_hook_calls",  # 01
    "check_normalize",
    "check_denormalize",
    "check_png_round_trip",  # 02
    "check_normalize_gradient",
    "check_jitter",  # 03
    "check_octave_count",
    "check_octave_dream",
    "check_octave_sizes",  # 04
    "check_whole_picture_layer",
    "check_receptive_field",
    "check_activation_shapes",  # 05
    "check_neuron_patch",
    "check_contrast",  # 06
    "check_warp",  # 07
    "check_same_seed",  # 08
    "check_train_step",
    "check_batch_without",  # 09
    "check_attack_accuracy",  # 10
    "check_dog_twin",
    "check_top_k",  # 11
    "check_robust_gap",  # 12
    "check_total_variation",  # 13
    "check_image_from",
    "check_least_high_frequency",  # 14
    "check_still_rises",  # 15
    "check_top_examples",
    "check_super_stimulus",  # 16
    "check_fooling_circuit",
    "check_sanity_flag",  # 17
    "check_better_references",  # 18
    "check_iou",
    "check_unit_part",
    "check_owner_loses_most",
    "check_more_detectors",  # 19
    "check_token_grid",
    "check_shape_follower",  # 20
]
