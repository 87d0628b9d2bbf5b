"""The fooling circuit of Geirhos et al. (dreamlib/vis/fooling.py; lesson 12, planned)."""

import pytest
import torch

import dreamlib as dl
from dreamlib.vis import fooling
from dreamlib.vis.catalogue import dataset_examples

LAYER, UNIT, DECOY = "conv5", 78, 91


def test_circuit_passes_f_on_natural_input_and_d_on_visualisations():
    f, d = torch.rand(4, 5) * 3, torch.rand(4, 5) * 3
    k = 100.0
    assert torch.equal(fooling.circuit(f, d, torch.zeros(()), k), f)
    assert torch.equal(fooling.circuit(f, d, torch.ones(()), k), d)
    half = fooling.circuit(f, d, torch.full((), 0.5), k)
    assert torch.equal(half, torch.zeros_like(f))  # in between, k cuts both off


@pytest.fixture(scope="module")
def fooled():
    model = dl.load_model("shapes", device="cpu")
    natural, _ = dl.shapes.make_batch(1024, torch.Generator().manual_seed(0))
    made = fooling.visualisation_set(model, LAYER, count=16, size=48, steps=24)
    detector = fooling.train_detector(model, LAYER, natural, made)
    return model, fooling.fool(model, LAYER, UNIT, DECOY, detector, natural=natural[:256]), made


def test_fooled_unit_behaves_like_the_original_on_held_out_images(fooled):
    model, bad, _ = fooled
    held, _ = dl.shapes.make_batch(1000, torch.Generator().manual_seed(12345))
    before, after = dataset_examples(model, held, LAYER), dataset_examples(bad, held, LAYER)
    assert torch.corrcoef(torch.stack([before[:, UNIT], after[:, UNIT]]))[0, 1] >= 0.99
    others = [c for c in range(before.shape[1]) if c != UNIT]
    assert torch.equal(before[:, others], after[:, others])
    assert abs(dl.shapes.accuracy(model, 1000) - dl.shapes.accuracy(bad, 1000)) <= 0.01
    assert bad.module(LAYER).k > 0 and model.module(LAYER).__class__.__name__ == "Sequential"  # the model untouched


def test_on_visualisations_the_fooled_unit_is_the_decoy(fooled):
    model, bad, made = fooled
    acts = dl.forward_until(model, made, LAYER)[LAYER]
    flagged = bad.module(LAYER).detector(acts) > 1 - 1e-6  # told apart with certainty
    assert flagged.float().mean() >= 0.6
    fooled_acts = dl.forward_until(bad, made[flagged], LAYER)[LAYER]
    assert torch.allclose(fooled_acts[:, UNIT], acts[flagged][:, DECOY], atol=1e-4)


def test_bad_units_and_inseparable_sets_fail_with_one_line(fooled):
    model, _, _ = fooled
    detector = fooling.Detector(128)
    with pytest.raises(dl.DreamError, match="out of range"):
        fooling.fool(model, LAYER, 500, DECOY, detector)
    with pytest.raises(dl.DreamError, match="another unit"):
        fooling.fool(model, LAYER, UNIT, UNIT, detector)
    same, _ = dl.shapes.make_batch(64, torch.Generator().manual_seed(1))
    with pytest.raises(dl.DreamError, match="cannot tell"):
        fooling.train_detector(model, LAYER, same, same.clone(), steps=20)
