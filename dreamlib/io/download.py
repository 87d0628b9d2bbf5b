"""Fetching an image over http(s) safely: :func:`fetch_url`.

A URL is input from outside, and so is everything a server sends back. So:

- the URL must be http(s) with a valid host; anything else (``file://``, a
  malformed address, an over-long host name) is a one-line :class:`ImageLoadError`;
- redirects are followed by hand, at most ``MAX_REDIRECTS``, and every new
  address is checked again the same way (a server cannot send us to ``file://``);
- the whole download has one deadline (``DOWNLOAD_DEADLINE_S``), not only a
  timeout per read, so a server that drips one byte at a time cannot keep us
  waiting; the size is capped (``MAX_DOWNLOAD_BYTES``) after decompression;
- the server's ``Content-Type`` is only a hint: a real image served as
  ``application/octet-stream`` is accepted, a web page is refused by its content;
- a password in the URL (``https://user:secret@host/...``) never appears in a message.

Used by :func:`dreamlib.load_image`; taught in notebook 02 (preprocessing).
"""

from __future__ import annotations

import time
from urllib.parse import urljoin, urlsplit, urlunsplit

from ..errors import ImageLoadError

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
DOWNLOAD_TIMEOUT_S = 15.0  # the longest wait for the server to say anything
DOWNLOAD_DEADLINE_S = 60.0  # the whole download, redirects included
MAX_REDIRECTS = 5


def redact(url: str) -> str:
    """``url`` without a user name or password, for messages: ``https://***@host/x.png``."""
    try:
        parts = urlsplit(url)
        if "@" not in parts.netloc:
            return url
        return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]))
    except ValueError:
        return url.split("@", 1)[1] if "@" in url else url


def check_url(url: str) -> str:
    """Return ``url`` if it is an http(s) address with a usable host; otherwise a one-line error."""
    shown = redact(url)
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in 0..65535
    except ValueError as exc:
        raise ImageLoadError(f"malformed URL {shown}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ImageLoadError(f"unsupported URL scheme {scheme!r} in {shown}; only http and https are allowed")
    if not host:
        raise ImageLoadError(f"malformed URL {shown}: it names no host")
    if any(c.isspace() for c in url) or any(ord(c) < 32 for c in url):
        raise ImageLoadError(f"malformed URL {shown}: it contains spaces or control characters")
    if not host.startswith("["):
        try:
            ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
        except UnicodeError:
            raise ImageLoadError(f"malformed URL {shown}: invalid host name") from None
        labels = ascii_host.rstrip(".").split(".")
        if len(ascii_host) > 253 or any(not 0 < len(label) <= 63 for label in labels):
            raise ImageLoadError(f"malformed URL {shown}: invalid host name (empty or over-long label)")
    return url


def _content_length(headers) -> int | None:
    try:
        value = int(headers.get("Content-Length", ""))
    except ValueError:
        return None  # missing or not a number: we count the bytes ourselves
    return value if value >= 0 else None


def fetch_url(  # noqa: C901 (each network failure gets its own message)
    url: str, timeout: float | None = None, max_bytes: int | None = None, deadline: float | None = None
) -> bytes:
    """The bytes at an http(s) ``url``, fetched within ``deadline`` seconds and ``max_bytes`` bytes.

    ``timeout``: the longest silence allowed from the server (default ``DOWNLOAD_TIMEOUT_S``);
    ``deadline``: the whole download, redirects included (default ``DOWNLOAD_DEADLINE_S``);
    ``max_bytes``: default ``MAX_DOWNLOAD_BYTES``. Every failure is an :class:`ImageLoadError`.
    Taught in notebook 02.
    """
    import requests
    import urllib3

    timeout = DOWNLOAD_TIMEOUT_S if timeout is None else timeout
    max_bytes = MAX_DOWNLOAD_BYTES if max_bytes is None else max_bytes
    deadline = DOWNLOAD_DEADLINE_S if deadline is None else deadline
    end = time.monotonic() + deadline
    original = redact(url)

    def left() -> float:
        remaining = end - time.monotonic()
        if remaining <= 0:
            raise ImageLoadError(f"gave up fetching {original}: the download took longer than {deadline:g} s")
        return remaining

    with requests.Session() as session:
        for _ in range(MAX_REDIRECTS + 1):
            check_url(url)
            shown = redact(url)
            try:
                r = session.get(
                    url,
                    stream=True,
                    allow_redirects=False,
                    timeout=min(timeout, left()),
                    headers={"User-Agent": "dreamlib", "Accept": "image/*"},
                )
                with r:
                    if r.is_redirect:
                        location = r.headers.get("Location", "")
                        try:
                            url = urljoin(url, location)
                        except ValueError:
                            raise ImageLoadError(f"{shown} redirects to a malformed URL {redact(location)}") from None
                        continue
                    if r.status_code != 200:
                        raise ImageLoadError(f"could not fetch {shown}: HTTP {r.status_code}")
                    size = _content_length(r.headers)
                    if size is not None and size > max_bytes:
                        raise ImageLoadError(f"{shown} is too large ({size} bytes; the limit is {max_bytes})")
                    data = bytearray()
                    while True:
                        left()
                        chunk = r.raw.read1(64 * 1024, decode_content=True)  # returns what has arrived so far
                        if not chunk:
                            break
                        data += chunk
                        if len(data) > max_bytes:
                            raise ImageLoadError(f"{shown} is too large (over {max_bytes} bytes)")
                    left()
                    return bytes(data)
            except ImageLoadError:  # ours, already one line (a ValueError too: keep it out of the clause below)
                raise
            except (requests.Timeout, urllib3.exceptions.TimeoutError):
                raise ImageLoadError(f"timed out after {timeout:g} s waiting for {shown}") from None
            except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
                raise ImageLoadError(f"could not fetch {shown}: {type(exc).__name__}") from None
            except (ValueError, UnicodeError) as exc:  # what requests/urllib3 raise for URLs they cannot parse
                raise ImageLoadError(f"malformed URL {shown}: {type(exc).__name__}") from None
            except OSError as exc:
                raise ImageLoadError(f"could not fetch {shown}: {exc.strerror or type(exc).__name__}") from None
    raise ImageLoadError(f"could not fetch {original}: more than {MAX_REDIRECTS} redirects")
