"""Every exercise checker accepts the solutions, reports a stub and names typical mistakes (dreamlib/exercises)."""

import importlib.util
import inspect
import pkgutil
import random
from pathlib import Path

import pytest
import torch

from dreamlib import exercises
from dreamlib.units.dissection import UnitLabel
from tests.helpers import ROOT

SOLUTIONS = ROOT / "notebooks" / "solutions" / "solutions.py"


@pytest.fixture(scope="module")
def solutions():
    spec = importlib.util.spec_from_file_location("solutions", SOLUTIONS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASES = [
    ("check_mean_activation", "mean_activation"),
    ("check_normalize", "normalize"),
    ("check_denormalize", "denormalize"),
    ("check_normalize_gradient", "normalize_gradient"),
    ("check_octave_sizes", "octave_sizes"),
    ("check_activation_shapes", "activation_shapes"),
    ("check_top_k", "top_k"),
    ("check_octave_dream", "octave_dream"),
    ("check_receptive_field", "receptive_field"),
    ("check_contrast", "contrast"),
    ("check_train_step", "train_step"),
    ("check_batch_without", "batch_without"),
    ("check_total_variation", "total_variation"),
    ("check_top_examples", "top_examples"),
    ("check_image_from", "image_from"),
    ("check_fooling_circuit", "fooling_circuit"),
    ("check_warp", "warp"),
    ("check_iou", "iou"),
    ("check_token_grid", "token_grid"),
]


# Predict-then-run checkers: (checker, the solution's prediction, what a run measured, a wrong prediction)
PREDICTIONS = [
    ("check_hook_calls", lambda s: s.hook_calls, (1, 0), (4, 0)),
    ("check_png_round_trip", lambda s: s.png_round_trip, 0.4998, 1),
    ("check_jitter", lambda s: s.jitter, "no jitter", "jitter"),
    ("check_octave_count", lambda s: s.octave_count(256, 384, 16), 9, 4),
    ("check_whole_picture_layer", lambda s: s.whole_picture_layer["shapes"], "none", "conv6"),
    ("check_whole_picture_layer", lambda s: s.whole_picture_layer["inception_v3"], "Mixed_6c", "Mixed_7c"),
    ("check_neuron_patch", lambda s: s.neuron_patch, 17, 81),
    ("check_same_seed", lambda s: s.same_seed, "frame by frame", "carried"),
    ("check_attack_accuracy", lambda s: s.attack_accuracy, 0.45, 0.9),
    ("check_dog_twin", lambda s: s.dog_twin, "dogs 45%", "balanced"),
    ("check_robust_gap", lambda s: s.robust_gap, "smaller", "larger"),
    ("check_least_high_frequency", lambda s: s.least_high_frequency, "maco", "pixel"),
    ("check_still_rises", lambda s: s.still_rises, True, "no"),
    ("check_super_stimulus", lambda s: s.super_stimulus, "more", "less"),
    ("check_sanity_flag", lambda s: s.sanity_flag, "fooled unit F", "unit D"),
    ("check_better_references", lambda s: s.better_references, "natural", "neither"),
    ("check_owner_loses_most", lambda s: s.owner_loses_most, "yes", "no"),
    ("check_more_detectors", lambda s: s.more_detectors, "same", "more"),
    ("check_shape_follower", lambda s: s.shape_follower, "same", "ViT"),
    ("check_unit_part", lambda s: s.unit_part, UnitLabel(42, "door", 0.094, "pupil", 0.045), "stripes"),
]


@pytest.mark.parametrize("checker, answer, measured, wrong", PREDICTIONS)
def test_predictions_are_judged_against_the_run(solutions, checker, answer, measured, wrong, capsys):
    check = getattr(exercises, checker)
    assert check(answer(solutions), measured) is True
    assert "✅" in capsys.readouterr().out
    assert check(wrong, measured) is False
    assert f"you predicted {wrong!r}, the run gave" in capsys.readouterr().out
    assert check(..., measured) is False
    assert "no prediction yet" in capsys.readouterr().out


@pytest.mark.parametrize("checker, name", CASES)
def test_solutions_pass(solutions, checker, name, capsys):
    assert getattr(exercises, checker)(getattr(solutions, name)) is True
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("checker, name", CASES)
def test_unfinished_stub_is_reported_not_raised(checker, name, capsys):
    def stub(*args):
        raise NotImplementedError

    assert getattr(exercises, checker)(stub) is False
    assert "not done yet" in capsys.readouterr().out


def test_every_checker_is_exported_and_names_its_notebook():
    found = {}
    for info in pkgutil.iter_modules(exercises.__path__):
        module = importlib.import_module(f"dreamlib.exercises.{info.name}")
        found.update({n: f for n, f in vars(module).items() if n.startswith("check_") and inspect.isfunction(f)})
    assert sorted(found) == sorted(exercises.__all__)
    assert {c for c, _ in CASES} | {p[0] for p in PREDICTIONS} == set(found)
    for name, fn in found.items():
        assert getattr(exercises, name) is fn
        assert fn.__doc__.startswith(("Notebook 0", "Notebook 1", "Notebook 2")), name


def test_exercise_modules_import_no_package_above_them():
    for path in Path(exercises.__file__).parent.glob("*.py"):
        text = path.read_text()
        assert "import dreamlib" not in text and "from dreamlib" not in text and "from .. import" not in text, path.name


def test_a_raising_answer_is_reported_not_raised(capsys):
    assert exercises.check_normalize(lambda *a: 1 / 0) is False
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_image_from_names_a_norm_mismatch(capsys):
    ortho = lambda m, p: torch.fft.irfft2(m * torch.exp(1j * p), s=(m.shape[-2], 2 * (m.shape[-1] - 1)), norm="ortho")  # noqa: E731
    assert exercises.check_image_from(ortho) is False
    assert "norm" in capsys.readouterr().out


def test_a_prediction_is_judged_against_the_run_and_explained(capsys):
    from dreamlib.exercises._shared import _predicted

    assert _predicted("octaves", 3, 3, "Each octave is 1.4 times smaller.") is True
    assert "✅ octaves: you predicted 3 and the run gave 3. Each octave" in capsys.readouterr().out
    assert _predicted("octaves", 5, 3, "Each octave is 1.4 times smaller.") is False
    assert "❌ octaves: you predicted 5, the run gave 3. Each octave" in capsys.readouterr().out
    assert _predicted("octaves", ..., 3, "why") is False
    assert "no prediction yet" in capsys.readouterr().out
    assert _predicted("layer", "conv5", "conv5", "w", same=lambda a, b: a.lower() == b) is True
    assert _predicted("layer", 5, "conv5", "w", same=lambda a, b: a.lower() == b) is False
    assert "could not compare" in capsys.readouterr().out


@pytest.mark.parametrize("checker, name", CASES)
def test_checkers_leave_the_learners_random_numbers_alone(solutions, checker, name, capsys):
    """A checker run in a lesson must not reseed or advance the learner's global generators."""
    torch.manual_seed(1234)
    random.seed(1234)
    torch_state, python_state = torch.get_rng_state(), random.getstate()
    assert getattr(exercises, checker)(getattr(solutions, name)) is True
    assert torch.equal(torch.get_rng_state(), torch_state), f"{checker} changed torch's global generator"
    assert random.getstate() == python_state, f"{checker} changed Python's global random generator"


def test_a_learner_drawing_random_numbers_leaves_them_as_they_were(capsys):
    """The learner's own function may draw from the global generators; the check gives them back unchanged."""

    def noisy_normalize(images, mean, std):
        random.random()
        return (images - mean) / std + 0 * torch.rand(())

    torch_state, python_state = torch.get_rng_state(), random.getstate()
    assert exercises.check_normalize(noisy_normalize) is True
    assert torch.equal(torch.get_rng_state(), torch_state) and random.getstate() == python_state
