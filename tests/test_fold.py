"""BatchNorm folded into convolutions: the same activations and input gradients, fewer operations."""

from __future__ import annotations

import copy
import warnings

import pytest
import torch
from torch import nn

import dreamlib
from dreamlib.ascent import image_gradient
from dreamlib.fold import fold_batchnorm, folded_twin
from dreamlib.hooks import capture_activations


def _random_bn_stats(model: nn.Module) -> None:
    """Give every BatchNorm non-trivial statistics, so folding has something to get wrong."""
    g = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.2)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(n, generator=g) * 0.1)


@pytest.mark.parametrize("name, layer", [("inception_v3", "Mixed_6c"), ("resnet50", "layer2")])
def test_folded_model_gives_the_same_gradient_and_activations(name, layer):
    # weights="random" is one fixed draw, so every run checks the same network (a random-weight InceptionV3 is chaotic
    # enough that, for about 3 draws in 12, rounding flips enough ReLUs to miss the element-wise tolerance below while
    # the cosine stays > 0.9999; the fixed draw is not one of them).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dreamlib.DreamWarning)
        model = dreamlib.load_model(name, weights="random", device="cpu")
    _random_bn_stats(model)
    folded = fold_batchnorm(copy.deepcopy(model))
    bns = lambda m: sum(isinstance(x, nn.BatchNorm2d) for x in m.modules())  # noqa: E731
    assert bns(model) > 0 and bns(folded) == 0
    torch.manual_seed(0)
    x = torch.rand(1, 3, 160, 160)
    objective = dreamlib.layer_mean(layer)
    g0, s0 = image_gradient(model, x, objective)
    g1, s1 = image_gradient(folded, x, objective)
    torch.testing.assert_close(s1, s0, rtol=1e-4, atol=1e-6)
    cos = torch.nn.functional.cosine_similarity(g0.flatten().double(), g1.flatten().double(), dim=0)
    assert cos > 0.9999
    torch.testing.assert_close(g1, g0, rtol=1e-3, atol=1e-3 * g0.abs().max().item())
    bn_layer = next(n for n, m in model.net.named_modules() if isinstance(m, nn.BatchNorm2d))
    with torch.no_grad(), capture_activations(model, bn_layer) as a0, capture_activations(folded, bn_layer) as a1:
        model(x), folded(x)
    torch.testing.assert_close(a1[bn_layer], a0[bn_layer], rtol=1e-4, atol=1e-4)  # the old BN name still answers


def test_folding_a_sequential_and_refusing_training_mode():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 2, 1), nn.BatchNorm2d(2))
    _random_bn_stats(net)
    x = torch.rand(2, 3, 12, 12)
    with pytest.raises(dreamlib.DreamError, match="eval mode"):
        fold_batchnorm(net.train())
    net.eval()
    expected = net(x)
    folded = fold_batchnorm(copy.deepcopy(net))
    assert [type(m).__name__ for m in folded.net] == ["Conv2d", "Identity", "ReLU", "Conv2d", "Identity"]
    torch.testing.assert_close(folded(x), expected, rtol=1e-5, atol=1e-5)


# --- folded_twin: what dream() and render() step on -------------------------------------------------------------


def _shapes():
    model = dreamlib.load_model("shapes")
    _random_bn_stats(model)
    return model


def _count_bn(m):
    return sum(isinstance(x, nn.BatchNorm2d) for x in m.modules())


