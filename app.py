"""Application factory. `flask --app app ...` and gunicorn's `wsgi:app` both build the app here."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from surveys.config import load_config

ROOT = Path(__file__).parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, static_folder="static",
                template_folder="templates")
    settings = load_config(app.instance_path, config)
    app.config.update(settings)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=settings["SESSION_COOKIE_SECURE"],
        REMEMBER_COOKIE_SAMESITE="Lax",
        # The remember cookie lasts as long as a login may (the server checks its age too).
        REMEMBER_COOKIE_DURATION=timedelta(days=settings["PERMANENT_SESSION_DAYS"]),
        PERMANENT_SESSION_LIFETIME=timedelta(days=settings["PERMANENT_SESSION_DAYS"]),
        # Surveyors fill forms offline for hours: the token lives as long as the session does.
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE=settings["DEFAULT_LOCALE"],
        # Any time Flask-Babel formats is shown in Vietnam time (pages use surveys/places/vntime.py).
        BABEL_DEFAULT_TIMEZONE="Asia/Ho_Chi_Minh",
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "surveys" / "translations"),
        # Surveyors are on weak 3G: compress pages, scripts and JSON (gzip, br or zstd).
        COMPRESS_MIMETYPES=["text/html", "text/css", "text/javascript", "application/javascript",
                            "application/json", "application/geo+json", "application/manifest+json",
                            "image/svg+xml"],
        COMPRESS_MIN_SIZE=512,
        COMPRESS_STREAMS=False,
        # Static files revalidate cheaply (ETag); the service worker keeps them for offline use.
        SEND_FILE_MAX_AGE_DEFAULT=timedelta(hours=1),
    )

    from flask_compress import Compress

    from surveys import cli, db, i18n
    from surveys.views import init_app as init_views

    # Keys in the documented order; Vietnamese as UTF-8, not \u escapes (fewer bytes on 3G).
    assert isinstance(app.json, DefaultJSONProvider)
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    if settings["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    Compress(app)
    db.init_app(app)
    i18n.init_app(app)
    init_views(app)
    cli.init_app(app)
    return app
