"""The package: ``import dreamlib as dl`` gives every name the lessons use, loads torch only when needed, and
changes nothing global (dreamlib/__init__.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import dreamlib as dl
from tests.helpers import ROOT


def _lesson_names() -> set[str]:
    names = set()
    for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                names |= set(re.findall(r"\bdl\.([A-Za-z_]\w*)", "".join(cell["source"])))
    return names


def test_every_name_the_lessons_use_is_there_in_a_fresh_process():
    names = sorted(_lesson_names())
    assert {"dream", "ascent_step", "render", "shapes", "param", "transforms", "stopwatch", "models"} <= set(names)
    code = f"import dreamlib as dl; missing = [n for n in {names!r} if not hasattr(dl, n)]; print(missing)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
    for name in dl.__all__:
        assert getattr(dl, name) is not None, name
    modules = {p.stem for p in (ROOT / "dreamlib").glob("*.py")} | {
        p.parent.name for p in (ROOT / "dreamlib").glob("*/__init__.py")
    }
    assert modules - {"__init__", "__main__"} <= set(dl.__all__)  # dl.<module> works for every module


def test_import_is_light_and_changes_nothing_global():
    code = """
import signal, sys, warnings
import dreamlib as dl
assert "torch" not in sys.modules, "import dreamlib loaded torch"
import numpy, PIL.Image, torch, torchvision, tqdm.auto  # what dreamlib uses (their own imports set filters)
state = (list(warnings.filters), signal.getsignal(signal.SIGINT), torch.get_num_threads(), torch.get_default_dtype(),
         torch.is_grad_enabled())
model = dl.load_model("shapes")
dl.dream(model, dl.sample_image("chelsea", max_size=48), steps=1, octaves=1, progress=False)
dl.render(model, "conv2", size=32, steps=1, progress=False)
assert (list(warnings.filters), signal.getsignal(signal.SIGINT), torch.get_num_threads(), torch.get_default_dtype(),
        torch.is_grad_enabled()) == state
assert sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules()) == 0
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.stdout.strip() == "ok", done.stderr


def test_names_come_from_where_they_are_defined():
    assert dl.dream.__module__ == "dreamlib.octaves" and dl.render.__module__ == "dreamlib.vis.render"
    assert dl.param.__name__ == "dreamlib.vis.param" and "dream" in dir(dl)


def test_importing_dreamlib_sets_no_signal_handler_and_no_warning_filter():
    """Only the program (``dreamlib.__main__.run``) handles signals; importing dreamlib, even while ``python -m``
    starts some other module that imports it (``sys.argv[0]`` is then ``"-m"``), leaves them as they were."""
    code = """
import signal, sys, warnings
def state():
    return signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM), list(warnings.filters)
sys.argv[0] = "-m"  # as while `python -m some_package` imports some_package, and it imports dreamlib
before = state()
import dreamlib, dreamlib.cli, dreamlib.cli.app, dreamlib.cli.signals, dreamlib.errors
assert state() == before, (before, state())
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.stdout.strip() == "ok", done.stderr
