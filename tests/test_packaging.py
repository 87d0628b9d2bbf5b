"""The wheel carries the sample images (with their credits) and the shapes weights, so they work after `pip install`."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_sample_images_credits_and_weights(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for folder in ("dreamlib", "images"):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path / "dist")],
        check=True, capture_output=True, timeout=300,
    )
    (wheel,) = (tmp_path / "dist").glob("dreamlib-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    images = {p.name for p in (ROOT / "images").iterdir() if p.suffix in (".png", ".jpg", ".md")}
    assert {f"dreamlib/sample_images/{n}" for n in images} <= names
    assert {"dreamlib/weights/shapes.pth", "dreamlib/weights/shapes_skewed.pth", "dreamlib/patterns.py"} <= names
    weights = [info.file_size for info in zipfile.ZipFile(wheel).infolist() if info.filename.startswith("dreamlib/weights/")]
    assert sum(weights) <= 5_000_000  # the shipped models stay small
    assert "dreamlib/cli.py" in names and not any(n.startswith("tests/") for n in names)
    assert "dreamlib/exercises/__init__.py" in names and "dreamlib/exercises/_shared.py" in names
