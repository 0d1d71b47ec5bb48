"""A commune's dashboard and printable report: /communes/SLUG/dashboard, /report, /report.xlsx."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import h3
from flask import Blueprint, Response, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import format_date, format_decimal, get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from surveys.administration.access import commune_for
from surveys.db import get_session
from surveys.indicators import CATALOGUE, charts
from surveys.indicators.dashboard import commune_dashboard, commune_report, local_date
from surveys.indicators.report import parse_period
from surveys.indicators.report_xlsx import render_report_xlsx
from surveys.indicators.results import AreaDashboard, Dashboard, Report
from surveys.indicators.targets import FULL_TARGET_TOLERANCE
from surveys.places import vntime

bp = Blueprint("dashboard", __name__)
D = TypeVar("D", bound=Dashboard)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def status_labels() -> dict[str | None, str]:
    return {"met": _("Met"), "on_track": _("On track"), "behind": _("Behind"),
            "no_trajectory": _("No trajectory"), "unweighted": _("Unweighted, may be biased"),
            "insufficient_data": _("Insufficient data"), "baseline": _("Baseline only"),
            None: _("No target")}


def points_text(value: float) -> str:
    return format_decimal(value, format="#,##0.#")


def progress_text(row: Mapping[str, Any]) -> str:
    """Next to a status: the gap to the target and its year, and the points a year still needed
    ("Còn 82,5 điểm đến 95 % năm 2030 — 16,5 điểm/năm"); why a 100 % target counts as met."""
    if row.get("target") is None or row.get("gap") is None:
        return ""
    year = row["target_year"]
    if (row["status"] == "met" and row["target"] >= 100 and not row.get("census")
            and row.get("ci_low_one_sided") is not None and (row.get("ci_low") or 0) < 100):
        return _("No exception found — one-sided lower bound %(low)s (target %(target)s by "
                 "%(year)s)", low=percent(row["ci_low_one_sided"]),
                 target=target_percent(row["target"]), year=year)
    if row["gap"] == 0 and row["status"] == "met":
        return _("Target %(target)s by %(year)s: met", target=target_percent(row["target"]),
                 year=year)
    if row["gap"] == 0:
        return _("Value at or above %(target)s (by %(year)s), not yet confirmed by its interval",
                 target=target_percent(row["target"]), year=year)
    if row["points_per_year"] is None:
        return _("%(gap)s points short of %(target)s; its year %(year)s has passed",
                 gap=points_text(row["gap"]), target=target_percent(row["target"]), year=year)
    return _("%(gap)s points short of %(target)s by %(year)s — %(per_year)s points a year needed",
             gap=points_text(row["gap"]), target=target_percent(row["target"]), year=year,
             per_year=points_text(row["points_per_year"]))


def caveat_text(row: Mapping[str, Any]) -> str:
    """What kind of number it is, when that matters: a census, or an unweighted pooled value."""
    if row.get("census"):
        return _("Census of every unit assessed: no sampling interval")
    if row.get("unweighted"):
        return _("Unweighted: the villages' household counts are missing, so this value may be "
                 "biased")
    return ""


def technology_labels() -> dict[str | None, str]:
    return {"5g": "5G", "4g": "4G", "3g": "3G", "2g": "2G", None: _("No usable mobile signal")}


def percent(value: float, number: str = "#,##0.0") -> str:
    """62.4 → "62,4 %" (Vietnamese) or "62.4 %" (English); `number`: the Babel pattern."""
    return f"{format_decimal(value, format=number)} %"


def target_percent(value: float) -> str:
    """A plan's figure as the plan writes it: 97 → "97 %", 62.5 → "62,5 %"."""
    return percent(value, "#,##0.#")


def value_text(value: float | None, low: float | None, high: float | None) -> str:
    """"62,4 % (55,1–69,2)"; a dash without a value."""
    if value is None:
        return "—"
    if low is None or high is None:
        return percent(value)
    number = "#,##0.0"
    return f"{percent(value)} ({format_decimal(low, format=number)}–{format_decimal(high, format=number)})"


def sample_text(unit: str, n: int) -> str:
    if unit == "village":
        return ngettext("n = %(num)s village", "n = %(num)s villages", n)
    if unit == "area":
        return ngettext("n = %(num)s populated cell", "n = %(num)s populated cells", n)
    return ngettext("n = %(num)s household", "n = %(num)s households", n)


