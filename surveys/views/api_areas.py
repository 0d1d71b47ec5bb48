"""Areas of every level: /api/v1/areas, /api/v1/areas/SLUG, /api/v1/areas/SLUG/boundaries (its
communes' outlines for the map), /api/v1/indicators/communes, and the `area=SLUG` answers of
/api/v1/indicators (indicators of a province or group of communes)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request, url_for
from flask.typing import ResponseReturnValue

from surveys.administration.access import area_for, readable_areas
from surveys.db import get_session
from surveys.errors import Problem, Text
from surveys.indicators import CATALOGUE
from surveys.indicators.areas import area_indicator_table, commune_ranking
from surveys.indicators.report import Period, parse_period
from surveys.indicators.results import AreaIndicatorTable
from surveys.models import User
from surveys.places import vntime
from surveys.places.areas import Area, area_json, communes_of, tree
from surveys.places.map_outlines import outlines_collection
from surveys.views.api import api_user
from surveys.views.api_maps import geojson_response

bp = Blueprint("api_areas", __name__, url_prefix="/api/v1")


def _user() -> User:
    user = api_user()
    assert user is not None
    return user


def _settings() -> dict[str, Any]:
    return {"today": vntime.today(), "minimum": current_app.config["INDICATOR_MIN_HOUSEHOLDS"],
            "h3_resolution": current_app.config["INDICATOR_H3_RESOLUTION"]}


@bp.get("/areas")
def areas() -> ResponseReturnValue:
    """The areas the caller may read, as a tree: provinces with their groups and communes."""
    user = _user()
    db = get_session()
    return {"areas": tree(db, readable_areas(db, user))}


@bp.get("/areas/<slug>")
def area(slug: str) -> ResponseReturnValue:
    user = _user()
    db = get_session()
    return area_json(db, area_for(db, user, slug))


# Boundaries change rarely: a browser keeps them for an hour, then asks again with the ETag (304).
BOUNDARIES_CACHE_CONTROL = "private, max-age=3600"


@bp.get("/areas/<slug>/boundaries")
def boundaries(slug: str) -> ResponseReturnValue:
    """The outlines of the area's communes (GeoJSON) with slug, name and dashboard URL: what the
    area's map draws, fetched once and cached instead of embedded in every page."""
    db = get_session()
    found = area_for(db, _user(), slug)
    document = outlines_collection(found.slug, found.level, communes_of(db, found),
                                   lambda commune: url_for("dashboard.dashboard", slug=commune))
    return geojson_response(document, cache_control=BOUNDARIES_CACHE_CONTROL)


def read_area(slug: object) -> Area:
    return area_for(get_session(), _user(), slug)


def area_table(found: Area, period: Period | None) -> AreaIndicatorTable:
    """The indicator table of an area (any level), as /api/v1/indicators?area= answers it."""
    return area_indicator_table(get_session(), found, period=period, **_settings())


@bp.get("/indicators/communes")
def communes_ranking() -> ResponseReturnValue:
    """One indicator for every commune of the area, best first: the ranking."""
    errors: dict[str, Text] = {}
    code = request.args.get("code")
    if code not in CATALOGUE:
        errors["code"] = Text("Không có chỉ tiêu này (code).", "No such indicator code.")
    found = read_area(request.args.get("area") or request.args.get("commune"))
    period = None
    try:
        period = parse_period(request.args.get("period"))
    except Problem as problem:
        errors.update(problem.errors)
    if errors:
        raise Problem("422.1", errors=errors)
    assert code is not None
    rows = commune_ranking(get_session(), found, code, period=period, **_settings())
    return {"area": found.slug, "level": found.level, "code": code,
            "period": period.label if period else None,
            "communes": [row.as_json() for row in rows]}
