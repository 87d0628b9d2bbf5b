"""Static checks of the lessons; nbval (in `make test`) executes them top to bottom."""

from __future__ import annotations

import ast
import builtins
import json
import re
import sys

import pytest

from tests.helpers import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import lesson_times  # noqa: E402

import notebooks as nbtool  # noqa: E402

FIRST = "00_first_dream"  # a preview: it uses the packaged dream before any lesson has built it
LESSONS = [
    "01_hooks",
    "02_preprocessing",
    "03_gradient_ascent",
    "04_octaves",
    "05_layer_comparison",
    "06_beyond",
    "07_optical_flow",
    "08_dreaming_in_time",
    "09_train_your_own_dreamer",
    "10_robust_dreamers",
    "11_why_dogs",
    "12_feature_visualisation",
    "13_transformations_and_diversity",
    "14_maco",
    "15_feature_accentuation",
    "16_neuron_catalogue",
    "17_dont_trust_your_eyes",
    "18_forced_choice",
    "19_which_unit_sees_what",
    "20_how_a_transformer_sees",
]
ALL = [FIRST, *LESSONS]


def _load(name: str) -> dict:
    return json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))


def _code(cell: dict) -> str:
    lines = "".join(cell["source"]).splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith(("%", "!")))  # IPython magics


def test_every_lesson_exists_and_nothing_else_is_unlisted():
    found = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert found == ALL
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ALL:
        assert f"(notebooks/{name}.ipynb)" in readme


@pytest.mark.parametrize("name", ALL)
def test_committed_without_stale_outputs(name):
    assert nbtool.problems(_load(name)) == []


@pytest.mark.parametrize("name", ALL)
def test_lesson_structure(name):
    nb = _load(name)
    text = "\n".join("".join(c["source"]) for c in nb["cells"])
    first = "".join(nb["cells"][0]["source"])
    assert f"colab.research.google.com/github/dreamlib/dreamlib/blob/main/notebooks/{name}.ipynb" in first
    assert "You will learn to" in first and re.search(r"\*\*Time:\*\*.*CPU.*GPU", first)
    assert '"google.colab" in sys.modules' in "".join(nb["cells"][1]["source"])
    assert "## Summary" in text
    if name != FIRST:
        assert "Exercise" in text and "dl.exercises.check_" in text
    assert any("nbval-check-output" in c["metadata"].get("tags", []) for c in nb["cells"])
    assert "InceptionV3 (Inception v1)" not in text and "2015 DeepDream used InceptionV3" not in text


def _defined_and_used(source: str) -> tuple[set[str], set[str]]:
    tree = ast.parse(source)
    defined, used = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (defined if isinstance(node.ctx, (ast.Store, ast.Del)) else used).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            defined.add(node.name)
    return defined, used


@pytest.mark.parametrize("name", ALL)
def test_restart_and_run_all_order(name):
    """No cell uses a name that only a later cell defines (nbval then proves the order by running it)."""
    cells = [_code(c) for c in _load(name)["cells"] if c["cell_type"] == "code"]
    per_cell = [_defined_and_used(src) for src in cells]
    known = set(dir(builtins))
    for i, (defined, used) in enumerate(per_cell):
        later = set().union(*(d for d, _ in per_cell[i + 1 :])) if i + 1 < len(per_cell) else set()
        missing = (used - known - defined) & later
        assert not missing, f"{name} cell {i} uses {sorted(missing)} before a later cell defines it"
        known |= defined


def test_order_check_catches_a_late_definition():
    cells = ["print(x)", "x = 1"]
    per_cell = [_defined_and_used(c) for c in cells]
    assert "x" in per_cell[0][1] and "x" in per_cell[1][0]


def test_cleanliness_check_catches_stale_outputs_and_counts():
    tagged = {
        "cell_type": "code",
        "metadata": {"tags": ["nbval-check-output"]},
        "execution_count": 1,
        "outputs": [{"output_type": "stream", "name": "stdout", "text": "ok\n"}],
        "source": "print('ok')",
    }
    stale = {
        "cell_type": "code",
        "metadata": {},
        "execution_count": 7,
        "outputs": [{"output_type": "display_data", "data": {}}],
        "source": "plot()",
    }
    assert nbtool.problems({"cells": [tagged]}) == []
    found = nbtool.problems({"cells": [tagged, stale]})
    assert any("execution count 7" in p for p in found) and any("not tagged" in p for p in found)
    assert nbtool.problems(nbtool.strip({"cells": [tagged, stale], "metadata": {}})) == []


