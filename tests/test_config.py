"""Environment switches, read in one place, and the lessons' setup helpers (dreamlib/config.py)."""

from __future__ import annotations

import re

import pytest

import dreamlib as dl
from dreamlib import config
from tests.helpers import ROOT


def test_pick_follows_quick_mode(monkeypatch):
    assert dl.pick("full", "quick") == "full" and not dl.quick_mode()
    for value in ("1", "true", "YES", " on "):
        monkeypatch.setenv("DREAMLIB_QUICK", value)
        assert dl.quick_mode() and dl.pick("full", "quick") == "quick"
    monkeypatch.setenv("DREAMLIB_QUICK", "0")
    assert not dl.quick_mode()


def test_switches_and_the_cache_folder(monkeypatch, tmp_path):
    assert config.chosen_weights() is None and config.default_weights() == "imagenet"
    monkeypatch.setenv("DREAMLIB_WEIGHTS", "  random ")
    assert config.chosen_weights() == config.default_weights() == "random"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert config.cache_dir() == tmp_path / "dreamlib"
    assert config.probe_cache_on()
    monkeypatch.setenv("DREAMLIB_PROBE_CACHE", "off")
    assert not config.probe_cache_on()


def test_the_environment_is_read_here_and_nowhere_else_in_the_package():
    readers = re.compile(r"os\.environ|os\.getenv|getenv\(")
    found = [
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "dreamlib").rglob("*.py")
        if readers.search(p.read_text(encoding="utf-8")) and p.name != "config.py"
    ]
    assert found == []


def test_stopwatch_prints_how_long_and_where(capsys):
    with dl.stopwatch("cpu") as watch:
        sum(range(1000))
    out = capsys.readouterr().out
    assert re.fullmatch(r"took \d+\.\d s on cpu\n", out) and watch.seconds >= 0
    with pytest.raises(ZeroDivisionError), dl.stopwatch():
        1 / 0  # noqa: B018 - the section fails
    assert capsys.readouterr().out.startswith("took ")  # a failing section still says how long it ran
