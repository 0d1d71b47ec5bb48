"""Indicator rollups: what the estimators need, per village and month, so that indicator tables,
trends and maps read a few rows per village and month instead of every household.

Every household indicator is a stratified ratio whose estimate and variance follow from per-village
moments (n, Σy, Σx, Σy², Σx², Σxy, n with x > 0: surveys/indicators/estimators.py); moments add up, so a
period's are the sum of its months'. The village and area indicators need, per H3 cell, the
households and how many have 4G-or-better and 5G at home; counts at resolution 8 sum exactly to
any coarser cell. Both are kept in step with the submissions incrementally: storing, reviewing,
correcting or locating a household adds its contribution and subtracts the one it replaces (`apply`,
in the same transaction), so the cost of one household is a few rows however many are stored, and
`rebuild` (`flask --app app indicators rebuild`) recomputes everything to the same numbers
(docs/indicators.md, "How the rollups stay exact").
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, insert, select, text, tuple_
from sqlalchemy.orm import Session

from surveys.db import driver_marker
from surveys.indicators import household_hexes
from surveys.indicators.estimators import (
    CATALOGUE,
    NO_CELL,
    Estimate,
    Household,
    Indicator,
    Moments,
    add_moments,
    cell_counts,
    estimate_area_from_counts,
    estimate_from_moments,
    estimate_villages_from_counts,
)
from surveys.models import (
    Commune,
    HouseholdCell,
    HouseholdCellTotal,
    HouseholdHexCount,
    IndicatorMoments,
    IndicatorMomentTotal,
    Submission,
)
from surveys.places.months import month_of

# Households are counted per H3 cell of resolution 8 (about 0.74 km²): a village's households fall
# in a handful of cells, so the rows follow villages and months, not households. Area indicators at
# a finer INDICATOR_H3_RESOLUTION are computed from the households instead (indicator_report).
BASE_RESOLUTION = 8
COUNTED_OUT = ("rejected", "superseded")
RATIO_CODES = tuple(code for code, i in CATALOGUE.items() if i.kind in ("proportion", "ratio"))
MOMENT_COLUMNS = ("count", "sum_y", "sum_x", "sum_yy", "sum_xx", "sum_xy", "positive")
CELL_COLUMNS = ("households", "with_4g", "with_5g", "with_3g", "with_2g")


@dataclass
class Summary:
    """The counted households of a place and time, as the estimators need them."""

    moments: dict[str, dict[int, Moments]] = field(default_factory=dict)  # code → village → moments
    cells: dict[tuple[int, str], list[int]] = field(default_factory=dict)  # (village, cell) → counts

    @property
    def households(self) -> int:
        return sum(counts[0] for counts in self.cells.values())

    @property
    def villages(self) -> set[int]:
        return {village for village, _cell in self.cells}

    def add(self, other: Summary) -> None:
        for code, by_village in other.moments.items():
            mine = self.moments.setdefault(code, {})
            for village, values in by_village.items():
                total = mine.setdefault(village, [0.0] * 7)
                for i, value in enumerate(values):
                    total[i] += value
        for key, counts in other.cells.items():
            total_counts = self.cells.setdefault(key, [0] * len(CELL_COLUMNS))
            for i, value in enumerate(counts):
                total_counts[i] += value

    def only(self, village_id: int) -> Summary:
        return Summary({code: {v: m for v, m in by_village.items() if v == village_id}
                        for code, by_village in self.moments.items()},
                       {k: c for k, c in self.cells.items() if k[0] == village_id})

    def located_cells(self, resolution: int) -> set[str]:
        import h3

        return {cell if h3.get_resolution(cell) <= resolution else h3.cell_to_parent(cell, resolution)
                for (_village, cell) in self.cells if cell != NO_CELL}


def summarize(households: Iterable[Household], resolution: int = BASE_RESOLUTION) -> Summary:
    households = list(households)
    moments: dict[str, dict[int, Moments]] = {}
    for code in RATIO_CODES:
        indicator = CATALOGUE[code]
        numerator, denominator = indicator.numerator, indicator.denominator
        assert numerator and denominator
        by_village: dict[int, Moments] = defaultdict(lambda: [0.0] * 7)
        for household in households:
            add_moments(by_village[household.village_id], numerator(household.answers),
                        denominator(household.answers))
        moments[code] = dict(by_village)
    return Summary(moments, dict(cell_counts(households, resolution)))


def estimate_summary(indicator: Indicator, summary: Summary, village_sizes: Mapping[int, int | None],
                     *, h3_resolution: int, measured: Mapping[str, frozenset[str]] | None = None
                     ) -> Estimate:
    if indicator.kind == "village":
        return estimate_villages_from_counts(summary.cells)
    if indicator.kind == "area":
        return estimate_area_from_counts(indicator.code, summary.cells, h3_resolution, measured)
    return estimate_from_moments(indicator, summary.moments.get(indicator.code, {}), village_sizes)


def _counted(session: Session, commune_id: int | None = None, village_id: int | None = None,
             start: datetime | None = None, end: datetime | None = None
             ) -> Iterable[tuple[int, int, datetime, Household]]:
    """(commune, village, collected_at, household) of the counted household surveys. Reads only
    these columns, so it also serves the migration that first fills the rollups."""
    table = Submission.__table__
    query = select(table.c.commune_id, table.c.village_id, table.c.collected_at, table.c.answers,
                   table.c.lat, table.c.lon).where(
        table.c.survey == "household", table.c.review_status.not_in(COUNTED_OUT))
    if commune_id is not None:
        query = query.where(table.c.commune_id == commune_id)
    if village_id is not None:
        query = query.where(table.c.village_id == village_id)
    if start is not None and end is not None:
        query = query.where(table.c.collected_at >= start, table.c.collected_at < end)
    for commune, village, when, answers, lat, lon in session.execute(
            query.execution_options(yield_per=5000)):
        if (answers or {}).get("consent") == "yes":
            yield commune, village, when, Household(village, answers, lat, lon)


def _write(session: Session, commune_id: int, village_id: int, period: str | None,
           summary: Summary) -> None:
    """One group's rows: of a month, or over every month (`period` None: the totals)."""
    when = {"period": period} if period is not None else {}
    moments = [{"village_id": village_id, **when, "code": code,
                "commune_id": commune_id, **dict(zip(MOMENT_COLUMNS, values, strict=True))}
               for code, by_village in summary.moments.items()
               for _v, values in by_village.items() if values[0] > 0]
    cells = [{"village_id": village_id, **when, "h3_cell": cell, "commune_id": commune_id,
              **dict(zip(CELL_COLUMNS, counts, strict=True))}
             for (_v, cell), counts in summary.cells.items()]
    if moments:
        session.execute(insert(IndicatorMoments if period else IndicatorMomentTotal), moments)
    if cells:
        session.execute(insert(HouseholdCell if period else HouseholdCellTotal), cells)


