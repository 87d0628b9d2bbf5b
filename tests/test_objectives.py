import pytest
import torch

import dreamlib
from dreamlib import channel, class_logit, dream, guide, layer_l2, layer_mean, layers_sum, neuron
from tests.helpers import edge_energy, two_edge_model


def _acts():
    a = torch.arange(2 * 3 * 2 * 2, dtype=torch.float32).view(2, 3, 2, 2)
    return {"a": a, "b": -a, "output": torch.tensor([[1.0, 5.0], [2.0, 0.0]])}


def test_objective_values_and_composition():
    acts = _acts()
    a = acts["a"]
    torch.testing.assert_close(layer_mean("a")(acts), a.flatten(1).mean(1))
    torch.testing.assert_close(layer_l2("a")(acts), 0.5 * a.pow(2).flatten(1).mean(1))
    torch.testing.assert_close(channel("a", 2)(acts), a[:, 2].flatten(1).mean(1))
    torch.testing.assert_close(neuron("a", 1, 0, 1)(acts), a[:, 1, 0, 1])
    torch.testing.assert_close(neuron("a", 1)(acts), a[:, 1, 1, 1])  # the centre
    torch.testing.assert_close(class_logit(1)(acts), torch.tensor([5.0, 0.0]))
    combo = 2 * layer_mean("a") - channel("b", 0) + layers_sum({"a": 0.5, "b": 1.0})
    expected = 2 * a.flatten(1).mean(1) + a[:, 0].flatten(1).mean(1) + 0.5 * a.flatten(1).mean(1) - a.flatten(1).mean(1)
    torch.testing.assert_close(combo(acts), expected)
    assert combo.layers == ("a", "b")
    torch.testing.assert_close((-layer_mean("a"))(acts), -a.flatten(1).mean(1))


@pytest.mark.parametrize(
    "objective, message",
    [
        (channel("a", 3), r"channel 3 is out of range for a \(valid: 0..2\)"),
        (neuron("a", 0, 5, 0), r"row 5 is out of range for a \(valid: 0..1\)"),
        (class_logit(7), r"class 7 is out of range for the classifier output \(valid: 0..1\)"),
    ],
)
def test_bad_indices_name_the_valid_range(objective, message):
    with pytest.raises(dreamlib.DreamError, match=message):
        objective(_acts())


@pytest.mark.parametrize("index, along", [(0, "vertical"), (1, "horizontal")])
def test_channel_objective_draws_that_channels_feature(index, along):
    torch.manual_seed(0)
    start = 0.5 + 0.01 * torch.randn(1, 3, 48, 48)
    out = dream(
        two_edge_model(), start, objective=channel("0", index), octaves=1, steps=15, lr=0.02, seed=0, progress=False
    )
    v, h = edge_energy(out)
    assert (v > 3 * h) if along == "vertical" else (h > 3 * v)


def test_neuron_objective_changes_pixels_near_its_position_only():
    start = torch.full((1, 3, 40, 40), 0.5)
    out = dream(
        two_edge_model(), start, objective=neuron("0", 0, 10, 30), octaves=1, steps=3, jitter=0, seed=0, progress=False
    )
    change = (out - start).abs().sum(1)[0]
    assert change[8:13, 28:33].sum() > 0 and change.sum() == change[8:13, 28:33].sum()  # 3x3 receptive field


def test_class_logit_objective_raises_that_logit(tiny, image):
    with torch.no_grad():
        before = tiny(image)[0, 2].item()
    out = dream(tiny, image, objective=class_logit(2), octaves=1, steps=10, jitter=0, seed=0, progress=False)
    with torch.no_grad():
        assert tiny(out)[0, 2].item() > before


def test_guided_dream_moves_toward_the_guide_features():
    """Guide = vertical stripes: the dream grows vertical edges, not horizontal ones (and vice versa)."""
    torch.manual_seed(0)
    start = 0.5 + 0.01 * torch.randn(1, 3, 48, 48)
    stripes = torch.zeros(1, 3, 48, 48)
    stripes[..., :, ::8] = 1.0
    model = two_edge_model()
    for guide_image, vertical in ((stripes, True), (stripes.transpose(2, 3), False)):
        out = dream(
            model, start, objective=guide(model, guide_image, "1"), octaves=1, steps=15, lr=0.02, seed=0, progress=False
        )
        v, h = edge_energy(out)
        assert (v > 1.5 * h) if vertical else (h > 1.5 * v)


def test_layer_and_objective_together_is_an_error(tiny, image):
    with pytest.raises(dreamlib.DreamError, match="either layer= or objective="):
        dream(tiny, image, "2", objective=layer_mean("2"), progress=False)


def test_class_logit_of_a_list_gives_each_image_its_class():
    logits = torch.randn(3, 5)
    got = class_logit([4, 0, 2])({"output": logits})
    assert torch.equal(got, logits[[0, 1, 2], [4, 0, 2]])
    with pytest.raises(dreamlib.DreamError, match="needs a batch of 3"):
        class_logit([4, 0, 2])({"output": torch.randn(2, 5)})
    with pytest.raises(dreamlib.DreamError, match="out of range"):
        class_logit([9])({"output": torch.randn(1, 5)})
