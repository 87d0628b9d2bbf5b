"""What a dream maximises (dreamlib/objectives.py, lessons 03, 05, 12): objectives, their algebra, their errors."""

import numpy as np
import pytest
import torch

import dreamlib
from dreamlib import channel, class_logit, diversity, dream, guide, layer_l2, layer_mean, layers_sum, neuron
from dreamlib.vis.render import per_image
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


# Objective algebra, after lucent's tests/optvis/test_objectives.py (test_sum, test_linear_transform,
# test_mul_div_raises, test_diversity): the values, the names, and gradient ascent that climbs the composite.


def _climbs(objective) -> bool:
    """Five Adam steps on a batch of two images raise ``objective`` (on the two-edge model, channels "1")."""
    model = dreamlib.as_dream_model(two_edge_model())
    noise = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    image = (0.5 + 0.1 * noise).requires_grad_()
    optimizer = torch.optim.Adam([image], lr=0.05)

    def score() -> torch.Tensor:
        return objective(dreamlib.forward_until(model, image, objective.layers)).sum()

    start = score().item()
    for _ in range(5):
        optimizer.zero_grad()
        (-score()).backward()
        optimizer.step()
    return score().item() > start


def test_a_sum_of_objectives_is_their_sum_and_climbs():
    acts, a, b = _acts(), channel("a", 0), channel("a", 2)
    total = a + b
    torch.testing.assert_close(total(acts), a(acts) + b(acts))
    assert total.name == "channel(a, 0) + channel(a, 2)" and total.layers == ("a",)
    assert _climbs(channel("1", 0) + channel("1", 1))


def test_a_linear_transform_of_an_objective():
    objective = 1 + 1 * -channel("a", 0) / 1 - 1
    torch.testing.assert_close(objective(_acts()), -channel("a", 0)(_acts()))
    assert objective.name == "1 + 1 * -channel(a, 0) / 1 - 1"
    assert _climbs(1 + 1 * -channel("1", 0) / 1 - 1)


def test_a_channel_with_diversity_climbs():
    """Lucent subtracts its diversity (a penalty there); dreamlib's ``diversity`` is a reward, so it is added."""
    objective = channel("1", 0) + 100 * diversity("1")
    assert objective.name == "channel(1, 0) + 100 * diversity(1)" and objective.layers == ("1",)
    acts = {"1": torch.rand(2, 2, 4, 4, generator=torch.Generator().manual_seed(0))}
    torch.testing.assert_close(objective(acts), channel("1", 0)(acts) + 100 * diversity("1")(acts))
    assert _climbs(objective)


A, B = channel("a", 0), layer_mean("b")


@pytest.mark.parametrize(
    "combined, expected, name",
    [
        (A + B, lambda a, b: a + b, "channel(a, 0) + mean(b)"),
        (A - B, lambda a, b: a - b, "channel(a, 0) - mean(b)"),
        (A + 1, lambda a, b: a + 1, "channel(a, 0) + 1"),
        (1 + A, lambda a, b: 1 + a, "1 + channel(a, 0)"),
        (A - 1, lambda a, b: a - 1, "channel(a, 0) - 1"),
        (1 - A, lambda a, b: 1 - a, "1 - channel(a, 0)"),
        (2 * A, lambda a, b: 2 * a, "2 * channel(a, 0)"),
        (A * 2, lambda a, b: 2 * a, "2 * channel(a, 0)"),
        (A / 2, lambda a, b: a / 2, "channel(a, 0) / 2"),
        (-A, lambda a, b: -a, "-channel(a, 0)"),
        (sum([A, B]), lambda a, b: a + b, "channel(a, 0) + mean(b)"),
        (A + 0.5 * B, lambda a, b: a + 0.5 * b, "channel(a, 0) + 0.5 * mean(b)"),
        (-(A + B), lambda a, b: -(a + b), "-(channel(a, 0) + mean(b))"),
        (2 * (A - B), lambda a, b: 2 * (a - b), "2 * (channel(a, 0) - mean(b))"),
        (A - (A + B), lambda a, b: -b, "channel(a, 0) - (channel(a, 0) + mean(b))"),
        ((A + B) / 4, lambda a, b: (a + b) / 4, "(channel(a, 0) + mean(b)) / 4"),
        (torch.tensor([1.0, 0.5]) * A, lambda a, b: torch.tensor([1.0, 0.5]) * a, "[1, 0.5] * channel(a, 0)"),
        (A * torch.tensor([2.0, 0.0]), lambda a, b: torch.tensor([2.0, 0.0]) * a, "[2, 0] * channel(a, 0)"),
        (A / torch.tensor([2.0, 4.0]), lambda a, b: a / torch.tensor([2.0, 4.0]), "channel(a, 0) / [2, 4]"),
        (np.float32(3) * A, lambda a, b: 3 * a, "3 * channel(a, 0)"),
    ],
)
def test_objective_algebra_gives_the_values_and_names_of_the_maths(combined, expected, name):
    acts = _acts()
    torch.testing.assert_close(combined(acts), expected(A(acts), B(acts)))
    assert combined.name == str(combined) == f"{combined}" == name
    assert f"{combined:>60}" == f"{name:>60}" and repr(combined) == f"Objective({name})"
    assert set(combined.layers) <= {"a", "b"}


