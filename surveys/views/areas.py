"""The pages of a province or group of communes: /areas/SLUG (dashboard), /areas/SLUG/map,
/areas/SLUG/report (A4) and /areas/SLUG/report.xlsx. A commune's slug leads to its own pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from surveys.administration.access import area_for, writes_area
from surveys.db import get_session
from surveys.indicators import CATALOGUE, charts
from surveys.indicators.area_xlsx import render_area_xlsx
from surveys.indicators.areas import area_dashboard
from surveys.indicators.report import parse_period
from surveys.indicators.results import AreaDashboard
from surveys.places import vntime
from surveys.places.areas import Area, parent_of
from surveys.views.area_charts import ranking_chart
from surveys.views.dashboard import (
    XLSX,
    _cards,
    caveat_text,
    method_notes,
    progress_text,
    sample_text,
    status_labels,
    target_text,
    value_text,
)

bp = Blueprint("areas", __name__)


def _area(slug: str) -> Area:
    return area_for(get_session(), current_user._get_current_object(), slug)


def _context(found: Area) -> AreaDashboard:
    """Parse the request and build the numbers every page of an area starts with."""
    code = request.args.get("code")
    data = area_dashboard(get_session(), found, code=code if code in CATALOGUE else None,
                          period=parse_period(request.args.get("period")), today=vntime.today(),
                          minimum=current_app.config["INDICATOR_MIN_HOUSEHOLDS"],
                          h3_resolution=current_app.config["INDICATOR_H3_RESOLUTION"])
    data["lang"] = "en" if str(get_locale()) == "en" else "vi"
    data["parent"] = parent_of(get_session(), found)
    data["level_label"] = level_labels()[found.level]
    return data


def level_labels() -> dict[str, str]:
    return {"province": _("Province"), "group": _("Group of communes"), "commune": _("Commune")}


def _helpers() -> dict[str, Any]:
    return {"status_labels": status_labels(), "value_text": value_text,
            "sample_text": sample_text, "target_text": target_text, "catalogue": CATALOGUE,
            "format_decimal": format_decimal, "caveat_text": caveat_text,
            "progress_text": progress_text}


@bp.route("/areas/<slug>")
@login_required
def dashboard(slug: str) -> ResponseReturnValue:
    found = _area(slug)
    if found.level == "commune":
        return redirect(url_for("dashboard.dashboard", slug=found.slug))
    data = _context(found)
    return render_template("areas/dashboard.html", **data, cards=_cards(data),
                           can_edit=writes_area(current_user._get_current_object(), found),
                           ranking_chart=ranking_chart(data), status_colours=charts.STATUS_COLOURS,
                           **_helpers())


@bp.route("/areas/<slug>/map")
@login_required
def area_map(slug: str) -> ResponseReturnValue:
    found = _area(slug)
    if found.level == "commune":
        return redirect(url_for("maps.commune_map", slug=found.slug))
    lang = "en" if str(get_locale()) == "en" else "vi"
    # The communes' outlines come from their own cacheable route, not inside every page.
    page = {"area": found.slug, "level": found.level,
            "boundaries_url": url_for("api_areas.boundaries", slug=found.slug),
            "ranking_url": url_for("api_areas.communes_ranking"),
            "hexes_url": url_for("api_maps.hexes"),
            "tile_url": current_app.config["MAP_TILE_URL"] or "",
            "attribution": current_app.config["MAP_TILE_ATTRIBUTION"] or "",
            "labels": {"noData": _("No data"), "households": _("Households"),
                       "loading": _("Loading…"), "failed": _("The map data could not be loaded."),
                       "zoomHint": _("Zoom in to see coverage hexagons.")},
            "statusLabels": {k or "none": v for k, v in status_labels().items()}}
    indicators = [(code, indicator.name.get(lang)) for code, indicator in CATALOGUE.items()]
    return render_template("areas/map.html", area=found, data=page, indicators=indicators,
                           default_indicator=request.args.get("code") or "hh_4g_home")


@bp.route("/areas/<slug>/report")
@login_required
def report(slug: str) -> ResponseReturnValue:
    found = _area(slug)
    if found.level == "commune":
        return redirect(url_for("dashboard.report", slug=found.slug))
    data = _context(found)
    return render_template("areas/report.html", **data, **_helpers(),
                           notes=method_notes(current_app.config["INDICATOR_MIN_HOUSEHOLDS"]))


@bp.route("/areas/<slug>/report.xlsx")
@login_required
def report_xlsx(slug: str) -> ResponseReturnValue:
    found = _area(slug)
    data = _context(found)
    body = render_area_xlsx(data, data["lang"], status_labels())
    period = f"-{data['period'].label}" if data["period"] else ""
    name = f"bao-cao-{found.slug}{period}-{data['today'].isoformat()}.xlsx"
    return Response(body, mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
