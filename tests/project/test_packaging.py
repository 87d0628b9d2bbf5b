"""Packaging: the wheel carries the samples, weights, LICENSE and py.typed and runs every documented command (the
README's and the docs pages', docs/cli.md above all) on its own; the sdist carries what the tests need;
environment.yml agrees with pyproject.toml."""

import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT


def test_wheel_ships_sample_images_credits_and_weights(tmp_path):
    wheel = _build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    images = {p.name for p in (ROOT / "images").iterdir() if p.suffix in (".png", ".jpg", ".md")}
    assert {f"dreamlib/sample_images/{n}" for n in images} <= names
    source = {p.relative_to(ROOT).as_posix() for p in (ROOT / "dreamlib").rglob("*.py")}
    assert source <= names  # every module of every subpackage (pyproject lists the packages)
    assert {
        "dreamlib/shapes/weights/shapes.pth",
        "dreamlib/shapes/weights/shapes_skewed.pth",
        "dreamlib/shapes/weights/judge_ordinary.pth",
        "dreamlib/shapes/weights/arms/4_breeds_seed2.pth",  # lesson 11's arms
        "dreamlib/py.typed",
    } <= names
    assert not any(n.endswith((".c", ".so")) for n in names)  # pure Python: nothing compiles on a learner's machine
    weights = [
        i.file_size for i in zipfile.ZipFile(wheel).infolist() if i.filename.startswith("dreamlib/shapes/weights/")
    ]
    assert sum(weights) <= 10_000_000  # the shipped models stay small
    assert not any(n.startswith("tests/") for n in names)
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
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(src),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (tmp_path / "dist").glob("dreamlib-*.whl")
    return wheel


DOCUMENTED = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]  # docs/cli.md is the command reference