@dataclass(frozen=True)
class Counted:
    """A household as the rollups count it: its group (commune, village, month) and answers."""

    commune_id: int
    period: str
    household: Household


def counted(submission: Submission) -> Counted | None:
    """What this submission adds to the rollups as it stands now (None: it does not count)."""
    if submission.survey != "household" or submission.review_status in COUNTED_OUT or \
            (submission.answers or {}).get("consent") != "yes":
        return None
    return Counted(submission.commune_id, month_of(submission.collected_at),
                   Household(submission.village_id, submission.answers, submission.lat,
                             submission.lon))


def apply(session: Session, *, removed: Iterable[Counted | None] = (),
          added: Iterable[Counted | None] = ()) -> None:
    """Subtract what `removed` households contributed and add what `added` ones do, as atomic
    upserts (`count = count + excluded.count`), so the cost is a few rows whatever the village
    holds. Rows are written in key order, moments before cells: two transactions touching the same
    rows lock them in the same order and never deadlock, and a new key inserted by two at once is
    one insert and one update, never a key violation. Call it last in the transaction, just before
    the commit, so the rows stay locked for as short a time as possible. Moments are sums of whole
    numbers, exact in floating point, so adding and subtracting give exactly what a rebuild does;
    a row brought back to zero is deleted, as a rebuild would not write it."""
    moments: dict[tuple[int, str, str], list[float]] = {}
    cells: dict[tuple[int, str, str], list[int]] = {}
    communes: dict[int, int] = {}
    hexes: dict[household_hexes.HexKey, list[int]] = {}
    for sign, items in ((-1, removed), (1, added)):
        for item in items:
            if item is None:
                continue
            village = item.household.village_id
            household_hexes.contribution(
                item.commune_id, item.period, item.household.lat, item.household.lon,
                item.household.answers.get("mobile_best_technology"), sign, hexes)
            communes[village] = item.commune_id
            summary = summarize([item.household])
            for code, by_village in summary.moments.items():
                total = moments.setdefault((village, item.period, code), [0.0] * 7)
                for i, value in enumerate(by_village[village]):
                    total[i] += sign * value
            for (_village, cell), counts in summary.cells.items():
                total_counts = cells.setdefault((village, item.period, cell), [0] * 5)
                for i, value in enumerate(counts):
                    total_counts[i] += sign * value
    _upsert(session, IndicatorMoments, ("village_id", "period", "code"), MOMENT_COLUMNS,
            moments, communes)
    _upsert(session, IndicatorMomentTotal, ("village_id", "code"), MOMENT_COLUMNS,
            _over_months(moments), communes)
    _upsert(session, HouseholdCell, ("village_id", "period", "h3_cell"), CELL_COLUMNS,
            cells, communes)
    _upsert(session, HouseholdCellTotal, ("village_id", "h3_cell"), CELL_COLUMNS,
            _over_months(cells), communes)
    household_hexes.upsert(session, hexes)  # the map's households per cell, after the cells
    bump_versions(session, sorted(set(communes.values())))  # last: see bump_versions