# Set-up helpers every lesson's first cells use; each says what it does where it is used.
SETUP_HELPERS = {"__version__", "quick_mode", "pick", "stopwatch", "resolve_device"}
TAUGHT = re.compile(r"taught\s+in\s+(?:notebook|lesson)s?\s+(\d\d)", re.I)
DL_CHAIN = re.compile(r"\bdl\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)")


def _called_from_dl(source: str) -> dict[str, object]:
    """``{"shapes.judge": <function>, ...}``: every object a lesson reaches through ``dl.``, modules walked through."""
    import inspect

    import dreamlib

    found = {}
    for chain in set(DL_CHAIN.findall(source)):
        obj, parts, walked = dreamlib, chain.split("."), []
        for part in parts:
            obj = getattr(obj, part, None)
            walked.append(part)
            if obj is None or not inspect.ismodule(obj):
                break
        if obj is not None and not inspect.ismodule(obj) and parts[0] != "exercises":
            found[".".join(walked)] = obj
    return found


def _later_lessons_used(name: str, source: str) -> list[str]:
    """What a lesson uses that it cannot yet know: taught in a later lesson, or in none."""
    import inspect

    problems = []
    for chain, obj in sorted(_called_from_dl(source).items()):
        if chain in SETUP_HELPERS or (inspect.isclass(obj) and issubclass(obj, BaseException)):
            continue
        if not (callable(obj) or inspect.isclass(obj)):
            continue  # constants (CLASSES, MODELS): read, not taught
        match = TAUGHT.search(inspect.getdoc(obj) or "")
        if match is None:
            problems.append(f"dl.{chain} (its docstring names no lesson)")
        elif match.group(1) > name[:2]:
            problems.append(f"dl.{chain} (taught in lesson {match.group(1)})")
    return problems


@pytest.mark.parametrize("name", LESSONS)
def test_no_lesson_uses_what_a_later_lesson_teaches(name):
    """One path: every ``dl.`` function a lesson calls is taught ("Taught in notebook NN") there or earlier."""
    source = "\n".join(_code(c) for c in _load(name)["cells"] if c["cell_type"] == "code")
    assert _later_lessons_used(name, source) == []


def test_the_path_check_catches_a_later_function_and_an_untaught_one():
    assert _later_lessons_used("03_x", "dl.dream(m, x)\nimages = dl.shapes.make_batch(4)") == [
        "dl.dream (taught in lesson 04)",
        "dl.shapes.make_batch (taught in lesson 06)",
    ]
    assert _later_lessons_used("13_x", "dl.dream(m, x); dl.pick(1, 2); dl.shapes.CLASSES") == []
    assert _later_lessons_used("13_x", "dl.vis.maco._shipped('photos')") == [
        "dl.vis.maco._shipped (its docstring names no lesson)"
    ]


def test_each_lesson_names_the_next_one():
    """The summary of every lesson but the last ends with "**Next:** NN · <the next lesson's title>"."""
    for here, after in zip(ALL, ALL[1:]):
        cells = _load(here)["cells"]
        summary = "".join(next(c for c in cells[::-1] if c["cell_type"] == "markdown")["source"])
        title = "".join(_load(after)["cells"][0]["source"]).splitlines()[0]  # "# 04 · Octaves: ..."
        short = " ".join(title[2:].split()[:3]).rstrip(":?")  # "04 · Octaves"
        assert f"**Next:** {short}" in summary, f"{here} does not end by naming {short}"


def test_every_public_function_names_the_lesson_that_teaches_it():
    import inspect

    import dreamlib

    exceptions = (BaseException, Warning)
    for name in dreamlib.__all__:
        obj = getattr(dreamlib, name)
        if inspect.isfunction(obj) or (inspect.isclass(obj) and not issubclass(obj, exceptions)):
            assert "notebook" in (inspect.getdoc(obj) or "").lower(), f"dreamlib.{name}'s docstring names no notebook"


