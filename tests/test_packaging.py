"""The wheel carries the sample images (with their credits) and the shapes weights, so they work after `pip install`."""

import os
import re
import shlex
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


# --- issue 10: the wheel alone runs every README command, from any folder ------------------------------------


def _build_wheel(tmp_path: Path) -> Path:
    """Build the wheel from a copy of what a clone has (so stray build folders never leak in)."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, src / name)
    for folder in ("dreamlib", "images"):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path / "dist")],
        check=True, capture_output=True, timeout=300,
    )
    (wheel,) = (tmp_path / "dist").glob("dreamlib-*.whl")
    return wheel


def readme_commands() -> list[str]:
    """Every ``dreamlib ...`` line of the README's bash blocks, comments removed."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] == ["dreamlib"]:
                lines.append(shlex.join(words))
    return lines


def test_the_readme_lists_the_cli_commands():
    commands = readme_commands()
    assert any(c.startswith("dreamlib dream sample:chelsea") for c in commands)
    assert {"dreamlib samples", "dreamlib --version"} <= set(commands)


def test_every_readme_command_runs_from_the_installed_wheel_in_another_folder(tmp_path):
    """Install the wheel alone into a fresh venv (torch & co. are borrowed from this environment, read-only:
    the new venv sees this one's site-packages through a .pth file, never its dreamlib) and run each README
    command from an empty folder. Commands that need the network (a URL input) are left out; dreams are made
    small (``--size 120 --steps 1 --octaves 1``, ``--frames 2``: later options win) and ImageNet models use
    random weights (``DREAMLIB_WEIGHTS=random``), so what is checked is that each command runs, not its picture."""
    import sysconfig
    import venv

    wheel = _build_wheel(tmp_path)
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "_borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
                    str(wheel)], check=True, capture_output=True, timeout=300)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DREAMLIB_OFFLINE")}
    env["DREAMLIB_WEIGHTS"] = "random"
    where = subprocess.run([str(python), "-c", "import dreamlib; print(dreamlib.__file__)"], cwd=work, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).is_relative_to(env_dir), where  # the wheel's dreamlib, not the checkout's
    small = {"dream": ["--size", "120", "--steps", "1", "--octaves", "1", "-q"],
             "zoom": ["--size", "120", "--steps", "1", "--frames", "2", "-q"]}
    ran = 0
    for command in readme_commands():
        words = shlex.split(command)
        if any("://" in w for w in words):
            continue
        words = [str(bindir / "dreamlib"), *words[1:], *small.get(words[1], [])]
        done = subprocess.run(words, cwd=work, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{command}\n{done.stderr}"
        assert "Traceback" not in done.stderr
        if "-o" in words:
            assert (work / words[words.index("-o") + 1]).is_file(), command
        ran += 1
    assert ran >= 6
    assert subprocess.run([str(bindir / "dreamlib"), "--version"], cwd=work, env=env, capture_output=True,
                          text=True).stdout.strip() == f"dreamlib {_version()}"


def _version() -> str:
    return re.search(r'^__version__ = "([^"]+)"', (ROOT / "dreamlib" / "__init__.py").read_text(), re.M).group(1)
