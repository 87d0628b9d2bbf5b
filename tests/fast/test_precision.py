"""precision="auto" is decided by a measurement: the decision rule (injected timings), the cache, the real probe."""

from __future__ import annotations

import json

import pytest
import torch

import dreamlib
from dreamlib.config import PRECISION_ENV, PROBE_CACHE_ENV
from dreamlib.fast import precision as prec
from dreamlib.fast.precision import BF16_MIN_COSINE, BF16_MIN_SPEEDUP, ProbeResult, choose_precision, measured_precision


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty process cache and a private disk cache directory."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv(PROBE_CACHE_ENV, raising=False)
    monkeypatch.delenv(PRECISION_ENV, raising=False)  # the probe decides (pytest --precision sets it)
    monkeypatch.setattr(prec, "_process_cache", {})
    return tmp_path / "dreamlib" / "precision.json"


class CountingProbe:
    """Stands in for the real probe: returns fixed timings and counts its calls."""

    def __init__(self, fp32_s: float, bf16_s: float, cosine: float) -> None:
        self.result, self.calls = ProbeResult(fp32_s, bf16_s, cosine), 0

    def __call__(self, device, *args, **kwargs) -> ProbeResult:
        self.calls += 1
        return self.result


@pytest.mark.parametrize(
    "fp32_s, bf16_s, cosine, expected",
    [
        (0.10, 0.05, 0.99, "bf16"),  # 2x faster, same gradient
        (0.10, 0.10 / BF16_MIN_SPEEDUP, BF16_MIN_COSINE, "bf16"),  # exactly at both thresholds
        (0.10, 0.09, 0.99, "fp32"),  # 1.11x: not clearly faster
        (0.10, 5.00, 0.99, "fp32"),  # emulated bf16, 50x slower
        (0.10, 0.05, 0.85, "fp32"),  # faster, but the gradient disagrees with fp32's
        (0.10, 0.05, float("nan"), "fp32"),  # a broken gradient never selects bf16
    ],
)
def test_decision_rule(fp32_s, bf16_s, cosine, expected):
    assert choose_precision(ProbeResult(fp32_s, bf16_s, cosine)) == expected
    assert measured_precision(torch.device("cpu"), probe=CountingProbe(fp32_s, bf16_s, cosine)) == expected


def test_resolve_precision_auto_follows_the_probe_both_ways(fresh_cache, monkeypatch):
    cpu = torch.device("cpu")
    fast = CountingProbe(0.10, 0.04, 0.98)
    monkeypatch.setattr(prec, "probe_precision", fast)
    assert dreamlib.resolve_precision("auto", cpu) == "bf16"
    assert dreamlib.resolve_precision("auto", cpu) == "bf16"
    assert fast.calls == 1  # cached for the process
    assert json.loads(fresh_cache.read_text())["machines"][prec.machine_key(cpu)]["choice"] == "bf16"

    slow = CountingProbe(0.10, 3.0, 0.98)
    monkeypatch.setattr(prec, "probe_precision", slow)
    monkeypatch.setattr(prec, "_process_cache", {})  # a new process on the same machine: the disk answers
    assert dreamlib.resolve_precision("auto", cpu) == "bf16" and slow.calls == 0
    fresh_cache.unlink()  # another machine (no cache yet): the probe answers
    monkeypatch.setattr(prec, "_process_cache", {})
    assert dreamlib.resolve_precision("auto", cpu) == "fp32" and slow.calls == 1
    assert dreamlib.resolve_precision("fp32", cpu) == "fp32" and dreamlib.resolve_precision("bf16", cpu) == "bf16"


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe\x00garbage",
        b"[1, 2]",
        b'{"version": 1, "machines": {"cpu-x": 3}}',
        b'{"version": 1, "machines": "oops"}',
    ],
)
def test_a_corrupt_disk_cache_is_ignored_and_rewritten(fresh_cache, monkeypatch, content):
    cpu = torch.device("cpu")
    fresh_cache.parent.mkdir(parents=True)
    fresh_cache.write_bytes(content)
    probe = CountingProbe(0.10, 0.20, 0.99)
    monkeypatch.setattr(prec, "probe_precision", probe)
    assert dreamlib.resolve_precision("auto", cpu) == "fp32" and probe.calls == 1
    assert json.loads(fresh_cache.read_text())["machines"][prec.machine_key(cpu)]["choice"] == "fp32"
    # a cached entry with an invalid choice is not trusted either
    fresh_cache.write_text(json.dumps({"version": 1, "machines": {prec.machine_key(cpu): {"choice": "fp8"}}}))
    monkeypatch.setattr(prec, "_process_cache", {})
    assert dreamlib.resolve_precision("auto", cpu) == "fp32" and probe.calls == 2


