"""The docs site: `make docs` (tools/build_docs.py) builds it offline; pages show their figures; a real browser
(tests/project/browser.py: Debian's headless Chromium) loads every image with no console error; broken links fail.
And the front door: the README stays short, opens with its picture and its links resolve; the instructors' agendas
quote the lesson times the README and the lessons give."""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, local_server
from tests.project.browser import page_report

LESSONS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# The hand-written pages besides the home page (docs/<name>.md): what moved out of the README lives here.
PAGES = ["networks", "install", "cli", "offline", "results", "speed", "instructors", "development"]

pytest.importorskip("mkdocs", reason="needs the docs extra: pip install -e '.[docs]' (make venv installs it)")


def _build(site: Path, *extra: str) -> subprocess.CompletedProcess:
    # The lessons run in quick mode here: nbval already runs every one at full settings in the same `make test`,
    # and this test is about the site (its pages, figures, links), which quick mode builds the same way. The site
    # fixture passes the lessons test_lessons_on_imagenet.py executed (quick, random ImageNet weights): their pages
    # are made the same way, and no lesson runs a third time.
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_docs.py"), "--site", str(site), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3000,
        env={**os.environ, "DREAMLIB_QUICK": "1"},
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory, executed_lessons) -> Path:
    """The whole site, every lesson executed (in quick mode: see _build; `make docs` builds at full settings)."""
    site = tmp_path_factory.mktemp("docs") / "site"
    built = _build(site, "--executed", str(executed_lessons))
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return site


