"""Reading the indicator rollups (surveys/indicators/rollups.py keeps them): a place's summary over
all months or some, each commune's part of an area's, and summaries per month, quarter or year for
the trends. Takes a Session; never writes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys.indicators.rollups import CELL_COLUMNS, MOMENT_COLUMNS, RATIO_CODES, Summary
from surveys.models import HouseholdCell, HouseholdCellTotal, IndicatorMoments, IndicatorMomentTotal


def load_summary(session: Session, commune_id: int | list[int], *, village_id: int | None = None,
                 first_month: str | None = None, last_month: str | None = None,
                 codes: Iterable[str] | None = None) -> Summary:
    """The summary of a commune (or, given a list, of an area's communes), one village, months:
    one row per village and indicator (or cell) read, over all months from the all-time rows,
    over some months summed by the database. `codes`: only these indicators' moments (the
    ranking of one indicator over a province's ~2,000 villages)."""
    ids = commune_id if isinstance(commune_id, list) else [commune_id]
    return merged(load_parts(session, ids, village_id=village_id, first_month=first_month,
                             last_month=last_month, codes=codes).values())


def merged(parts: Iterable[Summary]) -> Summary:
    """Summaries of different villages as one (their lists shared, not copied: read-only)."""
    summary = Summary()
    for part in parts:
        for code, by_village in part.moments.items():
            summary.moments.setdefault(code, {}).update(by_village)
        summary.cells.update(part.cells)
    return summary


def load_parts(session: Session, commune_ids: list[int], *, village_id: int | None = None,
               first_month: str | None = None, last_month: str | None = None,
               codes: Iterable[str] | None = None) -> dict[int, Summary]:
    """`load_summary` of each commune (one read for all): commune id → its summary."""
    parts: dict[int, Summary] = {commune: Summary() for commune in commune_ids}
    if not commune_ids:
        return parts
    every = first_month is None and last_month is None
    moments, cells = ((IndicatorMomentTotal.__table__, HouseholdCellTotal.__table__) if every
                      else (IndicatorMoments.__table__, HouseholdCell.__table__))
    wanted = None if codes is None else sorted(set(codes) & set(RATIO_CODES))
    for table, key_column, names in ((moments, moments.c.code, MOMENT_COLUMNS),
                                     (cells, cells.c.h3_cell, CELL_COLUMNS)):
        if table is moments and wanted == []:
            continue
        values = [table.c[name] if every else func.sum(table.c[name]) for name in names]
        query = select(table.c.commune_id, table.c.village_id, key_column, *values).where(
            table.c.commune_id.in_(commune_ids) if len(commune_ids) > 1
            else table.c.commune_id == commune_ids[0])
        if not every:
            query = query.group_by(table.c.commune_id, table.c.village_id, key_column)
        if village_id is not None:
            query = query.where(table.c.village_id == village_id)
        if first_month is not None:
            query = query.where(table.c.period >= first_month)
        if last_month is not None:
            query = query.where(table.c.period <= last_month)
        if table is moments and wanted is not None:
            query = query.where(key_column.in_(wanted))
        rows = session.execute(query).all()  # fetchall: a province's rows at once
        if table is moments:
            for commune, village, code, *sums in rows:
                parts[commune].moments.setdefault(code, {})[village] = [float(v) for v in sums]
        else:
            for commune, village, cell, *counts in rows:
                parts[commune].cells[(village, cell)] = [int(v) for v in counts]
    return parts


def load_by_period(session: Session, commune_id: int, *, village_id: int | None = None,
                   by: str = "quarter") -> dict[str, Summary]:
    """Summaries per month, quarter or year (Vietnam time), oldest first."""
    return dict(sorted(_load(session, commune_id, village_id, by=by).items()))


def _label(period: str, by: str) -> str:
    if by == "year":
        return period[:4]
    if by == "quarter":
        return f"{period[:4]}-Q{(int(period[5:7]) - 1) // 3 + 1}"
    return period


def _load(session: Session, commune_id: int, village_id: int | None, *, by: str
          ) -> dict[str, Summary]:
    result: dict[str, Summary] = defaultdict(Summary)
    moments, cells = IndicatorMoments.__table__, HouseholdCell.__table__
    for table, columns in ((moments, (moments.c.code, *(moments.c[n] for n in MOMENT_COLUMNS))),
                           (cells, (cells.c.h3_cell, *(cells.c[n] for n in CELL_COLUMNS)))):
        query = select(table.c.period, table.c.village_id, *columns).where(
            table.c.commune_id == commune_id)
        if village_id is not None:
            query = query.where(table.c.village_id == village_id)
        for period, village, key, *values in session.execute(query):
            summary = result[_label(period, by)]
            if table is moments:
                sums = summary.moments.setdefault(key, {}).setdefault(village, [0.0] * 7)
                for i, value in enumerate(values):
                    sums[i] += value
            else:
                counts = summary.cells.setdefault((village, key), [0] * len(CELL_COLUMNS))
                for i, value in enumerate(values):
                    counts[i] += value
    return result
