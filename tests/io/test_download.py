"""Images fetched over http(s) from a local test server (dreamlib/io/download.py)."""

import http.server
import io
import time

import pytest
from PIL import Image

import dreamlib
from dreamlib import load_image
from dreamlib.io import download
from tests.helpers import local_server


def _png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


# --- URLs, against a local server on 127.0.0.1 --------------------------------------------

PNG = _png_bytes(Image.new("RGB", (12, 8), (0, 255, 0)))


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, body: bytes, ctype: str, length: int | None = None):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (the timeout test): not news
            pass

    def do_GET(self):
        if self.path == "/green.png":
            self._send(PNG, "image/png")
        elif self.path == "/page.html":
            self._send(b"<html>not an image</html>", "text/html; charset=utf-8")
        elif self.path == "/huge.png":
            self._send(b"", "image/png", length=10**12)
        elif self.path == "/endless.png":  # no Content-Length, keeps sending
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b"\0" * 4096)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif self.path == "/slow.png":
            time.sleep(2)
            self._send(PNG, "image/png")
        else:
            self.send_error(404)


@pytest.fixture(scope="module")
def server():
    with local_server(_Handler) as base:
        yield base


def test_url_loads_an_image(server):
    t = load_image(f"{server}/green.png")
    assert t.shape == (1, 3, 8, 12) and t[0, 1].min() == 1.0


def test_url_that_is_not_an_image(server):
    with pytest.raises(dreamlib.ImageLoadError, match=r"page.html is a web page, not an image"):
        load_image(f"{server}/page.html")
    with pytest.raises(dreamlib.ImageLoadError, match="HTTP 404"):
        load_image(f"{server}/missing.png")


def test_url_too_large(server, monkeypatch):
    with pytest.raises(dreamlib.ImageLoadError, match="too large"):
        load_image(f"{server}/huge.png")
    monkeypatch.setattr(download, "MAX_DOWNLOAD_BYTES", 10_000)
    with pytest.raises(dreamlib.ImageLoadError, match="too large"):
        load_image(f"{server}/endless.png")


def test_url_timeout(server, monkeypatch):
    monkeypatch.setattr(download, "DOWNLOAD_TIMEOUT_S", 0.3)
    with pytest.raises(dreamlib.ImageLoadError, match="timed out after 0.3 s waiting for"):
        load_image(f"{server}/slow.png")
