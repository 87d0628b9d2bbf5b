"""Build the docs site into site/: `make docs` runs this (offline, from a fresh clone).

1. Every lesson ``notebooks/NN_*.ipynb`` is executed at full settings (nbclient, as tools/run_lessons.py
   does) into a staging folder: on the shipped shapes model (``DREAMLIB_OFFLINE=1``) unless InceptionV3's
   ImageNet weights are already in the cache, in which case the lessons use them.
   Links in the lessons' text that point into the repository (``../docs/networks.md``, ``../docs/images/...``,
   another lesson) are rewritten to the site's pages; Colab badges become plain links (the site loads nothing from
   other servers).
2. ``docs/`` is copied: the hand-written landing page ``index.md`` (the home page), the other pages (which network,
   install, command line, offline use, beyond the lessons, speed, instructors, development) and ``docs/images``.
   Their links are written to work on GitHub (``../notebooks/NN_name.ipynb``, ``../benchmarks/README.md``); here
   lesson links become the lesson pages and other repository files GitHub links. ``{{ lesson_table }}`` in the
   instructors' page becomes the README's lesson table (the lesson and its measured run times).
3. ``api.md`` is generated: one section per lesson, each linking the lesson and listing the public functions whose
   docstring says "Taught in notebook NN".
4. ``mkdocs build --strict`` (MkDocs Material + mkdocs-jupyter + mkdocstrings) writes the site; any warning,
   broken link or missing anchor fails the build.

Usage: python tools/build_docs.py [--site DIR] [--lessons 01 02 ...] [--timeout SECONDS] [--docs DIR] [--executed DIR]
"""

from __future__ import annotations

import argparse
import inspect
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GITHUB = "https://github.com/dreamlib/dreamlib/blob/main/"
BADGE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\(([^)]*)\)")
LINK = re.compile(r"(!?\[[^\]]*\])\(([^)\s]+)\)")  # a markdown link or image: [text](target)
# The pages of the site, in the order of its navigation (docs/<file>); index.md is the home page.
PAGES = [
    ("Which network?", "networks.md"),
    ("Install and run", "install.md"),
    ("Command line", "cli.md"),
    ("Offline use", "offline.md"),
    ("Beyond the lessons", "results.md"),
    ("Speed", "speed.md"),
    ("Instructors", "instructors.md"),
    ("Development", "development.md"),
]


def lessons() -> list[Path]:
    """Every lesson, by glob: new lessons (11, 12, ...) appear without touching this file."""
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def imagenet_cached() -> bool:
    sys.path.insert(0, str(ROOT))
    from dreamlib.models import MODELS, weights_cache_path

    return weights_cache_path(MODELS["inception_v3"].weights().url).is_file()


def _split(target: str) -> tuple[str, str]:
    path, _, anchor = target.partition("#")
    return path, f"#{anchor}" if anchor else ""


def _external(target: str) -> bool:
    return bool(re.match(r"[a-z][a-z0-9+.-]*:|#", target))


def lesson_link(target: str, lesson_names: set[str]) -> str:
    """A link in a lesson's text, as its page needs it. Lesson pages live at lessons/<stem>/ (directory URLs), so
    ``../docs/networks.md#x`` becomes ``../../networks/#x``, ``../docs/images/a.jpg`` ``../../images/a.jpg`` and
    ``05_layer_comparison.ipynb`` ``../05_layer_comparison/``; any other repository file is linked on GitHub."""
    if _external(target):
        return target
    path, anchor = _split(target)
    where = posixpath.normpath(posixpath.join("notebooks", path))
    if where.startswith("docs/"):
        page = where[len("docs/") :]
        if page.endswith(".md"):
            page = "" if page == "index.md" else page[: -len(".md")] + "/"
        return "../../" + page + anchor
    if posixpath.dirname(where) == "notebooks" and posixpath.basename(where) in lesson_names:
        return f"../{Path(where).stem}/" + anchor
    return GITHUB + where + anchor