ALLOWED = "objectives combine with + and - (another objective or a number) and with * and / (a number, or a tensor"


@pytest.mark.parametrize(
    "operation, says",
    [
        pytest.param(lambda: A * B, ALLOWED, id="obj * obj"),
        pytest.param(lambda: A * "a", ALLOWED, id="obj * str"),
        pytest.param(lambda: "a" * A, ALLOWED, id="str * obj"),
        pytest.param(lambda: A / B, ALLOWED, id="obj / obj"),
        pytest.param(lambda: A + "x", ALLOWED, id="obj + str"),
        pytest.param(lambda: "x" + A, ALLOWED, id="str + obj"),
        pytest.param(lambda: A - "x", ALLOWED, id="obj - str"),
        pytest.param(lambda: "x" - A, ALLOWED, id="str - obj"),
        pytest.param(lambda: A + None, ALLOWED, id="obj + None"),
        pytest.param(lambda: A * True, ALLOWED, id="obj * bool"),
        pytest.param(lambda: A + torch.ones(2), ALLOWED, id="obj + tensor"),
        pytest.param(lambda: [1, 2] * A, ALLOWED, id="list * obj"),
        pytest.param(lambda: np.ones(2) * A, ALLOWED, id="ndarray * obj"),
        pytest.param(lambda: A**2, ALLOWED, id="obj ** 2"),
        pytest.param(lambda: A // 2, ALLOWED, id="obj // 2"),
        pytest.param(lambda: 1 / A, "nothing can be divided by an objective", id="1 / obj"),
        pytest.param(lambda: A / 0, "cannot divide an Objective by 0", id="obj / 0"),
        pytest.param(lambda: A / torch.tensor([1.0, 0.0]), "by 0", id="obj / weights with a 0"),
        pytest.param(lambda: A * float("nan"), "must be finite numbers, got nan", id="obj * nan"),
        pytest.param(lambda: A + float("inf"), "must be finite numbers, got inf", id="obj + inf"),
        pytest.param(lambda: A * torch.ones(2, 2), "shape (batch,), got torch.float32 of shape (2, 2)", id="2-d"),
    ],
)
def test_refused_operands_raise_one_dream_error_line(operation, says):
    with pytest.raises(dreamlib.DreamError) as caught:
        operation()
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_per_image_weights_weigh_each_image_and_must_match_the_batch():
    acts, weights = _acts(), torch.tensor([0.0, 3.0])
    torch.testing.assert_close((weights * A)(acts), torch.stack([torch.tensor(0.0), 3 * A(acts)[1]]))
    with pytest.raises(dreamlib.DreamError, match="3 per-image weights for a batch of 2 images"):
        (torch.ones(3) * A)(acts)
    # with several views of each image (MACO's crops), each view is scored per image: the weights still fit
    views = {"a": acts["a"].repeat_interleave(3, 0)}  # images 0, 0, 0, 1, 1, 1
    torch.testing.assert_close(per_image(weights * A, views, 2), weights * per_image(A, views, 2))