def bump_versions(session: Session, commune_ids: list[int] | None) -> None:
    """Give the communes (None: every commune) a new random rollup version, in the writer's
    transaction, so that no process goes on using what it kept of their rollups
    (surveys/indicators/summary_cache.py). Random rather than counted: a database emptied and
    filled again never meets a version a process kept. One multi-row upsert in commune order, the
    last rows `apply` locks, so concurrent writers still lock in one order."""
    if commune_ids is not None and not commune_ids:
        return
    if commune_ids is None:
        commune_ids = list(session.scalars(select(Commune.id).order_by(Commune.id)))
    connection = session.connection()
    for start in range(0, len(commune_ids), 500):
        chunk = commune_ids[start:start + 500]
        connection.exec_driver_sql(
            _versions_sql(connection.dialect, len(chunk)),
            tuple(value for commune in chunk for value in (commune, secrets.randbits(62))))


@lru_cache(maxsize=64)
def _versions_sql(dialect: Any, rows: int) -> str:
    """The versions' multi-row upsert, built once per size (as `_upsert_sql`)."""
    marker = driver_marker(dialect)
    return ("INSERT INTO rollup_versions (commune_id, version) VALUES "
            + ", ".join([f"({marker}, {marker})"] * rows)
            + " ON CONFLICT (commune_id) DO UPDATE SET version = excluded.version")


def _over_months(deltas: Mapping[tuple[int, str, str], list[Any]]
                 ) -> dict[tuple[int, str], list[Any]]:
    """(village, month, key) → values summed to (village, key) → values, for the all-time rows."""
    totals: dict[tuple[int, str], list[Any]] = {}
    for (village, _period, key), values in deltas.items():
        total = totals.setdefault((village, key), [0] * len(values))
        for i, value in enumerate(values):
            total[i] += value
    return totals