def page_link(target: str, lesson_names: set[str]) -> str:
    """A link in a hand-written page of docs/, as the site needs it: the pages link lessons and repository files
    the way GitHub shows docs/ (``../notebooks/01_hooks.ipynb``); the site has the lessons as pages of its own."""
    if _external(target):
        return target
    path, anchor = _split(target)
    if not path.startswith("../"):
        return target  # another page of the site, or docs/images
    where = posixpath.normpath(posixpath.join("docs", path))
    if posixpath.dirname(where) == "notebooks" and posixpath.basename(where) in lesson_names:
        return "lessons/" + posixpath.basename(where) + anchor
    return GITHUB + where + anchor


def execute(
    path: Path, workdir: Path, timeout: int, lesson_names: set[str] = frozenset(), executed: Path | None = None
):
    """The lesson at ``path`` executed, as its page shows it. ``executed``: a folder of lessons some other run has
    already executed (the test suite's); a lesson found there with the same cells is used as it is."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    done = None if executed is None else executed / path.name
    if done is not None and done.is_file():
        ran = nbformat.read(done, as_version=4)
        if [c.source for c in ran.cells] == [c.source for c in nb.cells]:
            nb = ran
        else:
            done = None
    else:
        done = None
    for cell in nb.cells:
        if cell.cell_type == "code" and done is None:
            cell.outputs = []
        elif cell.cell_type == "markdown":
            source = BADGE.sub(r"[Open in Colab](\1)", cell.source)
            cell.source = LINK.sub(lambda m: f"{m.group(1)}({lesson_link(m.group(2), lesson_names)})", source)
    if done is None:
        where = {"metadata": {"path": str(workdir)}}
        NotebookClient(nb, timeout=timeout, kernel_name="python3", resources=where).execute()
    # Progress-bar widgets would make the page load their JavaScript from unpkg.com (offline: a console error);
    # their text fallback stays.
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            output.get("data", {}).pop("application/vnd.jupyter.widget-view+json", None)
    return nb


def lesson_table(lesson_names: set[str]) -> str:
    """The README's lesson table: number, notebook and the measured run times (the last three columns)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if re.match(r"\| (#|---|\d\d) ", line)]
    out = []
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        name = re.sub(r"\[([^\]]+)\]\([^)]*\).*", r"\1", BADGE.sub("", cells[1])).strip()
        if f"{name}.ipynb" in lesson_names:
            name = f"[{name}](lessons/{name}.ipynb)"
        out.append("| " + " | ".join([cells[0], name, *cells[-3:]]) + " |")
    return "\n".join(out)


def api_page(lesson_names: list[str]) -> str:
    """One section per lesson: a link to it and every public object whose docstring names it."""
    sys.path.insert(0, str(ROOT))
    import dreamlib

    by_lesson: dict[str, list[str]] = {}
    for name in dreamlib.__all__:
        obj = getattr(dreamlib, name)
        if inspect.ismodule(obj):
            continue
        match = re.search(r"taught\s+in\s+(?:notebook|lesson)s?\s+(\d\d)", inspect.getdoc(obj) or "", re.I)
        # The defining module's path: dreamlib imports its names lazily, so document them where they live.
        module = f"dreamlib.{dreamlib._WHERE[name]}"
        by_lesson.setdefault(match.group(1) if match else "", []).append(f"{module}.{name}")
    for name in sorted({*dreamlib._SUBMODULES.values()} - {*dreamlib._EXPORTS}):
        # a module the lessons use as a namespace (``dl.sae.train``, ``dl.two_afc.score``): documented whole
        path = ROOT / "dreamlib" / (name.replace(".", "/") + ".py")
        if path.is_file():
            match = re.search(r"taught\s+in\s+(?:notebook|lesson)s?\s+(\d\d)", path.read_text(encoding="utf-8"), re.I)
            by_lesson.setdefault(match.group(1) if match else "", []).append(f"dreamlib.{name}")
    parts = [
        "# API reference\n",
        "Everything `import dreamlib as dl` offers, grouped by the lesson that teaches it (each docstring "
        "names its lesson). Generated from the docstrings by mkdocstrings.\n",
    ]
    for stem in lesson_names:
        number = stem[:2]
        names = by_lesson.pop(number, [])
        if not names:
            continue
        parts.append(f"## Lesson {number}: {stem[3:].replace('_', ' ')}\n")
        parts.append(f"Taught in [lesson {number}](lessons/{stem}.ipynb).\n")
        parts += [f"::: {n}\n" for n in names]
    rest = [n for names in by_lesson.values() for n in names]
    if rest:
        parts.append("## Other helpers\n")
        parts += [f"::: {n}\n" for n in rest]
    parts.append("## Exercise checkers\n")
    parts.append("The `check_*` functions the lessons' exercises call; each names its lesson.\n")
    parts.append("::: dreamlib.exercises\n    options:\n      show_submodules: true\n      heading_level: 3\n")
    return "\n".join(parts)


