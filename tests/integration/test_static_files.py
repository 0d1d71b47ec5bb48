"""Static files for weak 3G: content-hashed URLs cached for a year, sent compressed, and /sw.js
revalidated with a 304 instead of downloaded in full."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

import brotli
import pytest


def fetch(client, url, **kwargs):
    """GET, read the body, close the file the server streamed from."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def test_pages_link_static_files_by_content_hash(client, app) -> None:
    html = client.get("/login").get_data(as_text=True)
    found = re.search(r'href="/static/css/app\.css\?v=([0-9a-f]{10})"', html)
    content = Path(app.static_folder, "css/app.css").read_bytes()
    assert found and found.group(1) == hashlib.sha256(content).hexdigest()[:10]
    hashed = fetch(client, f"/static/css/app.css?v={found.group(1)}")
    assert hashed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    plain = fetch(client, "/static/css/app.css")  # no hash, or an old one: revalidate soon
    assert "immutable" not in plain.headers["Cache-Control"]
    assert "immutable" not in fetch(client, "/static/css/app.css?v=0000000000").headers["Cache-Control"]


@pytest.mark.parametrize("name", ["css/app.css", "js/form.js", "js/xpath.js"])
@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_scripts_and_styles_are_sent_compressed_and_revalidate(client, app, name, encoding) -> None:
    content = Path(app.static_folder, name).read_bytes()
    response = fetch(client, f"/static/{name}", headers={"Accept-Encoding": encoding})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    body = response.get_data()
    assert (gzip.decompress(body) if encoding == "gzip" else brotli.decompress(body)) == content
    assert len(body) < len(content) / 2
    again = fetch(client, f"/static/{name}", headers={"Accept-Encoding": encoding,
                                                   "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and not again.get_data()
    identity = fetch(client, f"/static/{name}", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in identity.headers and identity.get_data() == content


def test_service_worker_revalidates_with_a_304(client) -> None:
    first = client.get("/sw.js", headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-cache"
    assert first.headers.get("ETag")
    again = client.get("/sw.js", headers={"Accept-Encoding": "gzip",
                                          "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.get_data()
    assert again.headers["Service-Worker-Allowed"] == "/"
