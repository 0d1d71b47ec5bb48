"""Indicators of a province or a group of communes, and the ranking of its communes.

The same estimators as a commune's, stratified over every village of every commune of the area that
has a household count: the area's summary is the sum of its communes' rollups (village ids are
unique, so strata never mix), and the area indicators pool the populated H3 cells of the whole area,
each cell once. `households_share`: how much of the area's known households (villages with a
household count) the surveyed villages hold. Communes without counted households are named.
Statuses are against the targets stored at the area's own level (a group's targets for a group, a
province's for a province). The ranking (`commune_ranking`) estimates one indicator per commune from
its share of the area's summary, with its status against the area's target in force (the commune's
own target when the area has none for that indicator).
Takes a Session; never imports Flask, never commits. docs/areas.md explains every number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.coverage.collector import collector_paused
from surveys.indicators import summary_cache
from surveys.indicators.dashboard import default_code
from surveys.indicators.estimators import CATALOGUE, MIN_CELLS, MIN_VILLAGES, Estimate
from surveys.indicators.report import (
    Period,
    current_target,
    indicator_row,
    load_households,
    measured_coverage,
)
from surveys.indicators.results import AreaDashboard, AreaIndicatorTable, IndicatorRow
from surveys.indicators.rollup_reads import merged
from surveys.indicators.rollups import BASE_RESOLUTION, Summary, estimate_summary
from surveys.indicators.rollups import summarize as summarize_households
from surveys.indicators.targets import status
from surveys.models import Commune, Target, Village
from surveys.places.areas import Area, communes_of


class VillageSize(NamedTuple):
    """A village as the area's estimators need it (plain columns: an area holds thousands)."""

    id: int
    commune_id: int
    household_count: int | None


@dataclass(frozen=True)
class AreaData:
    """What every area computation starts from: the communes, their villages and each commune's
    summary, with what is derived from them worked out once (a province has ~2,000 villages)."""

    area: Area
    communes: list[Commune]
    villages: list[VillageSize]
    by_commune: dict[int, Summary]  # commune id → its villages' summary (kept ones: read-only)

    @cached_property
    def summary(self) -> Summary:
        return merged(self.by_commune.values())

    @cached_property
    def sizes(self) -> dict[int, int | None]:
        return {v.id: v.household_count for v in self.villages}

    @cached_property
    def surveyed_villages(self) -> frozenset[int]:
        return frozenset(self.summary.villages)

    def commune_summary(self, commune_id: int) -> Summary:
        return self.by_commune.get(commune_id) or Summary()


def area_data(session: Session, area: Area, *, period: Period | None, h3_resolution: int,
              codes: list[str] | None = None) -> AreaData:
    """`codes`: only these indicators' moments are needed (None: all); the cells are always
    read. At the rollups' resolution each commune's summary comes from what this process kept
    of it while its rollups are unchanged (surveys/indicators/summary_cache.py)."""
    communes = communes_of(session, area)
    ids = [c.id for c in communes]
    villages = [VillageSize(*row) for row in session.execute(
        select(Village.id, Village.commune_id, Village.household_count)
        .where(Village.commune_id.in_(ids))
        .order_by(Village.commune_id, Village.name, Village.id))] if ids else []
    if h3_resolution != BASE_RESOLUTION:
        parts = {c: summarize_households(load_households(session, c, period=period), h3_resolution)
                 for c in ids}
    else:
        first, last = period.months if period else (None, None)
        parts = summary_cache.commune_summaries(session, ids, first_month=first, last_month=last,
                                                codes=codes)
    return AreaData(area, communes, villages, parts)


def area_targets(session: Session, area: Area) -> list[Target]:
    """The targets stored at the area's own level."""
    column = {"province": Target.province_id, "group": Target.group_id,
              "commune": Target.commune_id}[area.level]
    return list(session.scalars(select(Target).where(column == area.id)
                                .order_by(Target.indicator, Target.target_year, Target.id)))


def households_share(data: AreaData) -> float | None:
    """Share (%) of the area's known households held by the surveyed villages."""
    known = {v.id: v.household_count for v in data.villages if v.household_count}
    if not known:
        return None
    surveyed = sum(n for v, n in known.items() if v in data.surveyed_villages)
    return round(100 * surveyed / sum(known.values()), 2) if surveyed else None


