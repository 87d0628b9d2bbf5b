"""Keep committed notebooks clean and in sync: ``python tools/notebooks.py strip|check|sync [files]``.

``sync`` rewrites every lesson's setup cell (the second cell) from :data:`SETUP`, the one place
where the Colab install source is written; tests fail when a lesson's setup cell differs.

Committed notebooks carry no outputs and no execution counts, except cells tagged
``nbval-check-output`` whose small, deterministic text outputs nbval compares in CI
(nbval only compares cells that have an execution count, so those carry a fixed 1).
``strip`` rewrites the files; ``check`` lists offending cells and exits 1 (tests run it).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

TAG = "nbval-check-output"
ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
REPOSITORY = "https://github.com/dreamlib/dreamlib"


def version() -> str:
    """dreamlib's version, read from dreamlib/__init__.py, its one source (the released version Colab installs)."""
    match = re.search(
        r'^__version__ = "([^"]+)"', (ROOT / "dreamlib" / "__init__.py").read_text(encoding="utf-8"), re.M
    )
    return match.group(1)


def install_source() -> str:
    """What Colab pip-installs: dreamlib alone, pinned to the release tag of this version."""
    return f"dreamlib @ git+{REPOSITORY}@v{version()}"


SETUP = """\
# Setup. On Colab this installs dreamlib alone, pinned to a release (Colab already has Jupyter,
# PyTorch and matplotlib); elsewhere it uses your local install (`make test` or `pip install -e .`).
import sys, subprocess
if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{source}"], check=True)

import torch
import matplotlib.pyplot as plt
import dreamlib as dl

torch.manual_seed(0)
torch.backends.cudnn.deterministic = True   # on a GPU too, the same inputs give the same results (lessons compare runs)
# Quick mode (DREAMLIB_QUICK=1, for slow laptops) shrinks images and step counts; the lesson is the same.
print("dreamlib", dl.__version__, "| quick mode:", dl.quick_mode(), "| device:", dl.resolve_device("auto"))"""


def setup_source() -> str:
    """The setup cell every lesson starts with."""
    return SETUP.format(source=install_source())


def problems(nb: dict) -> list[str]:
    """What is not clean in a notebook's JSON."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        tagged = TAG in cell.get("metadata", {}).get("tags", [])
        expected = 1 if tagged and cell.get("outputs") else None
        if cell.get("execution_count") != expected:
            found.append(f"cell {i}: execution count {cell.get('execution_count')}, expected {expected}")
        for out in cell.get("outputs", []):
            if not tagged:
                found.append(f"cell {i}: output in a cell not tagged {TAG}")
                break
            if out.get("output_type") != "stream" or out.get("name") != "stdout":
                found.append(
                    f"cell {i}: tagged output is {out.get('output_type')}/{out.get('name')}, not plain stdout text"
                )
                break
            if out.get("execution_count") is not None:
                found.append(f"cell {i}: output carries an execution count")
    return found


def strip(nb: dict) -> dict:
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        tagged = TAG in cell.get("metadata", {}).get("tags", [])
        keep = [o for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == "stdout"]
        cell["outputs"] = keep if tagged else []
        cell["execution_count"] = 1 if cell["outputs"] else None
        cell["metadata"] = {k: v for k, v in cell.get("metadata", {}).items() if k == "tags"}
    nb["metadata"] = {k: v for k, v in nb.get("metadata", {}).items() if k in ("kernelspec", "language_info")}
    nb["metadata"]["language_info"] = {"name": "python"}
    return nb


def sync(nb: dict) -> dict:
    """Replace the setup cell (the first code cell) with :func:`setup_source`."""
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code")
    cell["source"] = setup_source().splitlines(keepends=True)
    return nb


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("strip", "check", "sync"):
        print("usage: python tools/notebooks.py strip|check|sync [notebook ...]", file=sys.stderr)
        return 2
    files = [Path(p) for p in argv[1:]] or sorted(NOTEBOOKS.glob("*.ipynb"))
    bad = 0
    for path in files:
        nb = json.loads(path.read_text(encoding="utf-8"))
        if argv[0] in ("strip", "sync"):
            nb = strip(sync(nb) if argv[0] == "sync" else nb)
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        else:
            for p in problems(nb):
                print(f"{path}: {p}")
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