def test_disk_cache_can_be_turned_off(fresh_cache, monkeypatch):
    monkeypatch.setenv(PROBE_CACHE_ENV, "0")
    probe = CountingProbe(0.10, 0.05, 0.99)
    monkeypatch.setattr(prec, "probe_precision", probe)
    assert dreamlib.resolve_precision("auto", torch.device("cpu")) == "bf16" and probe.calls == 1
    assert not fresh_cache.exists()


@pytest.mark.parametrize("forced", ["fp32", "bf16", " BF16 "])
def test_dreamlib_precision_decides_auto_without_a_probe(fresh_cache, monkeypatch, forced):
    def never(device):
        raise AssertionError("DREAMLIB_PRECISION was set: no probe")

    monkeypatch.setattr(prec, "probe_precision", never)
    monkeypatch.setenv(PRECISION_ENV, forced)
    assert dreamlib.resolve_precision("auto", torch.device("cpu")) == forced.strip().lower()
    assert dreamlib.resolve_precision("auto", torch.device("meta")) == "fp32"  # no bf16 autocast there
    assert dreamlib.resolve_precision("fp32", torch.device("cpu")) == "fp32"  # an explicit precision wins
    assert not fresh_cache.exists()
    monkeypatch.setenv(PRECISION_ENV, "auto")  # the probe decides again
    monkeypatch.setattr(prec, "probe_precision", CountingProbe(0.10, 0.20, 0.99))
    assert dreamlib.resolve_precision("auto", torch.device("cpu")) == "fp32"


def test_a_bad_dreamlib_precision_is_one_line_naming_the_choices(fresh_cache, monkeypatch):
    monkeypatch.setenv(PRECISION_ENV, "fp16")
    with pytest.raises(dreamlib.DreamError, match=r"DREAMLIB_PRECISION must be auto, fp32 or bf16, not 'fp16'"):
        dreamlib.resolve_precision("auto", torch.device("cpu"))


def test_devices_without_a_probe_use_fp32(fresh_cache, monkeypatch):
    def never(device):
        raise AssertionError("no probe on this device")

    monkeypatch.setattr(prec, "probe_precision", never)
    assert dreamlib.resolve_precision("auto", torch.device("meta")) == "fp32"


def test_the_real_probe_returns_a_valid_measurement_quickly():
    threads = torch.get_num_threads()
    result = prec.probe_precision(torch.device("cpu"), repeats=2, budget_s=0.1)
    assert torch.get_num_threads() == threads  # the probe runs single-threaded and restores the setting
    assert result.fp32_s > 0 and result.bf16_s > 0
    assert BF16_MIN_COSINE <= result.cosine <= 1.0 + 1e-9  # bf16 gradients of a shallow net agree with fp32's
    assert choose_precision(result) in {"fp32", "bf16"}


def test_the_machine_key_changes_with_the_instruction_sets_torch_may_use(monkeypatch):
    cpu = torch.device("cpu")
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    monkeypatch.delenv("DNNL_MAX_CPU_ISA", raising=False)
    plain = prec.machine_key(cpu)
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")  # an AVX512 machine limited to AVX2: another answer
    assert prec.machine_key(cpu) != plain
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA")
    assert prec.machine_key(cpu) == plain


def test_the_probe_leaves_the_callers_random_numbers_alone():
    # a library that measures itself must not shift the random numbers of the code around it
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    prec.probe_precision(torch.device("cpu"), repeats=1, budget_s=0.1)
    assert torch.equal(torch.rand(3), expected)


def test_the_probe_measures_when_called_without_gradients():
    with torch.no_grad():  # where a dream's check of the model first asks for the precision
        result = prec.probe_precision(torch.device("cpu"), repeats=2, budget_s=0.1)
    assert result.fp32_s > 0 and result.bf16_s > 0 and BF16_MIN_COSINE <= result.cosine <= 1.0 + 1e-9


def test_the_first_faster_dream_on_a_new_machine_measures_and_dreams(fresh_cache):
    """A learner's first ``dl.dream(dl.faster(model), ...)`` (lesson 04) finds no cached answer and probes."""
    fast = dreamlib.faster(dreamlib.load_model("shapes"))
    image = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    dreamed = dreamlib.dream(fast, image, "conv4", octaves=1, steps=1, seed=0, progress=False)
    assert dreamed.shape == image.shape and not torch.equal(dreamed, image)
    assert fresh_cache.exists()  # the probe ran and its answer was kept for the next time
