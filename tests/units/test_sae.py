"""Sparse autoencoders (dreamlib/units/sae.py, lesson 19): directions recovered, used like channels."""

import pytest
import torch

import dreamlib as dl
from dreamlib.errors import DreamError
from dreamlib.units import sae as S


def sparse_rows(n=20000, channels=16, true=24, active=3, seed=0):
    """Activations that *are* sparse sums of known directions: each row mixes ``active`` of ``true`` of them."""
    g = torch.Generator().manual_seed(seed)
    directions = torch.randn(true, channels, generator=g)
    directions = directions / directions.norm(dim=1, keepdim=True)
    picks = torch.rand(n, true, generator=g).argsort(1)[:, :active]
    codes = torch.zeros(n, true).scatter(1, picks, 1 + torch.rand(n, active, generator=g))
    return codes @ directions, directions


def test_an_autoencoder_recovers_known_sparse_directions():
    rows, directions = sparse_rows()
    before = torch.get_rng_state()
    sae = S.fit(rows, features=48, k=3, steps=3000, progress=False)
    assert torch.equal(torch.get_rng_state(), before)  # the caller's random state is left alone
    cosine = directions @ sae.decoder.T  # (true, features): both sets have length-1 rows
    assert cosine.max(1).values.min() >= 0.9, cosine.max(1).values
    assert sae.report.variance_explained > 0.9 and sae.report.mean_active <= 3


def test_the_same_seed_gives_the_same_autoencoder():
    rows, _ = sparse_rows(n=2000)
    a = S.fit(rows, features=32, k=3, steps=50, progress=False)
    b = S.fit(rows, features=32, k=3, steps=50, progress=False)
    assert torch.equal(a.decoder, b.decoder)


@pytest.fixture(scope="module")
def shipped():
    model = dl.load_model("shapes")
    images, labels = dl.shapes.make_batch(200, torch.Generator().manual_seed(3))
    return model, images, labels, S.train(model, "conv4", images, k=4, steps=300, progress=False)


def test_trained_on_the_shipped_dreamer_it_reports_and_encodes_maps(shipped):
    model, images, _, sae = shipped
    assert (sae.channels, sae.features, sae.layer) == (64, 256, "conv4")
    assert 0.5 < sae.report.variance_explained <= 1 and sae.report.samples == 200 * 6 * 6
    acts = dl.forward_until(model, images[:5], "conv4")["conv4"]
    codes = sae.encode(acts)
    assert codes.shape == (5, 256, 6, 6) and ((codes > 0).sum(1) <= 4).all()


def test_a_feature_is_an_objective_render_and_dream_raise(shipped):
    model, images, _, sae = shipped
    j = int(sae.encode(dl.forward_until(model, images, "conv4")["conv4"]).mean((0, 2, 3)).argmax())
    objective = sae.feature(j)
    start = torch.full((1, 3, 48, 48), 0.5)
    rendered = dl.render(model, objective, size=48, steps=24, seed=0, progress=False)
    score = lambda x: float(objective(dl.forward_until(model, x, "conv4")))  # noqa: E731
    assert score(rendered) > score(start)
    dreamed = dl.dream(model, images[:1], objective, octaves=1, steps=8, seed=0, progress=False)
    assert score(dreamed) > score(images[:1])


def test_features_are_dissected_and_ablated_like_channels(shipped):
    model, images, labels, sae = shipped
    _, _, masks = dl.shapes.make_batch(200, torch.Generator().manual_seed(3), parts=True)
    result = dl.dissect(model, sae, images, masks)
    assert result.ious.shape == (256, len(dl.shapes.PARTS)) and result.layer == "conv4"
    acts = dl.forward_until(model, images[:4], "conv4")["conv4"]
    with dl.ablate(model, sae, [0, 5]):
        off = dl.forward_until(model, images[:4], "conv4")["conv4"]
    assert torch.allclose(off, acts - sae.contribution(acts, [0, 5]), atol=1e-6)
    assert dl.count_hooks(model) == 0
    everything = dl.accuracy_drop(model, sae, list(range(256)), images, labels)
    assert sum(everything.after.values()) < sum(everything.before.values())


def test_bad_input_is_one_line(shipped):
    model, images, _, sae = shipped
    with pytest.raises(DreamError, match=r"feature 256 is out of range \(valid: 0..255\)"):
        sae.feature(256)
    with pytest.raises(DreamError, match="feature 300 is out of range"):
        with dl.ablate(model, sae, [300]):
            pass
    with pytest.raises(DreamError, match="reads 64 channels of conv4"):
        sae.encode(torch.zeros(1, 32, 6, 6))
    with pytest.raises(DreamError, match="unknown layer 'conv9'"):
        S.train(model, "conv9", images, progress=False)
    with pytest.raises(DreamError, match="no images"):
        S.train(model, "conv4", images[:0], progress=False)
    with pytest.raises(DreamError, match=r"k must be a whole number in 1..8"):
        S.train(model, "conv4", images[:4], features=8, k=9, progress=False)
