"""When Winograd convolutions are used (dreamlib/winograd.py): per kind, where a measurement finds them faster,
cached per machine; in dream()'s folded copy; with a one-line status."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import dreamlib as dl
from dreamlib import compiled, winograd_conv
from dreamlib import winograd as wg
from dreamlib.fold import folded_twin

needs_library = pytest.mark.skipif(compiled.library() is None, reason=f"no compiled Winograd transforms: {compiled.why_not()}")


def test_only_the_kinds_asked_for_are_switched():
    net = nn.Sequential(
        nn.Conv2d(16, 16, 3, padding=1),  # square
        nn.Conv2d(16, 16, 3, stride=2),  # strided: never
        nn.Conv2d(16, 16, (1, 7), padding=(0, 3)),  # line
        nn.Conv2d(3, 16, 3, padding=1),  # too few channels: never
        nn.Conv2d(16, 16, 5, padding=2),  # square
        nn.Conv2d(16, 16, (7, 1), padding=(3, 0)),  # line
        nn.Conv2d(16, 16, 3, padding=1),  # square, unless skipped
    )
    switched = lambda: [i for i, m in enumerate(net) if "forward" in vars(m)]  # noqa: E731
    assert wg.use_winograd(net, kinds=()) == 0
    if compiled.library() is None:
        assert wg.use_winograd(net, kinds=wg.KINDS) == 0  # nothing changes without the compiled transforms
        return
    assert wg.use_winograd(net, kinds={"line"}) == 2 and switched() == [2, 5]
    assert wg.use_winograd(net, skip={id(net[6])}, kinds={"square"}) == 2 and switched() == [0, 2, 4, 5]


def test_the_probe_decides_per_kind(monkeypatch):
    monkeypatch.delenv(wg.ENV, raising=False)
    if compiled.library() is None:
        assert wg.enabled(probe=lambda: {"square": 3.0, "line": 3.0}) == frozenset()
        return
    assert wg.enabled(probe=lambda: {"square": 1.2, "line": 1.3}) == {"square", "line"}
    assert wg.enabled(probe=lambda: {"square": wg.MIN_SPEEDUP - 0.01, "line": 1.3}) == {"line"}
    assert wg.enabled(probe=lambda: {"square": 0.9, "line": 0.9}) == frozenset()
    monkeypatch.setenv(wg.ENV, "0")
    assert wg.enabled(probe=lambda: {"square": 3.0, "line": 3.0}) == frozenset()
    assert wg.status() == f"off ({wg.ENV}=0)"
    monkeypatch.setenv(wg.ENV, "all")
    assert wg.enabled(probe=lambda: {"square": 0.1, "line": 0.1}) == {"square", "line"}
    assert wg.status() == "on: 3x3/5x5 and 1x7/7x1 convolutions in fp32 on the CPU"


def test_status_says_which_kinds_and_why(monkeypatch):
    if compiled.library() is None:
        pytest.skip(f"no compiled Winograd transforms: {compiled.why_not()}")
    monkeypatch.delenv(wg.ENV, raising=False)
    key = wg.machine_key(torch.device("cpu"))
    monkeypatch.setattr(wg, "_decided", {key: frozenset({"line"})})
    assert wg.status() == "on: 1x7/7x1 convolutions in fp32 on the CPU (measured faster here; 3x3/5x5: not faster)"
    monkeypatch.setattr(wg, "_decided", {key: frozenset(wg.KINDS)})
    assert wg.status() == "on: 3x3/5x5 and 1x7/7x1 convolutions in fp32 on the CPU (measured faster here)"
    monkeypatch.setattr(wg, "_decided", {key: frozenset()})
    assert wg.status() == "off: not faster than torch's convolutions on this CPU (measured)"


@needs_library
def test_the_real_probe_measures_each_kind():
    """The probe's stacks really switch their convolutions to Winograd, and give positive speed-ups."""
    nets = wg._probe_nets()
    assert set(nets) == set(wg.KINDS)
    assert sum("forward" in vars(m) for net, _ in nets.values() for m in net.modules()) == 0
    assert wg.use_winograd(nets["square"][0], kinds={"square"}) == 6  # the stem's 3x3s, the 80 -> 192 one, the block's
    assert wg.use_winograd(nets["line"][0], kinds={"line"}) == 4
    speedups = wg.probe_winograd(repeats=1, budget_s=0, scale=0.5)
    assert set(speedups) == set(wg.KINDS) and all(s > 0 for s in speedups.values())


