"""The house rules the package keeps (issue 23): lessons in front, speed behind one switch, tests that mirror."""

from __future__ import annotations

import re

from tests.helpers import ROOT

PACKAGE = ROOT / "dreamlib"
SPEED = re.compile(r"channels_last|torch\.autocast|autocast\(|fuse_conv_bn|fold_batchnorm|fast_model|FastModel")
# Top-level modules that choose the fast path (the switch) without doing any of it themselves.
SWITCHES = {"octaves.py"}
NOT_MIRRORED = {"exercises/_shared.py"}  # private helpers of the checkers, tested through them


def test_at_most_twenty_top_level_modules():
    assert len(list(PACKAGE.glob("*.py"))) <= 20


def test_lesson_modules_hold_no_speed_code():
    found = {}
    for path in PACKAGE.glob("*.py"):
        hits = set(SPEED.findall(path.read_text(encoding="utf-8")))
        if hits and path.name not in SWITCHES:
            found[path.name] = sorted(hits)
    assert found == {}


def test_every_module_has_its_test_module():
    missing = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if path.name in ("__init__.py", "__main__.py") or rel.as_posix() in NOT_MIRRORED:
            continue
        if not (ROOT / "tests" / rel.parent / f"test_{path.name}").exists():
            missing.append(rel.as_posix())
    assert missing == []


def test_nothing_compiles_on_a_learners_machine():
    assert not list(PACKAGE.rglob("*.c")) and "gcc" not in (ROOT / ".ci" / "run").read_text()
