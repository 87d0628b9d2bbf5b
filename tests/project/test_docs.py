"""The docs site: `make docs` (tools/build_docs.py) builds it offline; pages show their figures; a real browser
(tests/project/browser.py: Debian's headless Chromium) loads every image with no console error; broken links fail."""

from __future__ import annotations

import functools
import http.server
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

pytest.importorskip("mkdocs", reason="needs the docs extra: pip install -e '.[docs]' (make venv installs it)")


def _build(site: Path, *extra: str) -> subprocess.CompletedProcess:
    # The lessons run in quick mode here: nbval already runs every one at full settings in the same `make test`,
    # and this test is about the site (its pages, figures, links), which quick mode builds the same way.
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_docs.py"), "--site", str(site), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3000,
        env={**os.environ, "DREAMLIB_QUICK": "1"},
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The whole site, every lesson executed (in quick mode: see _build; `make docs` builds at full settings)."""
    site = tmp_path_factory.mktemp("docs") / "site"
    built = _build(site)
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


def test_home_page_is_the_readme_with_its_pictures_and_lesson_links(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    assert "learn DeepDream in PyTorch" in html
    assert 'src="images/shapes_layers.png"' in html and (site / "images" / "shapes_layers.png").is_file()
    assert 'href="lessons/01_hooks/"' in html
    assert "colab-badge.svg" not in html  # no picture from another server: the site works offline


def test_api_reference_is_generated_from_docstrings_and_links_each_lesson(site):
    html = (site / "api" / "index.html").read_text(encoding="utf-8")
    for name in ("load_image", "dream", "capture_activations", "compare_layers", "check_octave_dream"):
        assert f'id="dreamlib.{name}"' in html or f'id="dreamlib.exercises.{name}"' in html or name in html, name
    assert "Load an image as a float tensor" in html  # load_image's docstring
    for stem in LESSONS[:8]:
        assert f'href="../lessons/{stem}/"' in html, stem
    section = html.split('id="lesson-02')[1].split('id="lesson-03')[0]
    assert 'id="dreamlib.images.load_image"' in section  # under the lesson that teaches it, where it is defined


def test_instructors_page_has_the_workshop_essentials(site):
    html = (site / "instructors" / "index.html").read_text(encoding="utf-8")
    for text in ("weights --download", "TORCH_HOME", "solutions.py", "exercise checkers", "DREAMLIB_OFFLINE=1"):
        assert text in html, text
    assert "{{ lesson_table }}" not in html and "01_hooks" in html


@pytest.mark.parametrize("page", ["", "lessons/04_octaves/", "api/", "instructors/"])
def test_pages_load_in_a_real_browser_with_every_image_and_no_console_error(served, page):
    report = page_report(served + page)
    assert report["broken"] == [] and report["console_errors"] == []
    if page == "":
        assert report["images"] >= 3  # the README's pictures
    if page.startswith("lessons/"):
        assert report["images"] >= 1  # the executed figures


def test_a_broken_link_fails_the_build(tmp_path):
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    (docs / "instructors.md").write_text((docs / "instructors.md").read_text() + "\n[gone](no_such_page.md)\n")
    built = _build(tmp_path / "site", "--lessons", "none", "--docs", str(docs))
    assert built.returncode != 0
    assert "no_such_page.md" in built.stdout + built.stderr