def target_text(row: Mapping[str, Any], *, short: bool = False) -> str:
    """"Target ≥ 97 % by 2030" on a card; "≥ 97 % by 2030" (`short`) under a Target heading."""
    if row["target"] is not None:
        words = {"comparator": {">=": "≥", "=": "="}.get(row["comparator"], ">"),
                 "value": target_percent(row["target"]), "year": row["target_year"]}
        if short:
            return _("%(comparator)s %(value)s by %(year)s", **words)
        return _("Target %(comparator)s %(value)s by %(year)s", **words)
    if row["baseline"] is not None:
        return _("Baseline %(value)s in %(year)s", value=target_percent(row["baseline"]),
                 year=row["baseline_year"])
    return _("No target in the plan")


def method_notes(minimum: int) -> list[str]:
    """The method in a few sentences (docs/indicators.md in full), in the reader's language."""
    return [
        _("Indicators are computed from accepted household surveys of households that agreed to "
          "answer; rejected surveys and refusals are left out."),
        _("Each household of a village weighs the village's household count divided by the "
          "households surveyed there (stratified by village); without household counts the plain "
          "share is used."),
        _("Intervals are %(level)s confidence intervals: Wilson's score interval on the survey's "
          "effective sample size, with Student's t on households minus villages degrees of "
          "freedom; for shares of people the household is the cluster, as people of one household "
          "are not independent. Villages with 4G and populated area are counts of every unit "
          "assessed (a census): no interval.", level="95 %"),
        _("With fewer than %(n)s households (3 villages, 10 populated H3 cells) no status is "
          "claimed: the number is shown with its interval.", n=minimum),
        _("Status: met when the whole interval reaches the target (a 100%% target: no exception "
          "found and a one-sided lower bound of at least %(tolerance)s; a census: the count "
          "itself); behind when even its upper bound is below where the plan should be today (the "
          "straight line from the baseline to the target, or the target once its year has come); "
          "on track when it is on that line; no trajectory when the plan gives no baseline: the "
          "gap and the points a year still needed are shown instead. A commune value without the "
          "villages' household counts is unweighted, may be biased, and claims no status.",
          tolerance=target_percent(FULL_TARGET_TOLERANCE)),
        _("Map: H3 cells (resolution 8, about 0.74 km²) coloured by the best technology usable "
          "there, from partners' measurements or, where most surveyed households report it, from "
          "the households; villages coloured by the status of the chosen indicator."),
    ]


def _context(slug: str, builder: Callable[..., D]) -> D:
    """Parse the request, check access, build the numbers: what every page here starts with."""
    db = get_session()
    commune = commune_for(db, current_user._get_current_object(), slug)
    period = parse_period(request.args.get("period"))
    code = request.args.get("code")
    data = builder(db, commune, code=code if code in CATALOGUE else None, period=period,
                   today=vntime.today(), minimum=current_app.config["INDICATOR_MIN_HOUSEHOLDS"],
                   h3_resolution=current_app.config["INDICATOR_H3_RESOLUTION"])
    data["lang"] = "en" if str(get_locale()) == "en" else "vi"
    return data


def period_choices(data: Dashboard) -> list[str]:
    """Years and quarters with surveys (the trend's quarters), newest first, plus the one asked."""
    quarters = [p["period"] for p in data["trend"]["points"]]
    choices = sorted({q[:4] for q in quarters} | set(quarters), reverse=True)
    if data["period"] is not None and data["period"].label not in choices:
        choices.insert(0, data["period"].label)
    return choices


def _charts(data: Dashboard) -> dict[str, str]:
    row, lang = data["row"], data["lang"]
    name = row["name"][lang]
    target_label = "" if row["target"] is None else _("Target %(value)s",
                                                      value=target_percent(row["target"]))
    labels = status_labels()
    bars = [charts.Bar(v.name, v.value, v.ci_low, v.ci_high, v.status,
                       f"{sample_text(CATALOGUE[row['code']].unit, v.n)}, {labels[v.status]}"
                       + (", " + _("%(gap)s points short of the target (%(year)s)",
                                   gap=points_text(v.gap), year=row["target_year"]) if v.gap else ""))
            for v in data["villages"]]
    points = [charts.Point(vntime.format_period(p["period"], lang), p["value"], p["ci_low"], p["ci_high"],
                           sample_text(CATALOGUE[row["code"]].unit, p["n"]))
              for p in data["trend"]["points"]]
    return {
        "bars": charts.village_bars(bars, title=_("%(indicator)s by village", indicator=name),
                                    target=row["target"], target_label=target_label,
                                    percent=percent),
        "trend": charts.trend_chart(points, title=_("%(indicator)s by survey quarter",
                                                    indicator=name),
                                    target=row["target"], target_label=target_label,
                                    percent=percent),
    }


