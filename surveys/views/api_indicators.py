"""Indicators and plan targets: /api/v1/indicators and /api/v1/targets."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from sqlalchemy import select

from surveys.administration.access import area_for, commune_for
from surveys.db import get_session
from surveys.errors import Problem, Text
from surveys.indicators import CATALOGUE, target_changes
from surveys.indicators import targets as target_service
from surveys.indicators.areas import area_targets
from surveys.indicators.exports import EXPORTERS
from surveys.indicators.report import (
    TREND_STEPS,
    indicator_table,
    indicator_trend,
    parse_period,
)
from surveys.indicators.results import IndicatorTable
from surveys.models import Commune, User, Village
from surveys.places import vntime
from surveys.views.api import api_user, json_body
from surveys.views.auditing import current_actor, record
from surveys.views.use_cases import run

bp = Blueprint("api_indicators", __name__, url_prefix="/api/v1")


def _caller() -> User:
    user = api_user()
    assert user is not None  # required: api_user raised 401 otherwise
    return user


def _place() -> tuple[Commune, Village | None]:
    user = _caller()
    db = get_session()
    commune = commune_for(db, user, request.args.get("commune"))
    village = None
    if request.args.get("village"):
        village = db.scalar(select(Village).where(Village.commune_id == commune.id,
                                                  Village.slug == request.args["village"]))
        if village is None:
            raise Problem("422.1", errors={"village": Text("Không có thôn này trong xã.",
                                                           "No such village in the commune.")})
    return commune, village


def _table() -> IndicatorTable:
    commune, village = _place()
    db = get_session()
    return indicator_table(db, commune, village=village, period=parse_period(
        request.args.get("period")), today=vntime.today(),
        minimum=current_app.config["INDICATOR_MIN_HOUSEHOLDS"],
        h3_resolution=current_app.config["INDICATOR_H3_RESOLUTION"])


@bp.get("/indicators")
def indicators() -> ResponseReturnValue:
    fmt = request.args.get("format", "json")
    if fmt != "json" and fmt not in EXPORTERS:
        raise Problem("422.1", errors={"format": Text("Định dạng: json, csv hoặc xlsx.",
                                                      "format must be json, csv or xlsx.")})
    if request.args.get("area") is not None:  # a province, a group of communes or a commune
        from surveys.views.api_areas import area_table, read_area

        found = read_area(request.args.get("area"))
        table: IndicatorTable = area_table(found, parse_period(request.args.get("period")))
        place: str | None = found.slug
        area: str | None = found.slug
    else:
        table = _table()
        place, area = table["commune"], None
    if fmt == "json":
        return jsonify(table)
    exporter = EXPORTERS[fmt]
    db = get_session()
    details = {"format": fmt, "filter": {"village": table["village"], "period": table["period"]}}
    if area is not None:
        details["area"] = area
    record(db, "export.indicators", commune_id=db.scalar(select(Commune.id).where(
        Commune.slug == table["commune"])) if table["commune"] else None, details=details)
    db.commit()
    name = f"chi-tieu-{place}{'-' + table['period'] if table['period'] else ''}"
    return Response(exporter.render(table, str(get_locale())), content_type=exporter.mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


@bp.get("/indicators/trend")
def trend() -> ResponseReturnValue:
    errors: dict[str, Text] = {}
    code, by = request.args.get("code"), request.args.get("by", "quarter")
    if code is None or code not in CATALOGUE:
        errors["code"] = Text("Không có chỉ tiêu này.", "No such indicator code.")
    if by not in TREND_STEPS:
        errors["by"] = Text("by: month, quarter hoặc year.", "by must be month, quarter or year.")
    commune, village = _place()
    if errors or code is None:
        raise Problem("422.1", errors=errors)
    return indicator_trend(get_session(), commune, code, by=by, village=village,
                           h3_resolution=current_app.config["INDICATOR_H3_RESOLUTION"])


@bp.get("/targets")
def list_targets() -> ResponseReturnValue:
    user = _caller()
    db = get_session()
    if request.args.get("area") is not None:  # the targets stored at an area's own level
        found = area_for(db, user, request.args.get("area"))
        return {"targets": [target_service.target_json(t) for t in area_targets(db, found)]}
    commune = commune_for(db, user, request.args.get("commune"))
    return {"targets": [target_service.target_json(t)
                        for t in target_service.targets_for(db, commune.id)]}


@bp.post("/targets")
def create_target() -> ResponseReturnValue:
    api_user()
    body = json_body()
    if not isinstance(body, dict):
        raise Problem("422.1", errors={"body": Text("Cần một đối tượng JSON.", "Send a JSON object.")})
    target = run(target_changes.create_target, current_actor(), body.get("commune"), body)
    return target_service.target_json(target), 201


@bp.patch("/targets/<int:target_id>")
def update_target(target_id: int) -> ResponseReturnValue:
    api_user()
    target = run(target_changes.update_target, current_actor(), target_id, json_body())
    return target_service.target_json(target)


@bp.delete("/targets/<int:target_id>")
def delete_target(target_id: int) -> ResponseReturnValue:
    api_user()
    run(target_changes.delete_target, current_actor(), target_id)
    return "", 204
