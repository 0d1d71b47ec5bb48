"""Static files for weak 3G: content hashes in their URLs, a year's caching, sent compressed.

`url_for('static', filename=F)` adds `?v=<hash of F's content>`; a request carrying the current hash
is answered with `Cache-Control: public, max-age=31536000, immutable` (a changed file has another
URL), one without it keeps the short default and revalidates by ETag. CSS, JavaScript, SVG, JSON and
the manifest are sent brotli- or gzip-compressed when the browser accepts it, compressed once per
file version and kept in memory (Flask-Compress leaves files alone: they are streamed). The service
worker keys its cache by path (static/js/sw.js), so the hashed URLs work offline too.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, request

YEAR = 365 * 24 * 3600
COMPRESSIBLE = frozenset({"text/css", "text/javascript", "application/javascript", "application/json",
                          "application/manifest+json", "image/svg+xml", "text/csv", "text/plain"})
MIN_SIZE = 512

_lock = threading.Lock()
_hashes: dict[tuple[str, float], str] = {}
_encoded: dict[tuple[str, float, str], bytes] = {}


def _file(filename: str) -> Path | None:
    static = current_app.static_folder
    if static is None:
        return None
    path = Path(static, filename).resolve()
    if not path.is_relative_to(Path(static).resolve()) or not path.is_file():
        return None
    return path


def content_hash(filename: str) -> str | None:
    """The first 10 hex digits of the file's SHA-256, remembered per modification time."""
    path = _file(filename)
    if path is None:
        return None
    key = (str(path), path.stat().st_mtime)
    found = _hashes.get(key)
    if found is None:
        found = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        with _lock:
            _hashes[key] = found
    return found


def _encoding() -> str | None:
    accepted = request.accept_encodings
    if accepted["br"] and _brotli() is not None:
        return "br"
    if accepted["gzip"]:
        return "gzip"
    return None


def _brotli() -> Any:
    try:
        import brotli
    except ImportError:  # pragma: no cover - flask-compress brings it
        return None
    return brotli


def _compressed(path: Path, encoding: str) -> bytes:
    key = (str(path), path.stat().st_mtime, encoding)
    found = _encoded.get(key)
    if found is None:
        raw = path.read_bytes()
        found = _brotli().compress(raw) if encoding == "br" else gzip.compress(raw, 9, mtime=0)
        with _lock:
            _encoded[key] = found
    return found


def _add_hash(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint == "static" and "filename" in values and "v" not in values:
        found = content_hash(values["filename"])
        if found:
            values["v"] = found


def _static_response(response: Response) -> Response:
    if request.endpoint != "static":
        return response
    filename = (request.view_args or {}).get("filename", "")
    if request.args.get("v") and request.args.get("v") == content_hash(filename):
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    response.vary.add("Accept-Encoding")
    if response.status_code != 200 or response.mimetype not in COMPRESSIBLE:
        return response
    path, encoding = _file(filename), _encoding()
    if path is None or encoding is None or path.stat().st_size < MIN_SIZE:
        return response
    etag, _weak = response.get_etag()
    body = _compressed(path, encoding)
    opened = response.response  # the file Flask opened to stream: closed, its bytes replaced
    if hasattr(opened, "close"):
        opened.close()
    response.direct_passthrough = False
    response.set_data(body)
    response.headers["Content-Encoding"] = encoding
    if etag:  # each encoding is its own representation
        response.set_etag(f"{etag}-{encoding}")
        if f"{etag}-{encoding}" in request.if_none_match:
            response.status_code = 304
            response.set_data(b"")
            response.headers.pop("Content-Length", None)
    return response


def init_app(app: Flask) -> None:
    app.url_defaults(_add_hash)
    app.after_request(_static_response)
