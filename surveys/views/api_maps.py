"""Map data: /api/v1/coverage/hexes and /api/v1/indicators/map (GeoJSON, cacheable by ETag).

Who reads what (docs/maps.md): hexagons are aggregated coverage, readable by any authenticated
user; but only readers of the commune (commune_for) see household counts of every cell — others see
them, and the household reports behind best_technology, only in cells with at least
OPEN_DATA_MIN_HOUSEHOLDS located households. The village layer is for readers of the commune.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from surveys.administration.access import area_for, commune_for
from surveys.coverage.geojson import encode
from surveys.coverage.hexes import MAX_WINDOW_CELLS, Bbox, window_cells_estimate
from surveys.coverage.map_answers import etag_of, hexes_answer
from surveys.coverage.operators import OPERATORS
from surveys.coverage.spatial import MAP_RESOLUTIONS
from surveys.db import get_session
from surveys.errors import Problem, Text
from surveys.indicators import CATALOGUE
from surveys.indicators.report import Period, parse_period
from surveys.indicators.village_map import village_indicator_map
from surveys.models import Commune, User
from surveys.parsing import parse_int
from surveys.places import vntime
from surveys.places.areas import communes_of
from surveys.views.api import api_user

bp = Blueprint("api_maps", __name__, url_prefix="/api/v1")

MAP_TECHNOLOGY_FILTERS = ("4g", "5g")
CACHE_CONTROL = "private, max-age=60"


def geojson_response(document: dict[str, Any] | None, *, cache_control: str = CACHE_CONTROL,
                     body: bytes | None = None, etag: str | None = None) -> Response:
    """The document with a strong ETag of its bytes: a matching If-None-Match gets a 304.
    `body`, `etag`: the document already serialised, and the ETag of those bytes
    (surveys/coverage/map_answers.py)."""
    if body is None:
        body = encode(document)
    response = current_app.response_class(body, mimetype="application/geo+json")
    response.set_etag(etag or etag_of(body))
    response.headers["Cache-Control"] = cache_control
    response.vary.update(("Authorization", "Cookie"))
    response.make_conditional(request)  # in place: a 304 without a body when it matches
    return response


def _period() -> Period | None:
    return parse_period(request.args.get("period"))


def _reads_commune(user: User, slug: str) -> bool:
    try:
        commune_for(get_session(), user, slug)
    except Problem as problem:
        if problem.status == 403:
            return False
        raise
    return True


def _hex_filters(default_resolution: int = 8) -> dict[str, Any]:
    errors: dict[str, Text] = {}
    resolution = parse_int(request.args.get("resolution", str(default_resolution)), minimum=0,
                           maximum=15)
    if resolution not in MAP_RESOLUTIONS:
        errors["resolution"] = Text("Độ phân giải (resolution) phải từ 6 đến 10.",
                                    "resolution must be an integer from 6 to 10.")
    technology = request.args.get("technology") or None
    if technology is not None and technology not in MAP_TECHNOLOGY_FILTERS:
        errors["technology"] = Text("Công nghệ (technology) phải là 4g hoặc 5g.",
                                    "technology must be 4g or 5g.")
    operator = request.args.get("operator") or None
    if operator is not None and operator not in OPERATORS:
        errors["operator"] = Text("Nhà mạng (operator) phải là một trong: {o}.",
                                  "operator must be one of: {o}.").format(o=", ".join(OPERATORS))
    period = None
    try:
        period = _period()
    except Problem as problem:
        errors.update(problem.errors)
    bbox = _bbox(request.args.get("bbox"), resolution, errors)
    if errors:
        raise Problem("422.1", errors=errors)
    return {"resolution": resolution, "technology": technology, "operator": operator,
            "first_period": period.months[0] if period else None,
            "last_period": period.months[1] if period else None,
            "period": period.label if period else None, "bbox": bbox}


def _bbox(text: str | None, resolution: int | None, errors: dict[str, Text]) -> Bbox | None:
    """`bbox=west,south,east,north` (degrees, a map's window) or None; a problem goes to errors."""
    if not text:
        return None
    parts = text.split(",")
    try:
        west, south, east, north = (float(part) for part in parts)
    except ValueError:
        errors["bbox"] = Text("Khung (bbox) phải là bốn số: tây,nam,đông,bắc (độ).",
                              "bbox must be four numbers: west,south,east,north (degrees).")
        return None
    box = (west, south, east, north)
    if not all(math.isfinite(v) for v in box) or not (
            -180 <= west < east <= 180 and -90 <= south < north <= 90):
        errors["bbox"] = Text("Khung (bbox) không hợp lệ: cần tây < đông trong −180…180 và "
                              "nam < bắc trong −90…90.",
                              "bbox is not valid: west < east within −180…180 and south < north "
                              "within −90…90 are required.")
        return None
    if resolution in MAP_RESOLUTIONS and window_cells_estimate(box, resolution) > MAX_WINDOW_CELLS:
        errors["bbox"] = Text(
            "Khung (bbox) quá lớn cho độ phân giải {r}: tối đa khoảng {n} ô; hãy thu nhỏ khung "
            "hoặc chọn độ phân giải thấp hơn.",
            "bbox is too large for resolution {r}: at most about {n} cells; use a smaller box or a "
            "coarser resolution.").format(r=resolution, n=f"{MAX_WINDOW_CELLS:,}")
        return None
    return box


def _area_hexes(user: User, slug: str | None) -> ResponseReturnValue:
    """`area=SLUG`: the hexagons of every commune of the area, each cell once (resolution 7 by
    default for a province); readers of the area only."""
    db = get_session()
    found = area_for(db, user, slug)
    filters = _hex_filters(7 if found.level == "province" else 8)
    head = {
        "type": "FeatureCollection", "area": found.slug, "level": found.level,
        "commune": found.slug if found.level == "commune" else None,
        "resolution": filters["resolution"], "technology": filters["technology"],
        "operator": filters["operator"], "period": filters["period"],
        "bbox": list(filters["bbox"]) if filters["bbox"] else None}
    body, etag = hexes_answer(
        db, communes_of(db, found), head, resolution=filters["resolution"],
        technology=filters["technology"], operator=filters["operator"],
        first_period=filters["first_period"], last_period=filters["last_period"],
        bbox=filters["bbox"])
    return geojson_response(None, body=body, etag=etag)


@bp.get("/coverage/hexes")
def hexes() -> ResponseReturnValue:
    user = api_user()
    if request.args.get("area") is not None:
        assert user is not None
        return _area_hexes(user, request.args.get("area"))
    slug = request.args.get("commune")
    if not slug:
        raise Problem("422.1", errors={"commune": Text("Cần mã xã (commune).",
                                                       "commune (its slug) is required.")})
    db = get_session()
    commune = db.scalar(select(Commune).where(Commune.slug == slug))
    if commune is None:
        raise Problem("404.1")
    filters = _hex_filters()
    insider = _reads_commune(user, slug)
    head = {
        "type": "FeatureCollection", "commune": commune.slug,
        "resolution": filters["resolution"], "technology": filters["technology"],
        "operator": filters["operator"], "period": filters["period"],
        "bbox": list(filters["bbox"]) if filters["bbox"] else None}
    body, etag = hexes_answer(
        db, [commune], head, resolution=filters["resolution"], technology=filters["technology"],
        operator=filters["operator"], first_period=filters["first_period"],
        last_period=filters["last_period"],
        min_households=1 if insider else current_app.config["OPEN_DATA_MIN_HOUSEHOLDS"],
        bbox=filters["bbox"])
    return geojson_response(None, body=body, etag=etag)


@bp.get("/indicators/map")
def indicators_map() -> ResponseReturnValue:
    user = api_user()
    db = get_session()
    commune = commune_for(db, user, request.args.get("commune"))
    errors: dict[str, Text] = {}
    code = request.args.get("code")
    if code not in CATALOGUE:
        errors["code"] = Text("Không có chỉ tiêu này (code).", "No such indicator code.")
    period = None
    try:
        period = _period()
    except Problem as problem:
        errors.update(problem.errors)
    if errors or code is None:
        raise Problem("422.1", errors=errors)
    return geojson_response(village_indicator_map(
        db, commune, code, period=period, today=vntime.today(),
        minimum=current_app.config["INDICATOR_MIN_HOUSEHOLDS"],
        h3_resolution=current_app.config["INDICATOR_H3_RESOLUTION"]))
