"""The house rules the package keeps (issue 23): lessons in front, speed behind one switch, tests that mirror."""

from __future__ import annotations

import ast
import re
from pathlib import Path

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


def _imports(path: Path, name: str, modules: set[str]) -> set[str]:
    """The dreamlib modules ``path`` imports, at its top or inside functions (not under ``if TYPE_CHECKING``),
    and the packages above each (Python runs a package's ``__init__`` before its modules), its own packages left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hidden = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
              for n in ast.walk(node)}  # fmt: skip
    here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.ImportFrom):
            base = ".".join(here[: len(here) - node.level + 1] + ([node.module] if node.module else []))
            target = base if node.level else (node.module or "")
            found |= {f"{target}.{a.name}" if f"{target}.{a.name}" in modules else target for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    with_parents = {".".join(m.split(".")[:k]) for m in found for k in range(2, m.count(".") + 2)}
    own = {".".join(name.split(".")[:k]) for k in range(1, name.count(".") + 2)}  # a package may import its modules
    return {m for m in with_parents if m in modules and m not in own}


def test_no_two_modules_import_each_other_directly_or_in_a_loop():
    """The import graph of dreamlib (top-level and function-level imports) has no cycle. ``import dreamlib`` itself
    loads nothing (its names load on first use), so the root package is left out."""
    paths = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        paths[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    modules = set(paths) - {"dreamlib"}
    graph = {name: _imports(paths[name], name, modules) for name in modules}
    done, trail, cycles = set(), [], []

    def visit(name):
        if name in trail:
            cycles.append(" -> ".join(trail[trail.index(name) :] + [name]))
            return
        if name in done:
            return
        trail.append(name)
        for other in sorted(graph[name]):
            visit(other)
        trail.pop()
        done.add(name)

    for name in sorted(modules):
        visit(name)
    assert cycles == []
