"""Receptive fields: computed from kernels and strides, measured with gradients, and the two agree."""

import warnings

import pytest
import torch
from torch import nn

import dreamlib
from dreamlib import receptive_field, receptive_field_size


def _net(*layers: nn.Module) -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(*layers).eval()


# conv3 s1: r = 1 + 2*1 = 3, j = 1;  conv3 s2: r = 3 + 2*1 = 5, j = 2;
# maxpool2 s2: r = 5 + 1*2 = 7, j = 4;  conv5 s1: r = 7 + 4*4 = 23, j = 4.
STACK = [(3, 1), (3, 2), (2, 2), (5, 1)]
STACK_FIELDS = [3, 5, 7, 23]


def _stack(relu: bool = False) -> nn.Sequential:
    layers = [
        nn.Conv2d(3, 8, 3, 1, padding=1),
        nn.Conv2d(8, 8, 3, 2, padding=1),
        nn.MaxPool2d(2, 2),
        nn.Conv2d(8, 8, 5, 1, padding=2),
    ]
    if relu:
        layers = [m for layer in layers for m in (layer, nn.ReLU())]
    return _net(*layers)


@pytest.mark.parametrize(
    "layers, expected",
    [
        (STACK, 23),
        ([(3, 2), (3, 2)], 7),  # 1 + 2*1 = 3 (j becomes 2), then 3 + 2*2 = 7
        ([(3, 1, 1), (3, 1, 2), (3, 1, 4)], 15),  # dilations 1, 2, 4: 1 + 2 + 4 + 8
        ([(3, 2, 2), (3, 1)], 9),  # 1 + 2*2*1 = 5 (j becomes 2), then 5 + 2*1*2 = 9
        ([(7, 2), (3, 2)], 11),  # a ResNet stem: 7x7 s2 conv, 3x3 s2 max-pool
        ([(1, 1), (1, 4)], 1),  # 1x1 layers see a single pixel, whatever their stride
        ([], 1),
    ],
)
def test_receptive_field_size_follows_the_textbook_recurrence(layers, expected):
    assert receptive_field_size(layers) == expected


@pytest.mark.parametrize(
    "layers, message",
    [
        ([(0, 1)], "kernel must be a whole number >= 1"),
        ([(3, 0)], "stride must be a whole number >= 1"),
        ([(3, 1, -2)], "dilation must be a whole number >= 1"),
        ([(3.0, 1)], "kernel must be"),
        ([(True, 1)], "kernel must be"),
        ([(3,)], r"expected \(kernel, stride\)"),
        ([(3, 1, 1, 1)], r"expected \(kernel, stride\)"),
        ("3x3", "layers must be a list"),
    ],
)
def test_receptive_field_size_rejects_bad_layers_in_one_line(layers, message):
    with pytest.raises(dreamlib.DreamError, match=message) as info:
        receptive_field_size(layers)
    assert "\n" not in str(info.value)


def test_measured_field_equals_the_computed_one_layer_by_layer():
    net = _stack()
    for i, expected in enumerate(STACK_FIELDS):
        assert receptive_field_size(STACK[: i + 1]) == expected
        assert receptive_field(net, str(i)) == expected


def test_relus_and_max_pooling_do_not_hide_the_edges_of_the_field():
    """A ReLU that is off or a max-pool choice can hide pixels on one input; a few random inputs find them all."""
    net = _stack(relu=True)
    assert receptive_field(net, "7") == 23


@pytest.mark.parametrize(
    "layers, net",
    [
        ([(3, 2), (3, 2)], lambda: _net(nn.Conv2d(3, 4, 3, 2, padding=1), nn.Conv2d(4, 4, 3, 2, padding=1))),
        (
            [(3, 1, 1), (3, 1, 2), (3, 1, 4)],
            lambda: _net(*(nn.Conv2d(3 if d == 1 else 4, 4, 3, dilation=d, padding=d) for d in (1, 2, 4))),
        ),
        ([(3, 2, 2), (3, 1)], lambda: _net(nn.Conv2d(3, 4, 3, 2, padding=2, dilation=2), nn.Conv2d(4, 4, 3))),
        ([(7, 2), (3, 2)], lambda: _net(nn.Conv2d(3, 4, 7, 2, padding=3), nn.MaxPool2d(3, 2, padding=1))),
    ],
    ids=["strides", "dilations", "strided-dilated", "resnet-stem"],
)
def test_measured_field_with_strides_and_dilations(layers, net):
    model = net()
    last = str(len(model) - 1)
    assert receptive_field(model, last) == receptive_field_size(layers)


def test_wrapped_models_in_other_dtypes_measure_the_same():
    net = _stack()
    wrapped = dreamlib.as_dream_model(_stack(), normalization=((0.5, 0.5, 0.5), (0.2, 0.2, 0.2)))
    assert receptive_field(wrapped, "3") == 23
    assert receptive_field(wrapped.double(), "3") == 23
    with torch.no_grad():  # needs gradients, even when called inside no_grad
        assert receptive_field(net, "3") == 23


def test_a_field_larger_than_the_probe_is_reported_as_clipped():
    model = _net(*(nn.Conv2d(3 if i == 0 else 4, 4, 5, padding=2) for i in range(5)))  # 1 + 5*4 = 21 px
    with pytest.warns(dreamlib.DreamWarning, match="at least"):
        assert receptive_field(model, "4", size=15) == 15
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert receptive_field(model, "4", size=40) == 21
        assert receptive_field(model, "4") == 21


def test_a_field_that_grows_past_the_default_probe_is_found():
    # six 5x5 convs, all but the first with stride 2: the field is far larger than the first 64 px probe.
    layers = [(5, 1)] + [(5, 2)] * 5
    model = _net(*(nn.Conv2d(3 if i == 0 else 2, 2, 5, s, padding=2) for i, (_, s) in enumerate(layers)))
    expected = receptive_field_size(layers)  # 1 + 4 + 4 + 8 + 16 + 32 + 64 = 129
    assert expected == 129
    assert receptive_field(model, str(len(layers) - 1)) == expected


def test_bad_arguments_are_clear_errors(tiny):
    with pytest.raises(dreamlib.DreamError, match="unknown layer"):
        receptive_field(tiny, "nope")
    with pytest.raises(dreamlib.DreamError, match="no spatial"):
        receptive_field(tiny, "5")  # Flatten: (N, C)
    with pytest.raises(dreamlib.DreamError, match="size must be"):
        receptive_field(tiny, "2", size=0)
    with pytest.raises(dreamlib.DreamError, match="trials must be"):
        receptive_field(tiny, "2", trials=0)


def test_shapes_model_fields_grow_with_depth():
    model = dreamlib.load_model("shapes", device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dreamlib.DreamWarning)
        fields = [receptive_field(model, layer) for layer in model.depth_layers]
    sides = [f if isinstance(f, int) else max(f) for f in fields]
    assert all(a <= b for a, b in zip(sides, sides[1:])) and sides[0] < sides[-1], dict(zip(model.depth_layers, fields))
    assert sides[0] > 1
