"""Security headers of every response (docs/configuration.md, "Security headers"):

- Content-Security-Policy: scripts, styles, fonts, fetches and workers from this origin only;
  images also from the map's tile host (MAP_TILE_URL) and data: URIs; no plugins, no framing,
  forms post here only. Inline `style` attributes are allowed (charts' widths), inline scripts not.
- Strict-Transport-Security when the request came over HTTPS (set ProxyFix-style forwarding at the
  proxy so Flask sees it), never over plain HTTP (a local run would be locked out of HTTP).
- Permissions-Policy: geolocation for this origin only (the household form asks for the position);
  no microphone, payment or USB.
- X-Content-Type-Options, Referrer-Policy, X-Frame-Options as before.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, g, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin

PERMISSIONS_POLICY = "geolocation=(self), microphone=(), payment=(), usb=()"
HSTS = "max-age=31536000"


def tile_source(tile_url: str) -> str | None:
    """The CSP source of a tile URL template: https://{s}.tile.example.org/{z}/… → https://*.tile…"""
    parts = urlsplit(tile_url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc.split("@")[-1]
    labels = host.split(".")
    if labels and "{" in labels[0]:
        labels[0] = "*"
    host = ".".join(labels)
    if "{" in host or "}" in host or " " in host or ";" in host:
        return None
    return f"{parts.scheme}://{host}"


def content_security_policy(tile_url: str) -> str:
    images = " ".join(filter(None, ("'self'", "data:", tile_source(tile_url))))
    return "; ".join((
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        f"img-src {images} blob:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def mark_public() -> None:
    """This response may be kept by shared caches (Cache-Control: public): it must carry no
    Set-Cookie, not even a refreshed session cookie of a signed-in reader."""
    g.public_response = True


class _SessionInterface(SecureCookieSessionInterface):
    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if g.get("public_response"):
            return False
        return super().should_set_cookie(app, session)


def init_app(app: Flask) -> None:
    app.session_interface = _SessionInterface()
    csp = content_security_policy(app.config.get("MAP_TILE_URL") or "")

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Content-Security-Policy", csp)
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
