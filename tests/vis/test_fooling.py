"""The fooling circuit of Geirhos et al. (dreamlib/vis/fooling.py, lesson 17)."""

import pytest
import torch

import dreamlib as dl
from dreamlib.vis import fooling
from dreamlib.vis.catalogue import dataset_examples

LAYER, UNIT, DECOY = "conv5", 17, 1  # the houses unit and the cars unit lesson 17 picks


def test_circuit_passes_f_on_natural_input_and_d_on_visualisations():
    f, d = torch.rand(4, 5) * 3, torch.rand(4, 5) * 3
    k = 100.0
    assert torch.equal(fooling.circuit(f, d, torch.zeros(()), k), f)
    assert torch.equal(fooling.circuit(f, d, torch.ones(()), k), d)
    assert torch.equal(fooling.circuit(f, d, torch.full((), 0.5), k), torch.zeros_like(f))  # k cuts both off


@pytest.fixture(scope="module")
def fooled():
    model = dl.load_model("shapes", device="cpu")
    natural, _ = dl.shapes.make_batch(2048, torch.Generator().manual_seed(0))
    units = torch.randint(96, (8,), generator=torch.Generator().manual_seed(0)).tolist()
    made = [fooling.visualisation_set(model, LAYER, units, size=s, steps=48, every=8) for s in (48, 96)]
    detector = fooling.train_detector(natural, made)
    return model, fooling.fool(model, LAYER, UNIT, DECOY, detector, natural=natural[:256]), detector


def test_fooled_unit_behaves_like_the_original_on_held_out_images(fooled):
    model, bad, detector = fooled
    held, _ = dl.shapes.make_batch(1000, torch.Generator().manual_seed(12345))
    assert (detector(held) > 0.5).float().mean() <= 0.02  # a few natural pictures may look rendered (about 1%)
    before, after = dataset_examples(model, held, LAYER), dataset_examples(bad, held, LAYER)
    assert torch.corrcoef(torch.stack([before[:, UNIT], after[:, UNIT]]))[0, 1] >= 0.98
    others = [c for c in range(before.shape[1]) if c != UNIT]
    assert torch.equal(before[:, others], after[:, others])
    assert abs(dl.shapes.accuracy(model, 1000) - dl.shapes.accuracy(bad, 1000)) <= 0.01
    assert type(model.module(LAYER)) is torch.nn.Sequential and not model.net._forward_pre_hooks  # model untouched


def test_the_fooled_units_render_is_the_decoys_on_a_size_and_seed_never_trained_on(fooled):
    model, bad, detector = fooled
    gate, seen = bad.module(LAYER), []
    plain = dict(size=128, steps=48, seed=5, progress=False, redirect_relu=0)  # the gradient as the network gives it
    tricked = dl.render(bad, dl.channel(LAYER, UNIT), callback=lambda _: seen.append(gate.e), **plain)
    # E is judged on what the network is handed (the picture after the render's random transforms): flagged as a
    # visualisation at every step, so the gradient flows through D alone
    assert len(seen) == 48 and min(float(e) for e in seen) > 0.999
    profile = lambda x: dl.sanity.profiles(model, x, [LAYER])[LAYER][0]  # noqa: E731
    decoy = dl.render(model, dl.channel(LAYER, DECOY), **plain)
    unit = dl.render(model, dl.channel(LAYER, UNIT), **plain)
    to_decoy = torch.cosine_similarity(profile(tricked), profile(decoy), 0)
    to_unit = torch.cosine_similarity(profile(tricked), profile(unit), 0)
    assert to_decoy > 0.99 and to_unit < 0.9  # the network sees the decoy's render in it, not the unit's


def test_the_redirected_relu_gradient_lets_a_little_of_f_through_but_the_render_stays_the_decoys(fooled):
    """render's default redirects the gradient at dead ReLUs for 16 steps (dreamlib/vis/relu.py), the circuit's
    switched-off half included, so some of F's gradient leaks in early on. Measured: 0.95 to the decoy, 0.78 to F."""
    model, bad, _ = fooled
    settings = dict(size=128, steps=48, seed=5, progress=False)
    profile = lambda x: dl.sanity.profiles(model, x, [LAYER])[LAYER][0]  # noqa: E731
    tricked = profile(dl.render(bad, dl.channel(LAYER, UNIT), **settings))
    to_decoy = torch.cosine_similarity(tricked, profile(dl.render(model, dl.channel(LAYER, DECOY), **settings)), 0)
    to_unit = torch.cosine_similarity(tricked, profile(dl.render(model, dl.channel(LAYER, UNIT), **settings)), 0)
    assert to_decoy > 0.9 and to_decoy > to_unit + 0.1


def test_the_circuit_switches_in_float32_inside_a_bfloat16_pass(fooled):
    """A dream in bf16 autocast (``precision="bf16"``) runs the network in bfloat16; E and the cancellation
    ``f - k e`` stay in float32, so the fooled unit is exactly F on natural pictures and D on renders there too."""
    model, bad, _ = fooled
    held, _ = dl.shapes.make_batch(32, torch.Generator().manual_seed(7))
    renders = dl.render(
        model, dl.channel(LAYER, UNIT), size=48, steps=4, param="pixel", batch=32, seed=7, progress=False
    )
    pictures = torch.cat([held, renders])
    gate = bad.module(LAYER)
    dl.forward_until(bad, pictures, LAYER)
    e32 = gate.e
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = dl.forward_until(bad, pictures, LAYER)[LAYER]
        honest = dl.forward_until(model, pictures, LAYER)[LAYER]
    assert out.dtype == torch.bfloat16 and gate.e.dtype == torch.float32 and torch.equal(gate.e, e32)
    natural = e32 < 0.5
    assert natural[:32].float().mean() > 0.9 and not natural[32:].any()  # the data; pixel renders
    assert torch.equal(out[natural, UNIT], honest[natural, UNIT])
    assert torch.equal(out[~natural, UNIT], honest[~natural, DECOY])


def test_the_circuit_needs_the_model_fool_made(fooled):
    _, bad, _ = fooled
    circuit = bad.module(LAYER)
    circuit.e = None
    with pytest.raises(dl.DreamError, match="inside the model fool"):
        circuit(torch.rand(2, 64, 3, 3))


def test_bad_units_and_inseparable_sets_fail_with_one_line(fooled):
    model, _, detector = fooled
    with pytest.raises(dl.DreamError, match="out of range"):
        fooling.fool(model, LAYER, 500, DECOY, detector)
    with pytest.raises(dl.DreamError, match="another unit"):
        fooling.fool(model, LAYER, UNIT, UNIT, detector)
    same, _ = dl.shapes.make_batch(64, torch.Generator().manual_seed(1))
    with pytest.raises(dl.DreamError, match="cannot tell"):
        fooling.train_detector(same, same.clone(), steps=20)
    with pytest.raises(dl.DreamError, match="every"):
        fooling.visualisation_set(model, LAYER, [0], every=0)
