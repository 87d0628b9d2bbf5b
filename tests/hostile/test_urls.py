"""Adversarial URLs and servers: every failure is one ImageLoadError line, bounded in time, with no secrets.

A local server on 127.0.0.1 (tests/hostile/server.py) plays the hostile or broken web server.
"""

from __future__ import annotations

import gzip
import io

import pytest
from PIL import Image

import dreamlib
from dreamlib import load_image
from dreamlib.cli import main
from dreamlib.io import download
from tests.hostile.server import HostileServer, drip, redirect, send, timed


def _png(size=(12, 8), colour=(0, 255, 0)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="PNG")
    return buf.getvalue()


PNG = _png()


def _one_line_error(fn, *forbidden: str) -> str:
    with pytest.raises(dreamlib.ImageLoadError) as info:
        fn()
    message = str(info.value)
    assert "\n" not in message and message
    for secret in forbidden:
        assert secret not in message
    return message


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1/x.png",  # unclosed IPv6 bracket
        "http://" + "a" * 70 + ".example/x.png",  # a host label over 63 characters
        "http://" + "a." * 130 + "com/x.png",  # a host name over 253 characters
        "http://a..b/x.png",  # an empty label
        "http:///x.png",  # no host
        "http://127.0.0.1:99999/x.png",  # port out of range
        "http://127.0.0.1:port/x.png",  # port not a number
        "http://exa mple.com/x.png",  # a space
        "file:///etc/passwd",
        "ftp://example.com/x.png",
        "javascript://alert(1)",
    ],
)
def test_malformed_and_unsupported_urls_are_one_line_errors(url):
    _one_line_error(lambda: load_image(url))


def test_server_behaviour_that_breaks_a_download():
    routes = {
        "/to-bad": redirect("http://[::1/x.png"),
        "/to-file": redirect("file:///etc/passwd"),
        "/to-ftp": redirect("ftp://example.com/x.png"),
        "/loop": redirect("/loop"),
        "/to-nowhere": redirect("http://" + "b" * 70 + ".example/x.png"),
        "/huge-length": lambda h, s: send(h, b"", length=10**12),
        "/bomb.png": lambda h, s: send(
            h, gzip.compress(b"\0" * (download.MAX_DOWNLOAD_BYTES + 1024)), headers={"Content-Encoding": "gzip"}
        ),
        "/cut.png": lambda h, s: send(h, PNG[:20], length=len(PNG)),  # promises more than it sends
        "/page": lambda h, s: send(h, b"<!doctype html><html><body>hi</body></html>", "text/html"),
        "/garbage": lambda h, s: send(h, b"\x89PNG\r\n\x1a\n" + b"\xff" * 200, "image/png"),
    }
    with HostileServer(routes) as base:
        for path, expected in [
            ("/to-bad", "malformed URL"),
            ("/to-file", "unsupported URL scheme 'file'"),
            ("/to-ftp", "unsupported URL scheme 'ftp'"),
            ("/loop", "redirects"),
            ("/to-nowhere", "malformed URL"),
            ("/huge-length", "too large"),
            ("/bomb.png", "too large"),
            ("/page", "web page, not an image"),
            ("/garbage", "image"),
            ("/cut.png", base),
        ]:
            assert expected in _one_line_error(lambda: load_image(base + path)), path


def test_valid_images_load_whatever_the_server_calls_them():
    routes = {
        "/octet": lambda h, s: send(h, PNG, "application/octet-stream"),
        "/no-type": lambda h, s: send(h, PNG, None),
        "/bad-length": lambda h, s: send(h, PNG, length="twelve"),  # not a number: count the bytes ourselves
        "/gz.png": lambda h, s: send(h, gzip.compress(PNG), headers={"Content-Encoding": "gzip"}),
        "/hop1": redirect("/hop2"),
        "/hop2": redirect("/octet", status=301),
    }
    with HostileServer(routes) as base:
        for path in routes:
            t = load_image(base + path)
            assert t.shape == (1, 3, 8, 12) and t[0, 1].min() == 1.0, path


def test_a_dripping_server_cannot_outlast_the_deadline(monkeypatch):
    """A byte every 0.5 s never trips the 2 s read timeout; the whole download's deadline ends it. The time taken is
    compared with the drip's full length (38 s), never with how fast this machine is."""
    full = len(PNG) * 0.5
    with HostileServer({"/drip.png": drip(PNG, every=0.5)}) as base:
        fetch = lambda: download.fetch_url(base + "/drip.png", timeout=2, deadline=1.5)  # noqa: E731
        message, took = timed(lambda: _one_line_error(fetch))
        assert "took longer than 1.5 s" in message and took < full / 2
        monkeypatch.setattr(download, "DOWNLOAD_DEADLINE_S", 1.0)
        message, took = timed(lambda: _one_line_error(lambda: load_image(base + "/drip.png")))
        assert "took longer than 1 s" in message and took < full / 2


def test_credentials_never_appear_in_messages(capsys, tmp_path):
    secret = "Sup3rSecret"
    routes = {"/to-creds": redirect(f"http://mallory:{secret}2@[::1/x.png")}
    with HostileServer(routes) as base:
        host = base.split("//")[1]
        for url in [
            f"http://alice:{secret}@{host}/missing.png",
            f"http://alice:{secret}@[::1/x.png",
            f"ftp://alice:{secret}@example.com/x.png",
            f"http://alice:{secret}@{host}/to-creds",
        ]:
            message = _one_line_error(lambda: load_image(url), secret)
            assert "alice" not in message
        code = main(["dream", f"http://alice:{secret}@{host}/missing.png", "-o", str(tmp_path / "o.png"), "-q"])
        err = capsys.readouterr().err
        assert code == 2 and secret not in err and err.startswith("error: ") and err.count("\n") == 1


def test_cli_with_a_malformed_url_is_one_line_and_writes_nothing(capsys, tmp_path):
    out = tmp_path / "out.png"
    code = main(["dream", "http://[::1/x.png", "-o", str(out), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: malformed URL") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