def readme_commands() -> list[str]:
    """Every ``dreamlib ...`` line of the bash blocks of the README and the docs pages, comments removed, each once."""
    lines = []
    for page in DOCUMENTED:
        for block in re.findall(r"```bash\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
            for line in block.splitlines():
                words = shlex.split(line.strip(), comments=True)
                if words[:1] == ["dreamlib"] and shlex.join(words) not in lines:
                    lines.append(shlex.join(words))
    return lines


def test_the_docs_list_the_cli_commands():
    commands = readme_commands()
    assert any(c.startswith("dreamlib dream sample:chelsea") for c in commands)
    assert {"dreamlib samples", "dreamlib --version"} <= set(commands)
    for command in ("dream", "zoom", "info", "layers", "weights", "render", "catalogue", "accentuate", "video"):
        assert any(c.startswith(f"dreamlib {command} ") or c == f"dreamlib {command}" for c in commands), command


def test_every_readme_command_runs_from_the_installed_wheel_in_another_folder(tmp_path):
    """Install the wheel alone into a fresh venv (torch & co. are borrowed from this environment, read-only:
    the new venv sees this one's site-packages through a .pth file, never its dreamlib) and run each documented
    command from an empty folder. Commands that need the network (a URL input) are left out; dreams are made
    small (``--size 120 --steps 1 --octaves 1``, ``--frames 2``: later options win) and ImageNet models use
    random weights (``DREAMLIB_WEIGHTS=random``), so what is checked is that each command runs, not its picture."""
    import sysconfig
    import venv
    from concurrent.futures import ThreadPoolExecutor

    wheel = _build_wheel(tmp_path)
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "_borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    work = tmp_path / "elsewhere"
    (work / "photos").mkdir(parents=True)  # the folder the README's folder command dreams
    shutil.copy(ROOT / "images" / "coffee.png", work / "photos" / "coffee.png")
    from dreamlib.video.frames import sample_clip

    sample_clip(work / "clip.mp4", frames=4, fps=4, size=(64, 48))  # the clip the README's video command dreams
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DREAMLIB_OFFLINE")}
    env["DREAMLIB_WEIGHTS"] = "random"
    where = subprocess.run(
        [str(python), "-c", "import dreamlib; print(dreamlib.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(env_dir), where  # the wheel's dreamlib, not the checkout's
    small = {
        "dream": ["--size", "120", "--steps", "1", "--octaves", "1", "-q"],
        "zoom": ["--size", "120", "--steps", "1", "--frames", "2", "-q"],
        "render": ["--size", "32", "--steps", "2", "-q"],
        "catalogue": ["--size", "32", "--steps", "2", "--channels", "2", "--top", "2", "-q"],
        "accentuate": ["--size", "32", "--steps", "2", "-q"],
        "video": ["--size", "48", "--max-frames", "3", "--steps", "1", "--first-steps", "1", "--octaves", "1", "-q"],
    }
    runs = []
    for command in readme_commands():
        words = shlex.split(command)
        if any("://" in w for w in words):
            continue
        runs.append((command, [str(bindir / "dreamlib"), *words[1:], *small.get(words[1], [])]))

    def run(words):  # each command is its own process; two at a time (most of each is importing torch)
        return subprocess.run(words, cwd=work, env=env, capture_output=True, text=True, timeout=600)

    later = [r for r in runs if r[1][1] == "info"]  # `info` reads a picture another command makes: after them
    runs = [r for r in runs if r not in later]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, [words for _, words in runs]))
    runs += later
    results += [run(words) for _, words in later]
    for (command, words), done in zip(runs, results):
        assert done.returncode == 0, f"{command}\n{done.stderr}"
        assert "Traceback" not in done.stderr
        if "-o" in words:
            assert (work / words[words.index("-o") + 1]).exists(), command
    ran = len(runs)
    assert ran >= 6
    assert (
        subprocess.run(
            [str(bindir / "dreamlib"), "--version"], cwd=work, env=env, capture_output=True, text=True
        ).stdout.strip()
        == f"dreamlib {_version()}"
    )


def _version() -> str:
    return re.search(r'^__version__ = "([^"]+)"', (ROOT / "dreamlib" / "__init__.py").read_text(), re.M).group(1)


# --- issue 10: packaging hygiene -----------------------------------------------------------------------------


def test_wheel_carries_the_license_types_marker_and_metadata(tmp_path):
    wheel = _build_wheel(tmp_path)
    archive = zipfile.ZipFile(wheel)
    names = set(archive.namelist())
    assert "dreamlib/py.typed" in names
    (license_file,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
    assert archive.read(license_file).decode() == (ROOT / "LICENSE").read_text()
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    meta = archive.read(metadata).decode()
    assert "License-Expression: MIT" in meta and "License-File: LICENSE" in meta
    assert f"Version: {_version()}\n" in meta and wheel.name.startswith(f"dreamlib-{_version()}-")
    assert "Project-URL: Source, https://github.com/dreamlib/dreamlib" in meta
    assert "Classifier: Typing :: Typed" in meta
    assert "Requires-Dist: imageio-ffmpeg" in meta


def test_sdist_contains_every_tracked_file_the_tests_need(tmp_path):
    """The sdist is a full source release: tests, lessons, tools and docs sources, so `make test` runs from it."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to know the tracked files")
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    tracked = [t for t in tracked if (ROOT / t).is_file()]  # a file deleted but not yet committed is not shipped
    src = tmp_path / "src"
    for name in tracked:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, src / name)
    code = "import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))"
    built = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "dist")], cwd=src, capture_output=True, text=True, timeout=300
    )
    assert built.returncode == 0, built.stderr
    sdist = tmp_path / "dist" / built.stdout.strip().splitlines()[-1]
    import tarfile

    with tarfile.open(sdist) as tar:
        prefix = sdist.name[: -len(".tar.gz")] + "/"
        names = {n[len(prefix) :] for n in tar.getnames()}
    missing = sorted(set(tracked) - names - {".gitignore"})
    assert not missing, f"missing from the sdist: {missing}"
    assert {"tests/conftest.py", "notebooks/01_hooks.ipynb", "tools/notebooks.py", "LICENSE", "Makefile"} <= names


def _requirements(items) -> dict[str, str]:
    """'name>=1.2' strings -> {canonical name: '>=1.2'} (conda's pytorch is pip's torch, py-opencv is pip's
    opencv-python-headless)."""
    out = {}
    for item in items:
        match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*", item)
        name = match.group(1).lower().replace("_", "-")
        out[{"pytorch": "torch", "py-opencv": "opencv-python-headless"}.get(name, name)] = match.group(2).replace(
            " ", ""
        )
    return out


def test_environment_yml_and_pyproject_agree():
    """environment.yml mirrors pyproject.toml: the dependencies and the dev and notebooks extras, same minimums."""
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        tomllib = pytest.importorskip("tomli")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _requirements(
        project["dependencies"]
        + project["optional-dependencies"]["dev"]
        + project["optional-dependencies"]["notebooks"]
    )
    conda = []
    for line in (ROOT / "environment.yml").read_text().split("\ndependencies:\n", 1)[1].splitlines():
        match = re.fullmatch(r"  - ([A-Za-z0-9_.\-]+.*)", line)  # top-level entries; the pip: list is indented deeper
        if match and not match.group(1).startswith(("python=", "pip")):
            conda.append(match.group(1))
    assert _requirements(conda) == wanted