QUIET_CALLS = {"print", "plt.show", "display", "dl.show_grid", "show_top5", "forgotten.remove"}


@pytest.mark.parametrize("name", ALL)
def test_no_object_repr_leaks_into_outputs(name):
    """A cell's last expression is a call that returns None (print, plt.show, ...) or is silenced with ';'."""
    for i, cell in enumerate(_load(name)["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = _code(cell)
        tree = ast.parse(source)
        last = tree.body[-1] if tree.body else None
        if isinstance(last, ast.Expr) and not source.rstrip().endswith(";"):
            func = ast.unparse(last.value.func) if isinstance(last.value, ast.Call) else None
            assert func in QUIET_CALLS, f"{name} cell {i} ends with `{ast.unparse(last)}`, whose repr would be shown"


@pytest.mark.parametrize("name", ALL)
def test_setup_cell_is_the_one_template(name):
    """The Colab install source is written once (tools/notebooks.py); `make sync` rewrites the lessons from it."""
    first_code = next(c for c in _load(name)["cells"] if c["cell_type"] == "code")
    assert "".join(first_code["source"]) == nbtool.setup_source(), "run `make sync`"


def test_colab_installs_dreamlib_alone_pinned_to_this_release():
    import dreamlib

    source = nbtool.install_source()
    assert source == f"dreamlib @ git+https://github.com/dreamlib/dreamlib@v{dreamlib.__version__}"
    assert nbtool.version() == dreamlib.__version__
    setup = nbtool.setup_source()
    assert "jupyter" not in setup.split("import torch")[0].lower().replace("colab already has jupyter", "")


IMAGENET_LOAD = re.compile(r"load_model\(\s*\"(inception_v3|googlenet|vgg16|resnet50)\"([^)]*)\)")


@pytest.mark.parametrize("name", ALL)
def test_lessons_never_need_imagenet_weights_and_never_use_random_ones(name):
    """Offline, a lesson continues on a trained model (fallback=); random weights are never loaded silently."""
    text = "\n".join("".join(c["source"]) for c in _load(name)["cells"] if c["cell_type"] == "code")
    for match in IMAGENET_LOAD.finditer(text):
        assert "fallback=" in match.group(2), f"{name}: {match.group(0)} has no fallback"
    assert 'weights="random"' not in text and "DREAMLIB_WEIGHTS" not in text


@pytest.mark.parametrize("name", ALL)
def test_each_lesson_opens_with_the_picture_it_will_make(name):
    """One cell is tagged ``lesson-picture``; `tools/run_lessons.py --pictures` saves its figure, and every lesson but
    the first (which dreams in its first minute) shows that picture under its title."""
    cells = _load(name)["cells"]
    tagged = [c for c in cells if "lesson-picture" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1 and tagged[0]["cell_type"] == "code", f"{name}: tag exactly one code cell lesson-picture"
    if name != FIRST:
        first = "".join(cells[0]["source"])
        assert f"](../docs/images/lessons/{name}.jpg)" in first, f"{name} does not open with its picture"
        assert (ROOT / "docs" / "images" / "lessons" / f"{name}.jpg").is_file(), "run tools/run_lessons.py --pictures"


@pytest.mark.parametrize("name", ALL)
def test_lesson_is_valid_nbformat(name):
    import warnings

    import nbformat

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing cell id is only a warning today, an error tomorrow
        nbformat.validate(nbformat.reads((ROOT / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"), 4))


@pytest.mark.parametrize("name", ALL)
def test_the_time_a_lesson_states_is_the_readmes(name):
    """Each lesson's **Time:** line states the README table's measured times (`tools/lesson_times.py` writes both)."""
    offline, imagenet = lesson_times.table()[name[:2]]
    first = "".join(_load(name)["cells"][0]["source"])
    assert re.fullmatch(r"\d+ s", offline), f"README has no measured offline time for {name}"
    assert f"running it takes about {offline} on a 2-core CPU {lesson_times.on_what(imagenet)}" in first
    assert (f"{imagenet} on InceptionV3" in first) == bool(re.fullmatch(r"\d+ s", imagenet))
