"""A small HTTP server on 127.0.0.1 for the adversarial tests: each route misbehaves in its own way.

Started and stopped by the tests themselves (``with HostileServer(routes) as base:``); every
handler stops within a second of shutdown, so a test can never hang on it.
"""

from __future__ import annotations

import http.server
import threading
import time
from typing import Callable

Route = Callable[[http.server.BaseHTTPRequestHandler, threading.Event], None]


def send(
    handler,
    body: bytes,
    ctype: str | None = "image/png",
    status: int = 200,
    headers: dict | None = None,
    length: str | int | None = None,
) -> None:
    """A plain response; ``length`` overrides Content-Length (any text, even a non-number)."""
    handler.send_response(status)
    if ctype is not None:
        handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(body) if length is None else length))
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    try:
        handler.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        pass


def redirect(location: str, status: int = 302) -> Route:
    def route(handler, stop):
        send(handler, b"", ctype=None, status=status, headers={"Location": location})

    return route


def drip(body: bytes, every: float) -> Route:
    """Announce ``body`` and then send it one byte every ``every`` seconds (a slowloris server)."""

    def route(handler, stop):
        handler.send_response(200)
        handler.send_header("Content-Type", "image/png")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        try:
            for b in body:
                if stop.wait(every):
                    return
                handler.wfile.write(bytes([b]))
                handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    return route


class HostileServer:
    """``routes``: path -> callable(handler, stop_event). Unknown paths get a 404."""

    def __init__(self, routes: dict[str, Route]):
        self.routes = routes
        self.stop = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                route = server.routes.get(self.path.split("?")[0])
                if route is None:
                    send(self, b"not found", "text/plain", status=404)
                else:
                    route(self, server.stop)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> str:
        self.thread.start()
        return self.base

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def timed(fn):
    """``fn()``'s result and how many seconds it took."""
    start = time.monotonic()
    result = fn()
    return result, time.monotonic() - start
