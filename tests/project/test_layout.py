"""The house rules the package keeps: lessons in front, speed behind one step (dl.faster), tests that mirror."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers import ROOT

PACKAGE = ROOT / "dreamlib"
# What runs a network faster or holds a print-size image in less memory: names of the code that does it.
SPEED = {
    "channels_last", "autocast", "fuse_conv_bn_eval", "fold_batchnorm", "fold_pairs", "fast_model", "FastModel",
    "bfloat16", "precision", "resolve_precision", "malloc_trim", "ctypes", "CDLL", "untyped_storage", "data_ptr",
}  # fmt: skip
# Top-level modules that may hold some, each for its reason: the rest are the lessons' code only.
SPEED_HOMES = {
    "tiles.py": "print-size dreams: uint8 pixels, a bfloat16 gradient buffer, memory handed back",
    "prepare.py": "names the network to step on: a dl.faster model's twin (renders ask for it in float32)",
}
NOT_MIRRORED = {"exercises/_shared.py"}  # private helpers of the checkers, tested through them


def test_at_most_twenty_top_level_modules():
    assert len(list(PACKAGE.glob("*.py"))) <= 20


def _names(path: Path) -> set[str]:
    """Every name the code of ``path`` uses (variables, attributes, arguments, imports; not docstrings or comments)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.arg):
            found.add(node.arg)
        elif isinstance(node, ast.keyword) and node.arg:
            found.add(node.arg)
        elif isinstance(node, ast.alias):
            found.add(node.asname or node.name.split(".")[-1])
    return found


def test_lesson_modules_hold_no_speed_code():
    found = {}
    for path in PACKAGE.glob("*.py"):
        hits = _names(path) & SPEED
        if hits and path.name not in SPEED_HOMES:
            found[path.name] = sorted(hits)
    assert found == {}
    assert _names(PACKAGE / "tiles.py") & SPEED  # the check sees speed code where it is


def test_dream_is_lesson_04s_loop_on_one_screen():
    """dl.dream's body (docstring aside) fits a screen and steps with lesson 03's ascent_step, nothing else."""
    tree = ast.parse((PACKAGE / "octaves.py").read_text(encoding="utf-8"))
    (dream,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "dream"]
    body = dream.body[1:] if isinstance(dream.body[0], ast.Expr) else dream.body
    assert body[-1].end_lineno - body[0].lineno + 1 <= 40
    calls = {n.func.id for n in ast.walk(dream) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert "ascent_step" in calls and "dream_step" not in calls


def test_every_module_has_its_test_module():
    """tests/ mirrors dreamlib/, and each test module names the module it tests (its path or its import)."""
    missing, unnamed = [], []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if path.name in ("__init__.py", "__main__.py") or rel.as_posix() in NOT_MIRRORED:
            continue
        test = ROOT / "tests" / rel.parent / f"test_{path.name}"
        if not test.exists():
            missing.append(rel.as_posix())
            continue
        dotted = "dreamlib." + rel.with_suffix("").as_posix().replace("/", ".")
        package, _, name = dotted.rpartition(".")
        text = test.read_text(encoding="utf-8")
        if not any(s in text for s in (f"dreamlib/{rel.as_posix()}", dotted, f"from {package} import {name}")):
            unnamed.append(rel.as_posix())
    assert missing == [] and unnamed == []


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
