"""Open data of a commune: aggregated indicators and coverage hexagons, no personal data.

What is published (docs/open-data.md): aggregates of fixed, non-overlapping cells of one grid, so
that no two published figures can be subtracted to reveal a group smaller than the minimum:
- time: whole calendar quarters that have ended (Vietnam time), never a month, a year or "all
  data" (which overlap one another: all data minus October would be November);
- the commune's indicator table (value, 95 % interval, n, status, plan target) — suppressed as a
  whole when fewer than `minimum` households were surveyed in the commune;
- per village, the household and person indicators only for villages with at least `minimum`
  surveyed households. The others are listed as suppressed, without any number. When the
  suppressed villages together hold fewer than `minimum` households, the commune's figure minus
  the published villages would reveal them as a group, so the smallest published villages are
  suppressed too until the suppressed group reaches `minimum` (complementary suppression);
- coverage hexagons (H3) from `surveys.coverage.hexes.commune_hexes` with only aggregate fields and
  no household count (cells and villages overlap: a cell's count minus a village's would count the
  households of other villages in it): `surveyed` says whether at least `minimum` households were
  located there (then their reports shape `best_technology`). A cell with 1 to minimum−1 located
  households keeps its partner-measurement fields only, and a cell with nothing else to show is
  left out, so no household position is ever revealed.
Never: instance ids, usernames, answers, points, household codes.
Takes a Session; never imports Flask; never commits.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys.errors import Problem, Text
from surveys.indicators import CATALOGUE
from surveys.indicators.report import VIETNAM, Period, indicator_table, parse_period, place_summary
from surveys.indicators.results import IndicatorRow
from surveys.indicators.rollups import COUNTED_OUT, Summary, estimate_summary
from surveys.models import Commune, Submission, Village

HEX_RESOLUTION = 8
QUARTER = re.compile(r"[0-9]{4}-Q[1-4]")
VILLAGE_UNITS = ("household", "adult", "smartphone_user")  # village_4g and area need many places
HEX_FIELDS = ("h3", "n", "estimated", "surveyed", "best_technology", "signal_class",
              "median_rsrp_dbm", "median_download_mbps", "median_upload_mbps", "operators")
INDICATOR_FIELDS = ("code", "name", "unit", "value", "ci_low", "ci_high", "n", "status", "target",
                    "comparator", "target_year", "census", "unweighted", "gap", "points_per_year")


def suppressed_villages(counts: dict[int, int], minimum: int, *,
                        unassigned: int = 0) -> dict[int, str]:
    """village id → why it is suppressed: "fewer_households" (below the minimum) or
    "complementary" (published, the suppressed group could be worked out by subtraction).
    `unassigned`: the commune's households in no village, hidden with the suppressed group."""
    reasons = {v: "fewer_households" for v, n in counts.items() if n < minimum}
    hidden = unassigned + sum(counts[v] for v in reasons)
    published = sorted((n, v) for v, n in counts.items() if v not in reasons)
    while 0 < hidden < minimum and published:
        n, village = published.pop(0)
        reasons[village] = "complementary"
        hidden += n
    return reasons


def _indicators(rows: list[IndicatorRow], suppressed: bool) -> list[dict[str, Any]]:
    result = []
    for row in rows:
        item = {key: row.get(key) for key in INDICATOR_FIELDS}
        if suppressed:
            item.update(value=None, ci_low=None, ci_high=None, n=None, status="suppressed",
                        gap=None, points_per_year=None)
        result.append(item)
    return result


def _village_indicators(summary: Summary, sizes: dict[int, int | None],
                        resolution: int) -> list[dict[str, Any]]:
    result = []
    for indicator in CATALOGUE.values():
        if indicator.unit not in VILLAGE_UNITS:
            continue
        found = estimate_summary(indicator, summary, sizes, h3_resolution=resolution)
        result.append({"code": indicator.code, "value": found.value, "ci_low": found.ci_low,
                       "ci_high": found.ci_high, "n": found.n, "unweighted": found.unweighted})
    return result


def open_hexes(session: Session, commune: Commune, *, minimum: int, period: Period | None,
               resolution: int = HEX_RESOLUTION) -> list[dict[str, Any]]:
    from surveys.coverage.hexes import commune_hexes
    first, last = period.months if period else (None, None)
    cells = []
    for cell in commune_hexes(session, commune, resolution=resolution, first_period=first,
                              last_period=last, min_households=minimum):
        item = {key: cell.get(key) for key in HEX_FIELDS}
        item["surveyed"] = (cell.get("households") or 0) >= minimum
        if not item["surveyed"] and not (item.get("n") or item.get("estimated")):
            continue  # nothing but a few households there: the cell itself would tell
        cells.append(item)
    return cells


