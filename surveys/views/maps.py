"""The coverage map of a commune: /communes/SLUG/map (Leaflet, static/js/map.js).

The page carries its settings, the commune's boundary and the survey points the reader may see as
JSON; hexagons and villages come from /api/v1/coverage/hexes and /api/v1/indicators/map.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, current_app, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from surveys.administration.access import commune_for
from surveys.collection.map_points import survey_points
from surveys.coverage.operators import OPERATORS
from surveys.db import get_session
from surveys.indicators import CATALOGUE
from surveys.places import vntime

bp = Blueprint("maps", __name__)

DEFAULT_INDICATOR = "hh_4g_home"


def recent_periods(today: date) -> list[str]:
    """The period choices: this and last year, the last four quarters, the last six months."""
    quarters, months = [], []
    year, quarter = today.year, (today.month - 1) // 3 + 1
    for _step in range(4):
        quarters.append(f"{year}-Q{quarter}")
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    year, month = today.year, today.month
    for _step in range(6):
        months.append(f"{year}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return [str(today.year), str(today.year - 1), *quarters, *months]


def _strings() -> dict[str, str]:
    """What map.js shows, in the page's language."""
    return {
        "best_technology": _("Best usable technology"), "signal_class": _("Signal class"),
        "median_download": _("Median download (Mbps)"), "no_usable": _("No usable coverage"),
        "no_data": _("No data"), "great": _("Great"), "good": _("Good"),
        "moderate": _("Moderate"), "poor": _("Poor"), "none": _("No signal"),
        "measurements": _("Measurements"), "estimated": _("Estimated from mast lists"),
        "households": _("Surveyed households"), "median_rsrp": _("Median RSRP (dBm)"),
        "median_upload": _("Median upload (Mbps)"), "operators": _("Operators"),
        "gap": _("Populated, no usable 4G/5G"), "villages": _("Villages"),
        "below_target": _("Below target"), "value": _("Value"), "interval": _("Interval (95%)"),
        "status": _("Status"), "target": _("Target"), "hexagons": _("Coverage hexagons"),
        "points": _("Survey points"), "boundary": _("Commune boundary"),
        "surveyed_on": _("Surveyed on"), "load_failed": _("The map data could not be loaded."),
        "not_disclosed": _("Not disclosed"), "cell": _("Cell"),
        "status_met": _("Met"), "status_on_track": _("On track"), "status_behind": _("Behind"),
        "status_insufficient_data": _("Insufficient data"), "status_baseline": _("Baseline"),
        "status_none": _("No target"), "legend": _("Legend"),
        "status_no_trajectory": _("No trajectory"),
        "status_unweighted": _("Unweighted, may be biased"),
        "gap_to_target": _("Gap to the target (points)"),
    }


def _page_data(commune: Any) -> dict[str, Any]:
    locale = str(get_locale())
    return {
        "locale": locale, "commune": commune.slug,
        "hexes_url": url_for("api_maps.hexes"), "villages_url": url_for("api_maps.indicators_map"),
        "tile_url": current_app.config["MAP_TILE_URL"] or "",
        "attribution": current_app.config["MAP_TILE_ATTRIBUTION"] or "",
        "boundary": commune.boundary,
        "villages": [{"slug": v.slug, "lat": v.lat, "lon": v.lon} for v in commune.villages
                     if v.lat is not None and v.lon is not None],
        "points": survey_points(get_session(), commune, current_user._get_current_object()),
        "strings": _strings(),
    }


@bp.get("/communes/<slug>/map")
@login_required
def commune_map(slug: str) -> ResponseReturnValue:
    commune = commune_for(get_session(), current_user._get_current_object(), slug)
    locale = str(get_locale())
    indicators = [(code, indicator.name.get(locale)) for code, indicator in CATALOGUE.items()]
    return render_template("maps/map.html", commune=commune, data=_page_data(commune),
                           indicators=indicators, default_indicator=DEFAULT_INDICATOR,
                           operators=[o for o in OPERATORS if o != "unknown"],
                           periods=recent_periods(vntime.today()))
