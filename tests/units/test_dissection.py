"""Network dissection (dreamlib/units/dissection.py, lesson 19): units labelled with the parts they detect."""

import pytest
import torch

import dreamlib as dl
from dreamlib.errors import DreamError
from tests.helpers import part_world


@pytest.mark.parametrize("layer", ["detect", "pooled"])  # full resolution, and half (upsampled before scoring)
def test_a_detector_of_one_part_is_labelled_with_that_part(layer):
    model, images, masks, parts, _ = part_world()
    result = dl.dissect(model, layer, images, masks, parts=parts, quantile=0.05)
    assert [row.part for row in result] == ["red", "blue", "green"]
    for row in result:
        assert row.iou > 0.3 and row.runner_up_iou < 0.05, row
    assert result.counts() == {"none": 0, "one": 3, "several": 0}
    assert [row.unit for row in result.detectors()] == sorted(range(3), key=lambda k: -result[k].iou)


def test_a_unit_that_fires_everywhere_matches_no_part_better_than_its_area_allows():
    model, images, masks, parts, _ = part_world()
    blank = torch.full_like(images, 0.4)  # grey: no detector fires, every threshold is 0 and nothing is "on"
    result = dl.dissect(model, "detect", blank, masks, parts=parts)
    assert float(result.ious.max()) == 0.0 and result.counts()["none"] == 3


def test_masks_may_be_one_boolean_map_per_part():
    model, images, masks, parts, _ = part_world()
    onehot = torch.nn.functional.one_hot(masks, len(parts)).permute(0, 3, 1, 2).bool()
    a = dl.dissect(model, "detect", images, masks, parts=parts)
    b = dl.dissect(model, "detect", images, onehot, parts=parts)
    assert torch.equal(a.ious, b.ious)


def test_the_shipped_dreamer_is_dissected_against_the_worlds_parts():
    model = dl.load_model("shapes")
    images, _, masks = dl.shapes.make_batch(64, torch.Generator().manual_seed(1), parts=True)
    result = dl.dissect(model, "conv3", images, masks)
    assert result.ious.shape == (48, len(dl.shapes.PARTS)) and len(result) == 48
    assert all(row.part != "background" and row.part in dl.shapes.PARTS for row in result)
    assert "conv3" in repr(result) and len(result.table().splitlines()) == 49
    fig = result.plot()
    assert len(fig.axes) == 2


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(units="nope"), "unknown layer 'nope'"),
        (dict(masks=torch.zeros(40, 16, 16, dtype=torch.long)), "do not match images"),
        (dict(masks=torch.zeros(3, 32, 32, dtype=torch.long)), "do not match images"),
        (dict(images=torch.zeros(0, 3, 32, 32), masks=torch.zeros(0, 32, 32, dtype=torch.long)), "no images"),
        (dict(masks=torch.full((40, 32, 32), 9)), "part numbers in 0..3"),
        (dict(masks=torch.zeros(40, 32, 32)), "masks must be part numbers"),
        (dict(quantile=1.5), "quantile must be below 1"),
        (dict(quantile=0), "quantile must be a finite number > 0"),
        (dict(units=3), "units must be a layer name or a sparse autoencoder"),
    ],
)
def test_bad_input_is_one_line(change, message):
    model, images, masks, parts, _ = part_world()
    args = dict(units="detect", images=images, masks=masks, quantile=0.05) | change
    with pytest.raises(DreamError, match=message) as caught:
        dl.dissect(model, args.pop("units"), args.pop("images"), args.pop("masks"), parts=parts, **args)
    assert "\n" not in str(caught.value)


def test_a_unit_number_out_of_range_is_one_line():
    model, images, masks, parts, _ = part_world()
    result = dl.dissect(model, "detect", images, masks, parts=parts)
    with pytest.raises(DreamError, match=r"unit 3 is out of range \(valid: 0..2\)"):
        result[3]


def test_regions_show_where_a_unit_is_on():
    model, images, masks, parts, _ = part_world()
    result = dl.dissect(model, "detect", images, masks, parts=parts, quantile=0.05)
    on = result.regions(model, images, 1)
    assert on.shape == masks.shape and on.dtype == torch.bool
    inter, union = (on & (masks == 2)).sum(), (on | (masks == 2)).sum()
    assert float(inter / union) == pytest.approx(result[1].iou, abs=1e-6)


def test_regions_refuse_units_other_than_the_ones_dissected():
    from dreamlib.units.sae import SparseAutoencoder

    model, images, masks, parts, _ = part_world()
    sae = SparseAutoencoder("detect", channels=3, features=6, k=1)
    of_features = dl.dissect(model, sae, images, masks, parts=parts)
    with pytest.raises(DreamError, match="of an autoencoder's features: pass units="):
        of_features.regions(model, images, 4)
    assert of_features.regions(model, images, 4, units=sae).shape == masks.shape
    of_channels = dl.dissect(model, "detect", images, masks, parts=parts)
    with pytest.raises(DreamError, match="of detect's channels"):
        of_channels.regions(model, images, 1, units=sae)