def open_commune(session: Session, commune: Commune, *, minimum: int, indicator_minimum: int,
                 h3_resolution: int, today: date, period: Period | None = None,
                 with_hexes: bool = True) -> dict[str, Any]:
    # One summary from the indicator rollups for the commune and each village: a public page
    # must not read every household at each request.
    summary = place_summary(session, commune.id, period=period, h3_resolution=h3_resolution)
    table = indicator_table(session, commune, period=period, today=today,
                            minimum=indicator_minimum, h3_resolution=h3_resolution, summary=summary)
    commune_suppressed = summary.households < minimum
    villages = list(session.scalars(select(Village).where(Village.commune_id == commune.id)
                                    .order_by(Village.name)))
    sizes = {v.id: v.household_count for v in villages}
    by_village = {v.id: summary.only(v.id) for v in villages}
    counts = {v: s.households for v, s in by_village.items()}
    reasons = suppressed_villages(counts, minimum,
                                  unassigned=max(0, summary.households - sum(counts.values())))
    village_items = []
    for village in villages:
        item: dict[str, Any] = {"slug": village.slug, "name": village.name}
        if village.id in reasons or commune_suppressed:
            item.update(suppressed=True, reason=reasons.get(village.id, "fewer_households"))
        else:
            group = by_village[village.id]
            item.update(suppressed=False, households=group.households,
                        indicators=_village_indicators(group, sizes, h3_resolution))
        village_items.append(item)
    return {
        "commune": {"slug": commune.slug, "name": commune.name, "province": commune.province},
        "period": period.label if period else None,
        "minimum_households": minimum,
        "suppressed": commune_suppressed,
        "households": None if commune_suppressed else summary.households,
        "indicators": _indicators(table["indicators"], commune_suppressed),
        "villages": village_items,
        "hexes": {"resolution": HEX_RESOLUTION,
                  "cells": open_hexes(session, commune, minimum=minimum, period=period)
                  if with_hexes else []},
    }


def quarter_of(moment: datetime) -> str:
    local = moment.astimezone(VIETNAM)
    return f"{local.year}-Q{(local.month - 1) // 3 + 1}"


def open_period(session: Session, commune: Commune, text: str | None, *, now: datetime) -> Period:
    """The quarter asked for (`2026-Q2`), which must have ended; without one, the latest ended
    quarter with counted households (else the last ended quarter). Months, years and quarters not
    yet over are refused (422): they would overlap the published quarters."""
    current = quarter_of(now)
    current_period = parse_period(current)
    assert current_period is not None  # quarter_of gives a well-formed quarter
    if text:
        period = parse_period(text)
        if period is None or not QUARTER.fullmatch(period.label) or period.end > now:
            raise Problem("422.1", errors={"period": Text(
                "Dữ liệu mở chỉ công bố theo quý đã kết thúc, ví dụ {q}.",
                "Open data is published by quarters that have ended, e.g. {q}.").format(
                q=quarter_of(current_period.start - timedelta(days=1)))})
        return period
    current_start = current_period.start
    latest = session.scalar(select(func.max(Submission.collected_at)).where(
        Submission.commune_id == commune.id, Submission.survey == "household",
        Submission.review_status.not_in(COUNTED_OUT), Submission.collected_at < current_start))
    found = parse_period(quarter_of(latest or current_start - timedelta(days=1)))
    assert found is not None
    return found


def map_shapes(boundary: dict[str, Any] | None, cells: list[dict[str, Any]], *,
               width: float = 600.0) -> dict[str, Any] | None:
    """Boundary rings and hexagons projected to SVG coordinates (equirectangular, north up),
    for a small server-drawn map; None when there is nothing to draw."""
    import h3

    rings: list[list[tuple[float, float]]] = []
    if boundary:
        polygons = (boundary["coordinates"] if boundary.get("type") == "MultiPolygon"
                    else [boundary.get("coordinates", [])])
        rings = [[(lon, lat) for lon, lat, *_ in ring] for polygon in polygons for ring in polygon]
    hexes = [(cell, [(lon, lat) for lat, lon in h3.cell_to_boundary(cell["h3"])]) for cell in cells]
    points = [p for ring in rings for p in ring] + [p for _c, ring in hexes for p in ring]
    if not points:
        return None
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    squeeze = math.cos(math.radians((south + north) / 2))
    span_x, span_y = max((east - west) * squeeze, 1e-9), max(north - south, 1e-9)
    scale = width / span_x
    height = span_y * scale

    def path(ring: list[tuple[float, float]]) -> str:
        return " ".join(f"{(lon - west) * squeeze * scale:.1f},{(north - lat) * scale:.1f}"
                        for lon, lat in ring)

    return {"width": round(width), "height": max(1, round(height)),
            "boundary": [path(ring) for ring in rings],
            "hexes": [{"points": path(ring), "cell": cell} for cell, ring in hexes]}