def _cards(data: Dashboard | AreaDashboard) -> list[dict[str, Any]]:
    lang, labels = data["lang"], status_labels()
    cards = []
    for row in data["table"]["indicators"]:
        name = row["name"][lang]
        value = value_text(row["value"], row["ci_low"], row["ci_high"])
        cards.append({
            "row": row, "name": name, "value": value,
            "sample": sample_text(CATALOGUE[row["code"]].unit, row["n"]),
            "target": target_text(row), "status": row["status"], "status_label": labels[row["status"]],
            "progress": progress_text(row), "caveat": caveat_text(row),
            "bar": charts.progress_bar(
                row["value"], title=f"{name}: {value}; {target_text(row)}; {labels[row['status']]}",
                target=row["target"], low=row["ci_low"], high=row["ci_high"], status=row["status"]),
        })
    return cards


def _progress_bars(data: Dashboard) -> dict[str, str]:
    return {p.slug: charts.progress_bar(p.percent, title=_("%(village)s: %(surveyed)s of %(known)s "
                                                           "households surveyed", village=p.name or
                                                           data["commune"].name,
                                                           surveyed=p.surveyed,
                                                           known=p.known if p.known is not None
                                                           else "?"))
            for p in [*data["progress"], data["progress_total"]]}


@bp.route("/communes/<slug>/dashboard")
@login_required
def dashboard(slug: str) -> ResponseReturnValue:
    data = _context(slug, commune_dashboard)
    return render_template("dashboard/dashboard.html", **data, cards=_cards(data),
                           charts=_charts(data), progress_bars=_progress_bars(data),
                           periods=period_choices(data), catalogue=CATALOGUE,
                           status_labels=status_labels(), status_colours=charts.STATUS_COLOURS,
                           percent=percent, value_text=value_text, progress_text=progress_text,
                           local_date=local_date, format_date=format_date)


def _map(data: Report) -> str:
    labels, lang = status_labels(), data["lang"]
    places = [charts.MapPlace(v.name, v.lat, v.lon, v.status,
                              f"{value_text(v.value, v.ci_low, v.ci_high)}, {labels[v.status]}")
              for v in data["villages"] if v.lat is not None and v.lon is not None]
    technologies = technology_labels()
    hexes = [charts.MapHex(h3.cell_to_boundary(cell["h3"]), cell["best_technology"],
                           technologies.get(cell["best_technology"], cell["best_technology"] or ""))
             for cell in data["hexes"]]
    return charts.commune_map(data["commune"].boundary, places, hexes, title=_(
        "Map of %(commune)s: coverage and %(indicator)s by village", commune=data["commune"].name,
        indicator=data["row"]["name"][lang]))


@bp.route("/communes/<slug>/report")
@login_required
def report(slug: str) -> ResponseReturnValue:
    data = _context(slug, commune_report)
    return render_template("dashboard/report.html", **data, map_svg=_map(data),
                           notes=method_notes(current_app.config["INDICATOR_MIN_HOUSEHOLDS"]),
                           periods=period_choices(data), catalogue=CATALOGUE,
                           status_labels=status_labels(), technology_labels=technology_labels(),
                           status_colours=charts.STATUS_COLOURS,
                           technology_colours=charts.TECHNOLOGY_COLOURS, percent=percent,
                           value_text=value_text, sample_text=sample_text, target_text=target_text,
                           progress_text=progress_text, caveat_text=caveat_text,
                           local_date=local_date, format_date=format_date)


@bp.route("/communes/<slug>/report.xlsx")
@login_required
def report_xlsx(slug: str) -> ResponseReturnValue:
    data = _context(slug, commune_report)
    body = render_report_xlsx(data, data["lang"],
                              method_notes(current_app.config["INDICATOR_MIN_HOUSEHOLDS"]))
    period = f"-{data['period'].label}" if data["period"] else ""
    name = f"bao-cao-{slug}{period}-{data['today'].isoformat()}.xlsx"
    return Response(body, mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