def test_twin_folds_a_copy_and_leaves_the_model_alone():
    model = _shapes()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    twin = folded_twin(model, ["conv5"])
    assert twin is not model and _count_bn(model) == 5 and _count_bn(twin) == 0
    after = model.state_dict()
    assert after.keys() == before.keys() and all(torch.equal(after[k], before[k]) for k in before)
    # only the folded convolutions' weights are new; every other tensor is shared, not copied
    mine = {t.data_ptr() for t in (*model.parameters(), *model.buffers())}
    new = [n for n, t in twin.named_parameters() if t.data_ptr() not in mine]
    assert sorted(new) == sorted(f"net.conv{i}.0.{w}" for i in range(1, 6) for w in ("weight", "bias"))
    x = torch.rand(2, 3, 64, 64)
    objective = dreamlib.layer_mean("conv5")
    g0, s0 = image_gradient(model, x, objective)
    g1, s1 = image_gradient(twin, x, objective)
    torch.testing.assert_close(s1, s0, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(g1, g0, rtol=1e-3, atol=1e-3 * g0.abs().max().item())


def test_twin_is_cached_and_made_again_when_the_model_changes():
    model = _shapes()
    twin = folded_twin(model, ["conv5"])
    assert folded_twin(model, ["conv5"]) is twin  # cached
    assert folded_twin(model, ["conv3"]) is not twin  # other layers, other twin
    twin = folded_twin(model, ["conv3"])
    with torch.no_grad():
        model.net.conv2[1].running_mean.add_(0.5)  # in place, as training or load_state_dict would
    fresh = folded_twin(model, ["conv3"])
    assert fresh is not twin
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad(), capture_activations(model, "conv3") as a0, capture_activations(fresh, "conv3") as a1:
        model(x), fresh(x)
    torch.testing.assert_close(a1["conv3"], a0["conv3"], rtol=1e-4, atol=1e-4)


def test_twin_folds_only_what_runs_before_the_layer_and_never_a_targeted_conv():
    model = _shapes()
    twin = folded_twin(model, ["conv2"])
    kinds = {n: type(m).__name__ for n, m in twin.net.named_modules()}
    assert kinds["conv1.1"] == kinds["conv2.1"] == "Identity"
    assert kinds["conv3.1"] == kinds["conv5.1"] == "BatchNorm2d"  # never run for conv2: not copied
    twin = folded_twin(model, ["conv2.0", "conv3"])  # conv2.0's own output is asked for: folding would change it
    kinds = {n: type(m).__name__ for n, m in twin.net.named_modules()}
    assert kinds["conv2.1"] == "BatchNorm2d" and kinds["conv1.1"] == kinds["conv3.1"] == "Identity"


def test_no_twin_when_folding_could_surprise():
    model = _shapes()
    handle = model.net.conv1.register_forward_hook(lambda m, i, o: None)
    assert folded_twin(model, ["conv5"]) is model  # the user's hook would not see the copy
    handle.remove()
    assert folded_twin(model, ["conv5"]) is not model
    model.net.conv2[1].train()
    assert folded_twin(model, ["conv5"]) is model  # batch statistics cannot be folded
    model.eval()
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
    assert folded_twin(net, ["1"]).net is net  # nothing to fold


def test_dream_steps_on_the_twin_and_gives_the_unfolded_result(monkeypatch):
    import importlib

    octaves = importlib.import_module("dreamlib.octaves")
    model = _shapes()
    image = torch.rand(1, 3, 96, 96)
    settings = dict(octaves=2, steps=3, seed=0, progress=False, precision="fp32")
    used = []
    real = octaves.folded_twin
    monkeypatch.setattr(octaves, "folded_twin", lambda *a: used.append(real(*a)) or used[-1])
    folded = dreamlib.dream(model, image, "conv4", **settings)
    assert _count_bn(used[0]) == 1 and _count_bn(model) == 5  # conv5 never runs for conv4: left as it is
    monkeypatch.setattr(octaves, "folded_twin", lambda dm, *a: dm)
    plain = dreamlib.dream(model, image, "conv4", **settings)
    assert (folded - image).abs().mean() > 1e-3  # it dreamed
    torch.testing.assert_close(folded, plain, rtol=0, atol=1e-3)


def test_the_twin_cache_does_not_keep_a_model_alive():
    import gc
    import weakref

    model = _shapes()
    twin = weakref.ref(folded_twin(model, ["conv5"]))
    alive = weakref.ref(model.net)
    del model
    gc.collect()
    assert alive() is None and twin() is None


def test_a_plain_network_wrapped_anew_each_call_reuses_its_folded_copy():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 2, 1), nn.ReLU()).eval()
    _random_bn_stats(net)
    first = folded_twin(dreamlib.as_dream_model(net), ["4"])  # what dream(net, ...) does: a new wrapper per call
    second = folded_twin(dreamlib.as_dream_model(net), ["4"])
    assert _count_bn(first) == 0 and _count_bn(net) == 1
    assert second.net is first.net  # folded once, not at every call
    x = torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(second(x), net(x), rtol=1e-5, atol=1e-5)