@pytest.fixture(scope="module")
def served(site):
    """The site over http://127.0.0.1 (as it will be published), for the browser."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    with local_server(functools.partial(Quiet, directory=str(site))) as base:
        yield base + "/"


def test_every_lesson_is_a_page_with_its_figures(site):
    assert (site / "index.html").is_file()
    assert len(LESSONS) >= 8
    for stem in LESSONS:
        html = (site / "lessons" / stem / "index.html").read_text(encoding="utf-8")
        figures = re.findall(r'<img[^>]+src="data:image/png;base64,', html)
        assert figures, f"{stem}: no executed figure on its page"
        assert "Traceback" not in html


def test_home_page_is_a_landing_page_with_the_picture_and_the_lesson_path(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    assert "learn DeepDream in PyTorch" in html
    assert 'src="images/hero.jpg"' in html and (site / "images" / "hero.jpg").is_file()
    path = html.split('id="the-path-through-the-lessons"')[1]
    links = re.findall(r'href="lessons/(\d\d_\w+)/"', path)
    assert links[: len(LESSONS)] == LESSONS  # every lesson, in order
    for page in PAGES:
        assert f'href="{page}/"' in html, page
    assert "Every PNG keeps its settings" not in html  # the command line's manual has a page of its own
    assert "colab-badge.svg" not in html  # no picture from another server: the site works offline


def test_the_pages_that_left_the_readme_are_in_the_site(site):
    expected = {
        "networks": ["never falls back to random weights", "DREAMLIB_OFFLINE=1"],
        "install": ["make demo", "CPU-only torch", "sample:NAME"],
        "cli": ["dreamlib dream", 'id="what-dreamlib-guarantees"', "Every PNG keeps its settings"],
        "offline": ["TORCH_HOME", "weights --download", "DREAMLIB_WEIGHTS"],
        "results": ["A dreamer you train yourself", "MACO", 'src="../images/render_maco.jpg"'],
        "speed": ["make bench", "BatchNorm folded", "DREAMLIB_PROBE_CACHE"],
        "instructors": ["90 minutes", "Half a day", "What usually goes wrong in a room"],
        "development": ["ruff", "nbval", "The docs site"],
    }
    assert sorted(expected) == sorted(PAGES)
    nav = (site / "index.html").read_text(encoding="utf-8")
    for page, texts in expected.items():
        html = (site / page / "index.html").read_text(encoding="utf-8")
        for text in texts:
            assert text in html, (page, text)
        assert f'href="{page}/"' in nav, f"{page} is not in the navigation"


def _resolves(site: Path, page: Path, target: str) -> bool:
    """Does a relative href/src of ``page`` (a file in ``site``) name a file of the site?"""
    path = target.split("#")[0].split("?")[0]
    if not path:
        return True
    where = (page.parent / path).resolve()
    return where.is_file() or (where / "index.html").is_file()


def test_links_in_the_lessons_text_reach_the_sites_pages(site):
    """mkdocs checks the links of Markdown pages; a lesson's (``../docs/networks.md``, its picture) are rewritten by
    tools/build_docs.py, and checked here: each relative href or src on a lesson page names a file of the site."""
    checked = 0
    for stem in LESSONS:
        page = site / "lessons" / stem / "index.html"
        html = page.read_text(encoding="utf-8")
        for target in re.findall(r'(?:href|src)="([^"]+)"', html):
            if re.match(r"[a-z][a-z0-9+.-]*:|#|//", target):
                continue
            assert _resolves(site, page, target), f"{stem}: {target}"
            checked += 1
        assert "../docs/" not in html.replace("../docs/index", ""), f"{stem}: a repository link was left as it was"
    assert checked > len(LESSONS)


def test_api_reference_is_generated_from_docstrings_and_links_each_lesson(site):
    html = (site / "api" / "index.html").read_text(encoding="utf-8")
    for name in ("load_image", "dream", "capture_activations", "compare_layers", "check_octave_dream"):
        assert f'id="dreamlib.{name}"' in html or f'id="dreamlib.exercises.{name}"' in html or name in html, name
    assert "Load an image as a float tensor" in html  # load_image's docstring
    for stem in LESSONS[1:]:  # lesson 00 uses the packaged dream before any lesson teaches it: no section
        assert f'href="../lessons/{stem}/"' in html, stem
    section = html.split('id="lesson-02')[1].split('id="lesson-03')[0]
    assert 'id="dreamlib.images.load_image"' in section  # under the lesson that teaches it, where it is defined


def test_instructors_page_has_the_workshop_essentials(site):
    html = (site / "instructors" / "index.html").read_text(encoding="utf-8")
    for text in ("weights --download", "TORCH_HOME", "solutions.py", "exercise checkers", "DREAMLIB_OFFLINE=1"):
        assert text in html, text
    assert "{{ lesson_table }}" not in html and "01_hooks" in html
    agendas = html.split('id="agendas"')[1].split('id="preparing-an-offline-workshop"')[0]
    assert 'href="../lessons/00_first_dream/"' in agendas and 'href="../lessons/05_layer_comparison/"' in agendas


@pytest.mark.parametrize("page", ["", "lessons/04_octaves/", "api/", "instructors/", "results/"])
def test_pages_load_in_a_real_browser_with_every_image_and_no_console_error(served, page):
    report = page_report(served + page)
    assert report["broken"] == [] and report["console_errors"] == []
    if page in ("", "results/"):
        assert report["images"] >= 1  # the picture the home page opens with; the measured results' pictures
    if page.startswith("lessons/"):
        assert report["images"] >= 1  # the executed figures


def test_a_broken_link_fails_the_build(tmp_path):
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    (docs / "instructors.md").write_text((docs / "instructors.md").read_text() + "\n[gone](no_such_page.md)\n")
    built = _build(tmp_path / "site", "--lessons", "none", "--docs", str(docs))
    assert built.returncode != 0
    assert "no_such_page.md" in built.stdout + built.stderr


# --- the front door and the instructors' agendas (no site needed) --------------------------------------------


def _slug(heading: str) -> str:
    """A heading's anchor, as GitHub and MkDocs' toc make it."""
    text = re.sub(r"[`*]", "", heading).strip().lower()
    return re.sub(r"\s+", "-", re.sub(r"[^\w\s-]", "", text))


def _anchors(path: Path) -> set[str]:
    return {_slug(h) for h in re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), re.M)}


def test_readme_is_a_short_front_door_whose_links_resolve():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert len(lines) <= 160, f"README.md has {len(lines)} lines: move details to docs/"
    first_screen = "\n".join(lines[:10])
    picture = re.search(r"!\[[^\]]*\]\((docs/images/[^)]+)\)", first_screen)
    assert picture and (ROOT / picture.group(1)).is_file(), "the README opens with a picture"
    assert (ROOT / picture.group(1)).stat().st_size < 300_000
    assert "make demo" in text and "make test" in text and "```python" in text
    for stem in LESSONS:  # the lesson table: every lesson, a Colab badge, in order
        assert f"[{stem}](notebooks/{stem}.ipynb) [![Open In Colab]" in text, stem
    assert [m for m in re.findall(r"^\| (\d\d) \|", text, re.M)] == [s[:2] for s in LESSONS]
    checked = 0
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        assert (ROOT / path).exists(), target
        if anchor:
            assert anchor in _anchors(ROOT / path), target
        checked += 1
    assert checked >= 20


def test_every_readme_section_that_moved_has_a_page():
    """The README's manual moved to docs/: each page exists and carries its section's heading."""
    moved = {
        "cli.md": ["Command line", "What dreamlib guarantees"],
        "offline.md": ["Offline use and the weights cache"],
        "install.md": ["Install with pip", "Sample images"],
        "results.md": [
            "Python",
            "Beyond the tutorial",
            "Feature visualisation: `render`, Fourier parameterisation, a neuron catalogue",
        ],
        "speed.md": ["How fast, end to end"],
        "development.md": ["Development", "The docs site"],
    }
    for page, headings in moved.items():
        anchors = _anchors(ROOT / "docs" / page)
        for heading in headings:
            assert _slug(heading) in anchors, f"docs/{page}: no heading {heading!r}"


def _lesson_times() -> dict[str, tuple[str, str]]:
    """Each lesson's reading time (its **Time:** line) and offline run time (the README's table; for a lesson the
    table gives as "—", its **Time:** line)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = {}
    for line in readme.splitlines():
        match = re.match(r"\| (\d\d) \|", line)
        if match:
            table[match.group(1)] = [c.strip() for c in line.strip("|").split("|")][-3]
    times = {}
    for stem in LESSONS:
        cells = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text(encoding="utf-8"))["cells"]
        first = "".join(cells[0]["source"])
        reading = re.search(r"\*\*Time:\*\* about (\d+) minutes of reading", first)
        running = table.get(stem[:2])
        if running in (None, "—"):
            running = re.search(r"takes about (\d+ s)", first).group(1)
        times[stem[:2]] = (f"{reading.group(1)} min", running)
    return times


def test_the_instructors_agendas_quote_the_measured_times():
    """Each agenda row gives the lesson's reading time and its offline run time as the lessons and the README do;
    when they are measured again, this names the rows of docs/instructors.md to update."""
    text = (ROOT / "docs" / "instructors.md").read_text(encoding="utf-8")
    agendas = text.split("## Agendas")[1].split("\n## ")[0]
    times = _lesson_times()
    rows = re.findall(r"^\| [\d:-]+ \| \[(\d\d) · [^|]*\| ([^|]*) \| ([^|]*) \|$", agendas, re.M)
    assert len(rows) >= 15 and {n for n, *_ in rows} >= {f"{i:02d}" for i in range(10)}
    wrong = [
        f"{n}: {r.strip()} | {t.strip()}, expected {times[n]}" for n, r, t in rows if (r.strip(), t.strip()) != times[n]
    ]
    assert not wrong, "docs/instructors.md agendas: " + "; ".join(wrong)
