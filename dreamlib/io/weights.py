"""The torch-hub weights cache: where pretrained files live, checking them, downloading them.

torchvision names each weights file ``<model>-<first 8 hex digits of its SHA-256>.pth``
and torch hub keeps it in ``$TORCH_HOME/hub/checkpoints``. Instructors pre-seed that
folder for a classroom without internet (docs/offline.md), often from a USB stick,
so a cached file is checked against the hash in its name before use: a half-copied
file is reported with its path and the fix instead of a raw unpickling error.
Used by :func:`dreamlib.load_model`; taught in notebook 01 (and 02 for the cache path).
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
from pathlib import Path
from urllib.parse import urlparse

import torch

from ..config import WEIGHTS_ENV
from ..errors import DreamError, WeightsUnavailableError

DOWNLOAD_TIMEOUT_S = 30.0  # per connection attempt and per read while downloading weights


class CorruptWeightsError(WeightsUnavailableError):
    """A weights file exists but is truncated or damaged."""


def weights_cache_path(url: str) -> Path:
    """Where torch hub keeps (and looks for) the file at ``url``: ``$TORCH_HOME/hub/checkpoints/<file>``.

    Taught in notebook 02.
    """
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(url)


_HASH_PREFIX = re.compile(r"-([0-9a-f]{8,64})\.[A-Za-z0-9]+$")
_verified: dict[tuple[str, int, int], bool] = {}  # (path, size, mtime) -> checked this process


def _corrupt_message(path: Path, why: str) -> str:
    return (
        f"the cached weights file {path} is damaged ({why}): delete it and download it again "
        f"(python -m dreamlib weights --download), or copy it again from a good copy"
    )


def check_cached_weights(path: Path) -> None:
    """Check a cached torchvision weights file against the SHA-256 prefix in its name (``name-<sha256[:8]>.pth``).

    A truncated or corrupt copy (a half-copied USB stick) is reported with its path and
    the fix, instead of a raw unpickling error. Each file is hashed once per process.
    """
    match = _HASH_PREFIX.search(path.name)
    if match is None:
        return  # not a hash-named file: nothing to compare against
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key in _verified:
        return
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if not digest.hexdigest().startswith(match.group(1)):
        raise CorruptWeightsError(
            _corrupt_message(
                path, f"its SHA-256 does not start with {match.group(1)}, as its name says; {stat.st_size} bytes"
            )
        )
    _verified[key] = True


def cache_status(url: str) -> str:
    """``"cached"``, ``"missing"`` or ``"damaged"`` for the cache file of ``url`` (the ``weights`` command)."""
    path = weights_cache_path(url)
    if not path.is_file():
        return "missing"
    try:
        check_cached_weights(path)
    except CorruptWeightsError:
        return "damaged"
    return "cached"


def fetch_imagenet_weights(
    name: str, url: str, what: str = "ImageNet weights", other_options: str | None = None
) -> dict:
    """The state dict at ``url`` from the torch-hub cache, downloading it first if it is not there.

    ``what`` names the weights in the error a failed download raises, ``other_options`` says what else the user can
    do (default: their own file, or random weights).
    """
    path = weights_cache_path(url)
    if path.is_file():
        # Already cached (downloaded earlier or placed by an instructor): no network, but check it first.
        check_cached_weights(path)
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same advice
            raise CorruptWeightsError(
                _corrupt_message(path, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            ) from None
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)  # torch.hub sets none: a network that drops packets would hang
    try:
        # Can we reach the server at all? Offline this fails in seconds, before torch.hub announces a download.
        parts = urlparse(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        socket.create_connection((parts.hostname, port), timeout=DOWNLOAD_TIMEOUT_S).close()
        return torch.hub.load_state_dict_from_url(url, map_location="cpu", progress=True, check_hash=True)
    except Exception as exc:  # no network, URLError, HTTPError, timeouts, hash mismatch...
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        others = other_options or (
            f"pass weights='path/to/file.pth', or use weights='random' / {WEIGHTS_ENV}=random (dreams will be noise)"
        )
        raise WeightsUnavailableError(
            f"could not download {what} for {name} from {url} ({reason}). "
            f"Offline options: place that file at {path} (set TORCH_HOME to use another cache), {others}"
        ) from None
    finally:
        socket.setdefaulttimeout(previous)


def load_state_file(name: str, path: str, named: str = "'imagenet', 'random'") -> dict:
    p = Path(path).expanduser()
    if not p.is_file():
        raise DreamError(f"weights {path!r} for {name} are neither {named} nor an existing .pth file")
    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:
        detail = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WeightsUnavailableError(f"could not read weights file {p}: {detail}") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise WeightsUnavailableError(f"weights file {p} does not hold a state dict for {name}")
    return state
