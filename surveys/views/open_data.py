"""Open data, public and read-only: /open/SLUG (a page) and /api/v1/open/SLUG (JSON).

No login, no personal data (surveys/exports/open_data.py decides what is published); responses may be
kept by any cache for OPEN_MAX_AGE seconds. The page carries no form and no user-specific content,
and its language is chosen in the URL (?lang=en), so one cached copy serves everyone."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, get_locale
from sqlalchemy import select

from surveys.db import get_session
from surveys.errors import Problem
from surveys.exports.open_data import map_shapes, open_commune, open_period
from surveys.i18n import LOCALES
from surveys.models import Commune, utcnow
from surveys.places import vntime
from surveys.views.headers import mark_public

bp = Blueprint("open_data", __name__)

OPEN_MAX_AGE = 300
STATUS_CLASSES = ("met", "on_track", "no_trajectory", "behind", "unweighted", "insufficient_data",
                  "baseline", "suppressed")


def _open(slug: str) -> tuple[Commune, dict]:
    db = get_session()
    commune = db.scalar(select(Commune).where(Commune.slug == slug))
    if commune is None:
        raise Problem("404.1")
    config = current_app.config
    data = open_commune(db, commune, minimum=config["OPEN_DATA_MIN_HOUSEHOLDS"],
                        indicator_minimum=config["INDICATOR_MIN_HOUSEHOLDS"],
                        h3_resolution=config["INDICATOR_H3_RESOLUTION"], today=vntime.today(),
                        period=open_period(db, commune, request.args.get("period"), now=utcnow()))
    return commune, data


def _public(response: Response) -> Response:
    mark_public()  # no Set-Cookie on a response any cache may keep
    response.headers["Cache-Control"] = f"public, max-age={OPEN_MAX_AGE}"
    return response


@bp.get("/api/v1/open/<slug>")
def api(slug: str) -> ResponseReturnValue:
    _commune, data = _open(slug)
    return _public(jsonify(data))


@bp.get("/open/<slug>")
def page(slug: str) -> ResponseReturnValue:
    commune, data = _open(slug)
    lang = request.args.get("lang")
    locale = lang if lang in LOCALES else current_app.config["DEFAULT_LOCALE"]
    with force_locale(locale):
        html = render_template("open/commune.html", commune=commune, data=data,
                               shape=map_shapes(commune.boundary, data["hexes"]["cells"]),
                               page_locale=str(get_locale()), other="en" if locale == "vi" else "vi",
                               period=data["period"], status_classes=STATUS_CLASSES,
                               names={row["code"]: row["name"].get(locale, row["name"]["vi"])
                                      for row in data["indicators"]})
    response = Response(html, mimetype="text/html")
    response.headers["Content-Language"] = locale
    return _public(response)