def build(
    site: Path, selected: list[str], timeout: int, docs: Path = ROOT / "docs", executed: Path | None = None
) -> int:
    with tempfile.TemporaryDirectory(prefix="dreamlib-docs-") as tmp:  # private: builds may run side by side
        return _build(Path(tmp), site, selected, timeout, docs, executed)


def _build(tmp: Path, site: Path, selected: list[str], timeout: int, docs: Path, executed: Path | None) -> int:
    import yaml

    stage = tmp / "docs_src"
    shutil.copytree(docs, stage)
    paths = [p for p in lessons() if not selected or any(p.stem.startswith(s) for s in selected)]
    names = {p.name for p in paths}

    if not imagenet_cached():
        os.environ["DREAMLIB_OFFLINE"] = "1"  # the kernels inherit it: lessons run on the shipped shapes model
    print(
        "lessons on "
        + (
            "the shipped shapes model (no ImageNet weights cached)"
            if os.environ.get("DREAMLIB_OFFLINE") == "1"
            else "the cached ImageNet weights"
        ),
        flush=True,
    )
    (stage / "lessons").mkdir()
    import nbformat

    work = tmp / "notebooks"  # lessons run in a copy: whatever they write stays out of the clone
    shutil.copytree(ROOT / "notebooks", work)
    for path in paths:
        start = time.perf_counter()
        nb = execute(path, work, timeout, names, executed)
        nbformat.write(nb, stage / "lessons" / path.name)
        print(f"executed {path.stem:28s} {time.perf_counter() - start:6.1f} s", flush=True)

    for page in stage.glob("*.md"):
        text = page.read_text(encoding="utf-8").replace("{{ lesson_table }}", lesson_table(names))
        text = LINK.sub(lambda m: f"{m.group(1)}({page_link(m.group(2), names)})", text)
        page.write_text(text, encoding="utf-8")
    (stage / "api.md").write_text(api_page([p.stem for p in paths]), encoding="utf-8")

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    config.update(
        docs_dir=str(stage),
        site_dir=str(site.resolve()),
        nav=[
            {"Home": "index.md"},
            {"Lessons": [f"lessons/{p.name}" for p in paths]},
            *({title: page} for title, page in PAGES),
            {"API reference": "api.md"},
        ],
    )
    generated = tmp / "mkdocs.yml"
    generated.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    env = {
        **os.environ,
        "NO_MKDOCS_2_WARNING": "1",
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    # No -q: mkdocs 1.6 does not count the warnings it does not print, so --strict -q passes broken links.
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(generated)], cwd=ROOT, env=env
    ).returncode


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site", help="where to write the site")
    parser.add_argument("--lessons", nargs="*", default=[], help="only these lessons (numbers), for a quick look")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per notebook cell")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs", help="the hand-written pages and images")
    parser.add_argument(
        "--executed", type=Path, help="a folder of lessons already executed (the tests'): used instead of running them"
    )
    args = parser.parse_args(argv)
    code = build(args.site, args.lessons, args.timeout, args.docs, args.executed)
    if code == 0:
        print(f"site written to {args.site / 'index.html'}")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
