"""Protocol details (issue 14, item 7): CSP with same-origin scripts and the tile host from the
setting, HSTS over HTTPS only, Permissions-Policy, Allow on 405, one charset in CSV types, and no
Set-Cookie on the publicly cacheable open-data responses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from surveys.views.headers import content_security_policy, tile_source
from tests.conftest import login, make_test_app
from tests.factories import PASSWORD, auth, make_commune, make_token, make_user

TEMPLATES = Path(__file__).parents[2] / "templates"


@pytest.fixture
def staff(db):
    user = make_user(db, "staff1", role="staff", commune=make_commune(db))
    token = make_token(db, user)
    db.commit()
    return token


def _directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


def test_csp_allows_only_same_origin_scripts_and_the_tile_host(client) -> None:
    csp = _directives(client.get("/login").headers["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["form-action"] == ["'self'"]
    assert "https://tile.openstreetmap.org" in csp["img-src"]  # the default MAP_TILE_URL


def test_the_tile_host_comes_from_the_setting(database_url, tmp_path) -> None:
    assert tile_source("https://{s}.tiles.example.vn/{z}/{x}/{y}.png") == "https://*.tiles.example.vn"
    assert tile_source("") is None and tile_source("javascript:alert(1)") is None
    assert "tile.openstreetmap.org" not in content_security_policy("")
    app = make_test_app(database_url, tmp_path, MAP_TILE_URL="https://maps.example.vn/{z}/{x}/{y}.png")
    try:
        csp = _directives(app.test_client().get("/login").headers["Content-Security-Policy"])
        assert "https://maps.example.vn" in csp["img-src"]
        assert "https://tile.openstreetmap.org" not in csp["img-src"]
    finally:
        app.extensions["phusong.engine"].dispose()


def test_pages_have_no_inline_script_a_csp_would_block() -> None:
    for template in TEMPLATES.rglob("*.html"):
        html = template.read_text("utf-8")
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (template, tag)
        assert not re.search(r"\son[a-z]+\s*=", html), template  # onclick=, onsubmit=, …
        assert "javascript:" not in html, template


def test_hsts_over_https_only(client) -> None:
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://phusong.example.vn")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_permissions_policy_lets_only_this_origin_ask_for_the_position(client) -> None:
    policy = client.get("/login").headers["Permissions-Policy"]
    assert "geolocation=(self)" in policy


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("put", "/login", {"GET", "POST", "HEAD", "OPTIONS"}),
    ("delete", "/api/v1/submissions", {"GET", "POST", "HEAD", "OPTIONS"}),
])
def test_405_names_the_allowed_methods(client, method, path, allowed) -> None:
    response = getattr(client, method)(path)
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == allowed


def test_csv_downloads_name_their_charset_once(client, staff) -> None:
    for path in ("/communes/cam-lo/export/indicators.csv", "/communes/cam-lo/export/submissions.csv",
                 "/api/v1/indicators?commune=cam-lo&format=csv"):
        response = client.get(path, headers=auth(staff))
        assert response.status_code == 200, path
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8", path


def test_open_data_sets_no_cookie_on_a_public_response(client, db, staff) -> None:
    login(client, "staff1", PASSWORD)
    for path in ("/open/cam-lo", "/api/v1/open/cam-lo"):
        response = client.get(path)
        assert response.headers["Cache-Control"].startswith("public"), path
        assert response.headers.getlist("Set-Cookie") == [], path
    assert client.get("/surveys/household").status_code == 200  # still signed in


def test_behind_a_trusted_proxy_the_forwarded_scheme_counts(database_url, tmp_path, client) -> None:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}
    assert "Strict-Transport-Security" not in client.get("/login", headers=forwarded).headers
    app = make_test_app(database_url, tmp_path, TRUSTED_PROXIES=1)
    try:
        response = app.test_client().get("/login", headers=forwarded)
        assert "Strict-Transport-Security" in response.headers
    finally:
        app.extensions["phusong.engine"].dispose()
