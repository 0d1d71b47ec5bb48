"""What a commune's dashboard and printable report show, from the indicator rollups.

The counted households (accepted, consenting) are read as one summary from the indicator rollups
(surveys/indicators/rollups.py): the cost follows villages and months, not households. From it: the
indicator table (`indicator_table`), one indicator per village (the village's share of the summary),
its trend over survey periods (`indicator_trend`), and survey progress per village (households
surveyed against `Village.household_count`). The report adds its data sources and the coverage
hexagons of its map.
Takes a Session; never imports Flask, never commits. docs/dashboard.md explains every number.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from surveys.indicators.estimators import CATALOGUE, MIN_CELLS, MIN_VILLAGES
from surveys.indicators.report import (
    VIETNAM,
    Period,
    indicator_table,
    indicator_trend,
    measured_coverage,
    place_summary,
)
from surveys.indicators.results import Dashboard, IndicatorRow, IndicatorTable, Report, Sources
from surveys.indicators.rollups import COUNTED_OUT, Summary, estimate_summary
from surveys.indicators.targets import progress, status
from surveys.models import Commune, CoverageUpload, Measurement, Partner, Submission, Target, Village

DEFAULT_CODE = "hh_4g_home"


@dataclass(frozen=True)
class VillageValue:
    """One indicator in one village."""

    slug: str
    name: str
    lat: float | None
    lon: float | None
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    status: str | None
    gap: float | None = None  # points short of the commune's target in force (0 once reached)


@dataclass(frozen=True)
class VillageProgress:
    """Households surveyed (accepted, consenting) against the households the commune knows of."""

    slug: str
    name: str
    surveyed: int
    known: int | None
    percent: float | None  # None when the village's household count is unknown (or 0)


def _percent(part: int, whole: int | None) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def default_code(table: IndicatorTable) -> str:
    """The indicator a page shows first: the first one with a plan target, else 4G at home."""
    return next((r["code"] for r in table["indicators"] if r["target"] is not None), DEFAULT_CODE)


def _target_of(row: IndicatorRow) -> Target | None:
    """The table row's target in force as a (transient, never added) Target, for `status`."""
    if row["target"] is None and row["baseline"] is None:
        return None
    return Target(indicator=row["code"], comparator=row["comparator"], value=row["target"],
                  target_year=row["target_year"], baseline_value=row["baseline"],
                  baseline_year=row["baseline_year"], start_year=row.get("start_year"))


def village_values(session: Session, villages: list[Village], summary: Summary,
                   row: IndicatorRow, *, period: Period | None, today: date, minimum: int,
                   h3_resolution: int) -> list[VillageValue]:
    """The indicator of `row` per village, with its status against the commune's target: one
    estimate per village from its share of the summary (villages without data: None)."""
    indicator = CATALOGUE[row["code"]]
    sizes = {v.id: v.household_count for v in villages}
    measured = (measured_coverage(session, summary, period, h3_resolution)
                if indicator.kind == "area" else None)
    least = {"village": MIN_VILLAGES, "area": MIN_CELLS}.get(indicator.unit, minimum)
    target = _target_of(row)
    result = []
    for village in villages:
        group = summary.only(village.id)
        found = estimate_summary(indicator, group, sizes, h3_resolution=h3_resolution,
                                 measured=measured)
        result.append(VillageValue(
            village.slug, village.name, village.lat, village.lon, found.value, found.ci_low,
            found.ci_high, found.n,
            status(found, target, minimum=least, today=today) if group.households
            else "insufficient_data",
            progress(found, target if target and target.value is not None else None, today)["gap"]))
    return result


def survey_progress(villages: list[Village], summary: Summary
                    ) -> tuple[list[VillageProgress], VillageProgress]:
    """Per village and for the commune (its `known` only when every village has a count)."""
    surveyed: dict[int, int] = defaultdict(int)
    for (village, _cell), counts in summary.cells.items():
        surveyed[village] += counts[0]
    rows = [VillageProgress(v.slug, v.name, surveyed[v.id], v.household_count,
                            _percent(surveyed[v.id], v.household_count)) for v in villages]
    known = sum(v.household_count or 0 for v in villages) \
        if villages and all(v.household_count for v in villages) else None
    total = sum(surveyed.values())
    return rows, VillageProgress("", "", total, known, _percent(total, known))


