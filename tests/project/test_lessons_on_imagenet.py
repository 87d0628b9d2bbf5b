"""Every lesson runs top to bottom in quick mode on random-weight ImageNet models.
That is the path a Colab learner takes (InceptionV3, and GoogLeNet or a ResNet-50 where a lesson loads them, and
ViT-B/16 in lesson 20), with the structure of the real networks but not their values: it finds the errors the shipped
48 px shapes model cannot, such as a quick image size below InceptionV3's 75 px minimum, without the weights that
cannot be downloaded here. nbval (in ``make test``) runs the lessons at full settings on the shipped model; this runs
them the other way.

What it checks is that every cell runs on those shapes, not what the pictures look like (random weights dream noise),
so a first cell, added here and not to the lesson, caps the optimisation steps of dreamlib's own loops (``steps=``
of ``dl.dream``, ``dl.render``, ``dl.accentuate``, the sparse autoencoder's and the forced-choice renders', ...: at
most 2; training: at most 20; lesson 17's fooling detector keeps its renders, which it must tell from photos). The
lessons' sizes, batches, layers and code paths stay those of quick mode; the steps were most of this test's time and
test nothing more.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.helpers import ROOT

LESSONS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
STEP_CAPS = {"train": 20}  # dl.shapes.train; every other function with a *steps argument: 2
CAP_STEPS = f"""
import functools, inspect
import dreamlib, dreamlib.shapes

def _capped(function, cap):
    signature = inspect.signature(function)
    names = [p for p in signature.parameters if p.endswith("steps")]

    @functools.wraps(function)
    def capped(*args, **kwargs):
        bound = signature.bind_partial(*args, **kwargs)
        for name in names:
            given = bound.arguments.get(name, signature.parameters[name].default)
            if given is None:  # dream's steps=None: the model's own count
                bound.arguments[name] = cap
            elif isinstance(given, int):
                bound.arguments[name] = min(given, cap)
        return function(*bound.args, **bound.kwargs)

    return capped

capped = []
for module in (dreamlib, dreamlib.shapes, dreamlib.two_afc, dreamlib.sae):
    for name in dir(module):
        function = getattr(module, name)
        if inspect.isfunction(function) and any(p.endswith("steps") for p in inspect.signature(function).parameters):
            setattr(module, name, _capped(function, {STEP_CAPS!r}.get(name, 2)))
            capped.append(name)
print("steps capped:", *sorted(capped))
"""
CAPPED = {"dream", "render", "accentuate", "train"}  # at least these, or the cap has stopped working
ASKS_FOR_IMAGENET = re.compile(r'load_model\(\s*"(inception_v3|googlenet|resnet50|vgg16|vit_b_16)"')


def _stdout(nb) -> str:
    return "".join(
        "".join(o.get("text", "")) for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "stream"
    )


@pytest.mark.parametrize("name", LESSONS)
def test_lesson_runs_quick_on_random_imagenet_models(name, tmp_path, monkeypatch, executed_lessons):
    import nbformat
    from nbclient import NotebookClient

    # The kernel inherits this environment: quick settings, ImageNet architectures with random weights, and no
    # DREAMLIB_OFFLINE (which would send the lessons to the shapes model instead).
    monkeypatch.setenv("DREAMLIB_QUICK", "1")
    monkeypatch.setenv("DREAMLIB_WEIGHTS", "random")
    monkeypatch.delenv("DREAMLIB_OFFLINE", raising=False)
    path = ROOT / "notebooks" / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(CAP_STEPS))  # see the module's docstring
    work = tmp_path / "notebooks"  # whatever the lesson writes (outputs/...) stays out of the clone
    work.mkdir()
    NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(work)}}).execute()
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")  # not the prose about them
    printed = _stdout(nb)
    if ASKS_FOR_IMAGENET.search(code):
        models = set(re.findall(r"model: (\w+)", printed))
        assert models & {"inception_v3", "googlenet", "resnet50", "vgg16", "vit_b_16"}, (
            f"{name} asked for an ImageNet model but reported {sorted(models) or 'none'}"
        )
        assert "quick mode: True" in printed
    cap = nb.cells.pop(0)  # the site test uses a lesson only if its cells are the lesson's
    assert CAPPED <= set("".join(o.get("text", "") for o in cap.outputs).split()), cap.outputs
    nbformat.write(nb, executed_lessons / f"{name}.ipynb")  # the site test builds its pages from these