@collector_paused()  # thousands of villages' summaries: no full collection midway
def area_indicator_table(session: Session, area: Area, *, period: Period | None, today: date,
                         minimum: int, h3_resolution: int,
                         data: AreaData | None = None) -> AreaIndicatorTable:
    """The area's indicator table: the fields of a commune's (`report.indicator_table`), plus
    `area`, `level`, `communes_with_data`, `communes_without_data` and `households_share`."""
    data = data or area_data(session, area, period=period, h3_resolution=h3_resolution)
    share = households_share(data)
    targets: dict[str, list[Target]] = {}
    for target in area_targets(session, area):
        targets.setdefault(target.indicator, []).append(target)
    measured = measured_coverage(session, data.summary, period, h3_resolution)
    rows: list[IndicatorRow] = []
    for indicator in CATALOGUE.values():
        result = estimate_summary(indicator, data.summary, data.sizes,
                                  h3_resolution=h3_resolution, measured=measured)
        found = targets.get(indicator.code, [])
        rows.append(indicator_row(indicator.code, result, current_target(found, today), share, today,
                         minimum, found))
    surveyed_communes = {v.commune_id for v in data.villages if v.id in data.surveyed_villages}
    return {
        "area": area.slug, "level": area.level, "name": area.name,
        "commune": area.slug if area.level == "commune" else None, "village": None,
        "period": period.label if period else None, "households": data.summary.households,
        "households_share": share, "communes": len(data.communes),
        "communes_with_data": [c.slug for c in data.communes if c.id in surveyed_communes],
        "communes_without_data": [{"slug": c.slug, "name": c.name} for c in data.communes
                                  if c.id not in surveyed_communes],
        "indicators": rows}


@dataclass(frozen=True)
class CommuneValue:
    """One indicator in one commune of an area, with the commune's survey progress."""

    slug: str
    name: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    status: str | None
    surveyed: int  # counted households
    known: int | None  # households the commune's villages count (None: some village has none)

    @property
    def progress(self) -> float | None:
        return round(100 * self.surveyed / self.known, 1) if self.known else None

    def as_json(self) -> dict[str, Any]:
        return {"slug": self.slug, "name": self.name, "value": self.value,
                "ci_low": self.ci_low, "ci_high": self.ci_high, "n": self.n,
                "status": self.status}


def _target_in_force(targets: list[Target], code: str, today: date) -> Target | None:
    return current_target([t for t in targets if t.indicator == code], today)


@collector_paused()  # thousands of villages' summaries: no full collection midway
def commune_ranking(session: Session, area: Area, code: str, *, period: Period | None,
                    today: date, minimum: int, h3_resolution: int,
                    data: AreaData | None = None) -> list[CommuneValue]:
    """One row per commune of the area, best first (communes without data last, by name)."""
    data = data or area_data(session, area, period=period, h3_resolution=h3_resolution,
                             codes=[code])
    indicator = CATALOGUE[code]
    least = {"village": MIN_VILLAGES, "area": MIN_CELLS}.get(indicator.unit, minimum)
    area_target = _target_in_force(area_targets(session, area), code, today)
    own: dict[int, list[Target]] = {}
    if area_target is None:
        for target in session.scalars(select(Target).where(
                Target.commune_id.in_([c.id for c in data.communes]), Target.indicator == code)):
            own.setdefault(target.commune_id or 0, []).append(target)
    measured = (measured_coverage(session, data.summary, period, h3_resolution)
                if indicator.kind == "area" else None)
    villages_of: dict[int, list[VillageSize]] = {}
    for village in data.villages:
        villages_of.setdefault(village.commune_id, []).append(village)
    rows = []
    for commune in data.communes:
        part = data.commune_summary(commune.id)
        villages = villages_of.get(commune.id, [])
        found: Estimate = estimate_summary(indicator, part, data.sizes,
                                           h3_resolution=h3_resolution, measured=measured)
        in_force = area_target or current_target(own.get(commune.id, []), today)
        known = (sum(v.household_count or 0 for v in villages)
                 if villages and all(v.household_count for v in villages) else None)
        rows.append(CommuneValue(
            commune.slug, commune.name, found.value, found.ci_low, found.ci_high, found.n,
            status(found, in_force, minimum=least, today=today) if part.households
            else "insufficient_data", part.households, known))
    return sorted(rows, key=lambda r: (r.value is None, -(r.value or 0), r.name))


def behind_target(rows: list[CommuneValue]) -> list[CommuneValue]:
    return [r for r in rows if r.status == "behind"]


@collector_paused()  # thousands of villages' summaries: no full collection midway
def area_dashboard(session: Session, area: Area, *, code: str | None, period: Period | None,
                   today: date, minimum: int, h3_resolution: int) -> AreaDashboard:
    """What an area's dashboard, report and spreadsheet show: the indicator table, the ranking of
    its communes for one indicator (`code`; None: the first with a target at the area's level, else
    4G at home), the communes behind target and the survey progress of the whole area."""
    data = area_data(session, area, period=period, h3_resolution=h3_resolution)
    table = area_indicator_table(session, area, period=period, today=today, minimum=minimum,
                                 h3_resolution=h3_resolution, data=data)
    code = code if code in CATALOGUE else default_code(table)
    ranking = commune_ranking(session, area, code, period=period, today=today, minimum=minimum,
                              h3_resolution=h3_resolution, data=data)
    known = sum(v.household_count or 0 for v in data.villages)
    return {"area": area, "period": period, "today": today, "table": table, "code": code,
            "row": next(r for r in table["indicators"] if r["code"] == code),
            "ranking": ranking, "behind": behind_target(ranking),
            "surveyed": data.summary.households, "known": known or None,
            "targets": [r for r in table["indicators"]
                        if r["target"] is not None or r["baseline"] is not None]}
