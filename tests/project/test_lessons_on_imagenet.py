"""Every lesson runs top to bottom in quick mode on random-weight ImageNet models.
That is the path a Colab learner takes (InceptionV3, and GoogLeNet or a ResNet-50 where a lesson loads them, and
ViT-B/16 in lesson 20), with the structure of the real networks but not their values: it finds the errors the shipped
48 px shapes model cannot, such as a quick image size below InceptionV3's 75 px minimum, without the weights that
cannot be downloaded here. nbval (in ``make test``) runs the lessons at full settings on the shipped model; this runs
them the other way.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.helpers import ROOT

LESSONS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
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
    nbformat.write(nb, executed_lessons / f"{name}.ipynb")  # the site test builds its pages from these
