"""Shared helper for browser tests: open a page in headless Chromium and report on it.

Uses Debian's ``chromium`` and ``chromium-driver`` packages through Selenium, with the
system chromedriver given explicitly, so Selenium Manager never tries to download a
driver (CI has no internet). Usage in a test::

    from tests.project.browser import page_report

    report = page_report(tmp_path / "index.html")   # skips the test when no browser is installed
    assert report["images"] > 0 and not report["broken"] and not report["console_errors"]

``.ci/run`` installs the two packages, so CI always runs the browser tests; ``DREAMLIB_REQUIRE_BROWSER=1``
turns the skip into a failure where you want to be sure they ran.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

SKIP_REASON = "needs Debian's chromium and chromium-driver: apt-get install chromium chromium-driver"

# Every <img>: its address, whether it finished, and whether it decoded (naturalWidth 0 = broken).
_IMAGES_JS = """
return Array.from(document.images).map(function (img) {
    return [img.currentSrc || img.src || img.outerHTML.slice(0, 120), img.complete, img.naturalWidth];
});
"""


def _binaries() -> tuple[str | None, str | None]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if os.path.isfile("/usr/bin/chromedriver") else None
    )
    return chromium, driver


def browser_missing() -> str | None:
    """Why no browser test can run here (None when chromium, chromedriver and selenium are all present)."""
    chromium, driver = _binaries()
    if chromium is None or driver is None:
        return SKIP_REASON
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "needs the selenium package: pip install -e '.[dev]'"
    return None


def require_browser() -> None:
    """Skip the calling test when no browser is installed (fail instead when DREAMLIB_REQUIRE_BROWSER=1, as in CI)."""
    reason = browser_missing()
    if reason is None:
        return
    if os.environ.get("DREAMLIB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"DREAMLIB_REQUIRE_BROWSER=1 but the browser is missing: {reason}")
    pytest.skip(reason)


def _url(path_or_url: str | os.PathLike) -> str:
    text = str(path_or_url)
    if "://" in text:
        return text
    path = Path(text).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no such page: {path}")
    return path.as_uri()


def _driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = _binaries()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1024",
        "--disable-extensions",
        "--no-first-run",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


def page_report(path_or_url: str | os.PathLike, timeout: float = 30.0) -> dict:
    """Open a page (file path or URL) in headless Chromium, wait until it and its images have loaded.

    Returns ``dict(images=int, broken=list[str], console_errors=list[str])``: how many ``<img>``
    elements the page has, the addresses of those that did not load (``naturalWidth == 0``), and
    the console's errors (SEVERE entries: uncaught exceptions, ``console.error``, failed resources).
    Skips the calling test when no browser is installed (see :func:`require_browser`).
    """
    require_browser()
    url = _url(path_or_url)
    driver = _driver()
    try:
        driver.set_page_load_timeout(timeout)
        driver.get(url)  # returns after the load event
        # Lazy images load only near the viewport: make every one eager, then wait until all are settled.
        driver.execute_script(
            "document.querySelectorAll('img[loading=lazy]').forEach(function (i) { i.loading = 'eager'; });"
        )
        deadline = time.monotonic() + timeout
        while True:
            ready = driver.execute_script("return document.readyState") == "complete"
            images = driver.execute_script(_IMAGES_JS)
            if ready and all(complete for _, complete, _ in images) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        broken = [src for src, complete, width in images if not complete or not width]
        errors = [entry["message"] for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]
        return dict(images=len(images), broken=broken, console_errors=errors)
    finally:
        driver.quit()
