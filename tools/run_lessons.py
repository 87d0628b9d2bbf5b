"""Run every lesson top to bottom in a fresh kernel and time it: ``python tools/run_lessons.py [--compare] [NN ...]``.

For what `make test` does not cover: ``make test-imagenet`` (the lessons on real ImageNet weights,
whose checked outputs differ from the offline model's, so they are not compared) and
``make test-gpu`` (on CUDA, where ``--compare`` also checks every ``nbval-check-output`` cell
against its committed text, as nbval does). Prints one line per lesson with its wall time, the
device and the model the lesson reported; exits 1 if a lesson raised or a compared output differs.
Lessons run in a temporary copy of ``notebooks/`` (files they write stay out of the repository).
``--pictures`` also writes the figure of each lesson's cell tagged ``lesson-picture`` to
``docs/images/lessons/<lesson>.jpg``: the picture at the top of the lesson, of what it will make.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TAG = "nbval-check-output"
PICTURE = "lesson-picture"
PICTURES = ROOT / "docs" / "images" / "lessons"


def _text(cell: dict) -> str:
    return "".join(
        "".join(o.get("text", ""))
        for o in cell.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stdout"
    )


def update(path: Path, committed: dict, executed) -> None:
    """Write the executed text of every ``nbval-check-output`` cell into the committed notebook."""
    sys.path.insert(0, str(ROOT / "tools"))
    import notebooks as nbtool

    for old, new in zip(committed["cells"], executed.cells):
        if old["cell_type"] == "code" and TAG in old.get("metadata", {}).get("tags", []):
            old["outputs"] = [{"name": "stdout", "output_type": "stream", "text": _text(new)}] if _text(new) else []
    path.write_text(json.dumps(nbtool.strip(committed), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def save_picture(path: Path, executed) -> Path | None:
    """The last figure of the lesson's ``lesson-picture`` cell, at most 960 px wide, as a JPEG (a small file)."""
    import base64
    import io

    from PIL import Image

    for cell in executed.cells:
        if PICTURE in cell.get("metadata", {}).get("tags", []):
            figures = [o["data"]["image/png"] for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
            if figures:
                image = Image.open(io.BytesIO(base64.b64decode(figures[-1]))).convert("RGB")
                if image.width > 960:
                    image = image.resize((960, round(image.height * 960 / image.width)), Image.LANCZOS)
                PICTURES.mkdir(parents=True, exist_ok=True)
                out = PICTURES / f"{path.stem}.jpg"
                image.save(out, quality=85, optimize=True)
                return out
    return None


def run(
    path: Path, workdir: Path, compare: bool, timeout: int, write: bool = False, picture: bool = False
) -> tuple[float, list[str]]:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    committed = json.loads(path.read_text(encoding="utf-8"))
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    problems = []
    start = time.perf_counter()
    try:
        NotebookClient(
            nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
        ).execute()
    except CellExecutionError as exc:
        problems.append(re.sub(r"\x1b\[[0-9;]*m", "", str(exc).strip().splitlines()[-1]))  # no terminal colours
    seconds = time.perf_counter() - start
    if picture and not problems and save_picture(path, nb) is None:
        problems.append(f"no figure from a cell tagged {PICTURE!r}")
    if write and not problems:
        update(path, committed, nb)
    elif compare and not problems:
        for i, (old, new) in enumerate(zip(committed["cells"], nb.cells)):
            if old["cell_type"] == "code" and TAG in old.get("metadata", {}).get("tags", []) and old.get("outputs"):
                if _text(old) != _text(new):
                    problems.append(f"cell {i}: expected {_text(old)!r}, got {_text(new)!r}")
    return seconds, problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", help="lesson numbers or names (default: all)")
    parser.add_argument(
        "--compare", action="store_true", help="compare nbval-check-output cells with the committed text"
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="write the new text of the nbval-check-output cells into the committed lessons",
    )
    parser.add_argument(
        "--pictures", action="store_true", help=f"write each lesson's {PICTURE!r} figure to docs/images/lessons/"
    )
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = parser.parse_args(argv)
    paths = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args.lessons:
        paths = [p for p in paths if any(p.stem.startswith(sel) for sel in args.lessons)]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "notebooks"
        shutil.copytree(ROOT / "notebooks", work)
        for path in paths:
            seconds, problems = run(path, work, args.compare, args.timeout, args.update, args.pictures)
            print(f"{path.stem:28s} {seconds:7.1f} s  {'ok' if not problems else 'FAILED'}", flush=True)
            for p in problems:
                print(f"    {p}", flush=True)
            failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