def survey_span(session: Session, commune: Commune, period: Period | None
                ) -> tuple[datetime | None, datetime | None]:
    """First and last collection time of the counted household surveys (in the period)."""
    query = select(func.min(Submission.collected_at), func.max(Submission.collected_at)).where(
        Submission.commune_id == commune.id, Submission.survey == "household",
        Submission.review_status.not_in(COUNTED_OUT))
    if period is not None:
        query = query.where(Submission.collected_at >= period.start,
                            Submission.collected_at < period.end)
    first, last = session.execute(query).one()
    return first, last


def commune_dashboard(session: Session, commune: Commune, *, code: str | None,
                      period: Period | None, today: date, minimum: int, h3_resolution: int,
                      by: str = "quarter") -> Dashboard:
    """The dashboard's numbers. `code`: the indicator of the by-village and trend charts (None:
    `default_code`). `minimum`: INDICATOR_MIN_HOUSEHOLDS."""
    villages = list(session.scalars(select(Village).where(Village.commune_id == commune.id)
                                    .order_by(Village.name, Village.id)))
    summary = place_summary(session, commune.id, period=period, h3_resolution=h3_resolution)
    table = indicator_table(session, commune, period=period, today=today, minimum=minimum,
                            h3_resolution=h3_resolution, summary=summary, villages=villages)
    code = code if code in CATALOGUE else default_code(table)
    row = next(r for r in table["indicators"] if r["code"] == code)
    progress, total = survey_progress(villages, summary)
    first, last = survey_span(session, commune, period)
    return {
        "commune": commune, "period": period, "today": today, "table": table, "code": code,
        "row": row,
        "villages": village_values(session, villages, summary, row, period=period, today=today,
                                   minimum=minimum, h3_resolution=h3_resolution),
        "trend": indicator_trend(session, commune, code, by=by, village=None,
                                 h3_resolution=h3_resolution, villages=villages),
        "progress": progress, "progress_total": total,
        "first_survey": first, "last_survey": last,
    }


def partner_uploads(session: Session, commune: Commune, period: Period | None) -> Sources:
    """Partners' coverage uploads with measurements placed in the commune (in the period)."""
    placed = [Measurement.upload_id == CoverageUpload.id, Measurement.commune_id == commune.id]
    count = select(func.count()).select_from(Measurement).where(
        Measurement.commune_id == commune.id)
    if period is not None:
        window = [Measurement.measured_at >= period.start, Measurement.measured_at < period.end]
        placed += window
        count = count.where(*window)
    uploads = session.execute(select(CoverageUpload.id, Partner.name).join(Partner).where(
        exists().where(*placed)).order_by(Partner.name)).all()
    return {"uploads": len(uploads), "partners": sorted({name for _id, name in uploads}),
            "measurements": session.scalar(count) or 0}


def coverage_hexes(session: Session, commune: Commune, period: Period | None, *,
                   resolution: int = 8) -> list[dict[str, Any]]:
    """The report map's hexagons (surveys/coverage/hexes.py), for the period's months."""
    from surveys.coverage.hexes import commune_hexes

    if period is None:
        return commune_hexes(session, commune, resolution=resolution)
    return commune_hexes(session, commune, resolution=resolution,
                         first_period=period.months[0], last_period=period.months[1])


def commune_report(session: Session, commune: Commune, *, code: str | None, period: Period | None,
                   today: date, minimum: int, h3_resolution: int) -> Report:
    """The printable report: the dashboard's numbers, the targets alone, the data sources and
    the map's coverage hexagons."""
    dashboard = commune_dashboard(session, commune, code=code, period=period, today=today,
                                  minimum=minimum, h3_resolution=h3_resolution)
    return {**dashboard,
            "targets": [r for r in dashboard["table"]["indicators"]
                        if r["target"] is not None or r["baseline"] is not None],
            "sources": partner_uploads(session, commune, period),
            "hexes": coverage_hexes(session, commune, period, resolution=8)}


def local_date(when: datetime | None) -> date | None:
    return when.astimezone(VIETNAM).date() if when else None