@needs_library
def test_decision_cached_on_disk_per_machine(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv(wg.ENV, raising=False)
    monkeypatch.setattr(wg, "_decided", {})
    runs = []
    monkeypatch.setattr(wg, "probe_winograd", lambda: runs.append(1) or {"square": 1.31, "line": 0.97})
    assert wg.enabled() == {"square"}
    saved = json.loads((tmp_path / "dreamlib" / "winograd.json").read_text())
    (entry,) = saved["machines"].values()
    assert entry["speedup"] == {"square": 1.31, "line": 0.97} and entry["version"] == wg.PROBE_VERSION
    monkeypatch.setattr(wg, "_decided", {})  # a new process: the file answers
    assert wg.enabled() == {"square"} and len(runs) == 1
    (tmp_path / "dreamlib" / "winograd.json").write_text("{not json")  # corrupt: measured again, rewritten
    monkeypatch.setattr(wg, "_decided", {})
    assert wg.enabled() == {"square"} and len(runs) == 2
    for old in ({**entry, "version": wg.PROBE_VERSION - 1}, {"speedup": 1.31, "version": 2}, {**entry, "speedup": {"square": "x"}},
                {**entry, "speedup": {"square": 1.31}}):
        # an older probe's answer, the one-number answer of version 2, nonsense, a kind missing: measured again
        (tmp_path / "dreamlib" / "winograd.json").write_text(json.dumps({**saved, "machines": {k: old for k in saved["machines"]}}))
        monkeypatch.setattr(wg, "_decided", {})
        before = len(runs)
        assert wg.enabled() == {"square"} and len(runs) == before + 1


def test_a_failing_probe_means_torch_convolutions_and_a_reason(monkeypatch):
    monkeypatch.delenv(wg.ENV, raising=False)
    monkeypatch.setattr(wg, "_decided", {})
    monkeypatch.setattr(wg, "_probe_failed", "")
    monkeypatch.setattr(wg, "probe_winograd", lambda: 1 / 0)
    monkeypatch.setenv("DREAMLIB_PROBE_CACHE", "0")
    if compiled.library() is None:
        pytest.skip(f"no compiled Winograd transforms: {compiled.why_not()}")
    assert wg.enabled() == frozenset()
    assert wg.status() == "off: its measurement failed (ZeroDivisionError: division by zero)"


@needs_library
def test_folded_twin_uses_it_and_keeps_the_gradient(monkeypatch):
    """dream()'s folded copy of a network runs its eligible convolutions by Winograd (when measured faster) and
    gives the same input gradient as the network itself."""
    monkeypatch.setenv(wg.ENV, "all")
    torch.manual_seed(0)
    model = dl.load_model("shapes")
    image = torch.rand(1, 3, 48, 48)
    objective = dl.layer_mean("conv5")
    twin = folded_twin(model, ["conv5"])
    switched = [name for name, m in twin.net.named_modules() if "forward" in vars(m) and isinstance(m, nn.Conv2d)]
    assert switched and all(winograd_conv.kind(dict(twin.net.named_modules())[n]) for n in switched)
    g0, s0 = dl.image_gradient(model, image, objective)
    g1, s1 = dl.image_gradient(twin, image, objective)
    assert torch.allclose(s1, s0, rtol=1e-4)
    assert F.cosine_similarity(g1.flatten(), g0.flatten(), dim=0) > 0.99999


def test_folded_twin_without_it(monkeypatch):
    monkeypatch.setenv(wg.ENV, "0")
    model = dl.load_model("shapes")
    twin = folded_twin(model, ["conv4"])
    assert not [m for m in twin.net.modules() if "forward" in vars(m) and isinstance(m, nn.Conv2d)]
