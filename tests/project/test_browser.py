"""The browser helper itself: it must see loaded and broken images and console errors."""

from __future__ import annotations

import shutil

from dreamlib.images import sample_image_path
from tests.project.browser import page_report


def test_page_report_counts_images_and_finds_broken_ones_and_console_errors(tmp_path):
    shutil.copy(sample_image_path("chelsea"), tmp_path / "cat.png")
    page = tmp_path / "page.html"
    page.write_text(
        "<!doctype html><html><head><title>t</title></head><body>"
        '<img src="cat.png" alt="a cat"><img src="missing.png" alt="gone">'
        "<script>console.error('something went wrong');</script></body></html>"
    )
    report = page_report(page)
    assert report["images"] == 2
    assert len(report["broken"]) == 1 and report["broken"][0].endswith("missing.png")
    assert any("something went wrong" in e for e in report["console_errors"])


def test_a_clean_page_reports_nothing_wrong(tmp_path):
    shutil.copy(sample_image_path("chelsea"), tmp_path / "cat.png")
    page = tmp_path / "page.html"
    page.write_text(
        '<!doctype html><html><head><title>t</title></head><body><img src="cat.png" alt="a cat"></body></html>'
    )
    assert page_report(page) == dict(images=1, broken=[], console_errors=[])