RollupModel = (type[IndicatorMoments] | type[HouseholdCell] | type[IndicatorMomentTotal]
               | type[HouseholdCellTotal])


def _upsert(session: Session, model: RollupModel, key_names: tuple[str, ...],
            value_names: tuple[str, ...], deltas: Mapping[tuple[Any, ...], list[Any]],
            communes: Mapping[int, int]) -> None:
    changed = sorted(key for key, values in deltas.items() if any(values))
    if not changed:
        return
    connection = session.connection()
    table = model.__table__
    parameters: list[object] = []
    for key in changed:
        parameters.extend((*key, communes[key[0]], *deltas[key]))
    connection.exec_driver_sql(
        _upsert_sql(connection.dialect, model.__tablename__, key_names, value_names, len(changed)),
        tuple(parameters))
    emptied = [key for key in changed if deltas[key][0] < 0]
    if emptied:
        first = table.c[value_names[0]]
        session.execute(delete(model).where(
            tuple_(*(table.c[name] for name in key_names)).in_(emptied), first <= 0))


@lru_cache(maxsize=256)
def _upsert_sql(dialect: Any, table: str, key_names: tuple[str, ...], value_names: tuple[str, ...],
                rows: int) -> str:
    """One multi-row `INSERT .. ON CONFLICT DO UPDATE SET v = v + excluded.v` in the driver's own
    parameter style: built once per shape, as SQLAlchemy would compile a multi-row VALUES anew on
    every call (most of a submission's cost when measured)."""
    columns = (*key_names, "commune_id", *value_names)
    marker = driver_marker(dialect)
    row = f"({', '.join([marker] * len(columns))})"
    updates = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in value_names)
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row] * rows)} "
            f"ON CONFLICT ({', '.join(key_names)}) DO UPDATE SET {updates}")


def rebuild(session: Session, commune_id: int | None = None, *, monthly_only: bool = False) -> int:
    """Recompute every group (of one commune, or all); return the households counted.
    (`monthly_only`: only the monthly rows, the map's households per cell and the all-time rows
    left alone: for the migration that made the rollups, before those tables existed.)

    On PostgreSQL the rollup tables are locked against writers (readers go on) until the caller
    commits: a household stored meanwhile waits and then adds its contribution to the rebuilt
    rows, instead of adding it to rows about to be replaced. SQLite's single writer does the same.
    """
    if session.get_bind().dialect.name == "postgresql":
        tables = ("indicator_moments, indicator_moment_totals, household_cells, "
                  "household_cell_totals, household_hex_counts")
        if monthly_only:
            tables = "indicator_moments, household_cells"
        session.execute(text(f"LOCK TABLE {tables} IN EXCLUSIVE MODE"))
    models: tuple[RollupModel | type[HouseholdHexCount], ...] = (
        IndicatorMoments, IndicatorMomentTotal, HouseholdCell, HouseholdCellTotal, HouseholdHexCount)
    for model in models if not monthly_only else (IndicatorMoments, HouseholdCell):
        query = delete(model)
        if commune_id is not None:
            query = query.where(model.commune_id == commune_id)
        session.execute(query)
    groups: dict[tuple[int, int, str], list[Household]] = defaultdict(list)
    for commune, village, when, household in _counted(session, commune_id):
        groups[(commune, village, month_of(when))].append(household)
    villages: dict[tuple[int, int], list[Household]] = defaultdict(list)
    for (commune, village, period), households in groups.items():
        _write(session, commune, village, period, summarize(households))
        villages[(commune, village)].extend(households)
    if monthly_only:
        return sum(len(h) for h in groups.values())
    for (commune, village), households in villages.items():
        _write(session, commune, village, None, summarize(households))
    household_hexes.write_all(session, household_hexes.deltas_of(
        (1, commune, period, household.lat, household.lon,
         household.answers.get("mobile_best_technology"))
        for (commune, _village, period), households in groups.items()
        for household in households))
    bump_versions(session, None if commune_id is None else [commune_id])
    return sum(len(h) for h in groups.values())
