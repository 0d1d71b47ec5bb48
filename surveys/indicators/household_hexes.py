"""Households per H3 cell at each of the coverage map's resolutions (6–10), per commune and month.

The map's hexagons show, per cell, the located households the indicators count (accepted,
consenting, with a GPS position) and how many report each generation or better at home. A cell of
resolution R holds the households whose position lies in it (H3 cells do not nest exactly, so the
counts of one resolution cannot be summed from another's). Kept in step with the indicator rollups
by the same calls (`rollups.apply` on every stored, reviewed, corrected or located household, and
`rollups.rebuild`), so a map at any resolution reads a few rows per cell and month, never the
households.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from functools import lru_cache
from typing import Any

import h3
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from surveys.db import among_parameter, among_sql, driver_marker, driver_rows
from surveys.models import HouseholdHexCount

MAP_RESOLUTIONS = (6, 7, 8, 9, 10)  # surveys/coverage/spatial.py (no import: coverage reads us)
GENERATIONS = ("2g", "3g", "4g", "5g")
KEY_NAMES = ("commune_id", "period", "h3_cell")
VALUE_NAMES = ("households", "with_4g", "with_5g", "with_3g", "with_2g")
HexKey = tuple[int, str, str]  # commune, month, cell


def contribution(commune_id: int, period: str, lat: float | None, lon: float | None,
                 best: Any, sign: int, into: dict[HexKey, list[int]]) -> None:
    """Add (sign 1) or subtract (-1) one household to its cells of every map resolution."""
    if lat is None or lon is None:
        return
    values = (1, best in ("4g", "5g"), best == "5g", best in ("3g", "4g", "5g"),
              best in GENERATIONS)
    for resolution in MAP_RESOLUTIONS:
        key = (commune_id, period, h3.latlng_to_cell(lat, lon, resolution))
        total = into.setdefault(key, [0] * len(VALUE_NAMES))
        for i, value in enumerate(values):
            total[i] += sign * int(value)


def upsert(session: Session, deltas: dict[HexKey, list[int]]) -> None:
    """Add the deltas as one atomic upsert in key order (so two writers never deadlock); a row
    brought back to zero households is deleted, as a rebuild would not write it."""
    changed = sorted(key for key, values in deltas.items() if any(values))
    if not changed:
        return
    connection = session.connection()
    parameters: list[object] = []
    for key in changed:
        parameters.extend((*key, h3.get_resolution(key[2]), *deltas[key]))
    connection.exec_driver_sql(_upsert_sql(connection.dialect, len(changed)), tuple(parameters))
    emptied = [key for key in changed if deltas[key][0] < 0]
    for commune_id, period, cell in emptied:
        session.execute(delete(HouseholdHexCount).where(
            HouseholdHexCount.commune_id == commune_id, HouseholdHexCount.period == period,
            HouseholdHexCount.h3_cell == cell, HouseholdHexCount.households <= 0))


@lru_cache(maxsize=64)
def _upsert_sql(dialect: Any, rows: int) -> str:
    table = HouseholdHexCount.__tablename__
    columns = (*KEY_NAMES, "resolution", *VALUE_NAMES)
    marker = driver_marker(dialect)
    row = f"({', '.join([marker] * len(columns))})"
    updates = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in VALUE_NAMES)
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row] * rows)} "
            f"ON CONFLICT ({', '.join(KEY_NAMES)}) DO UPDATE SET {updates}")


def write_all(session: Session, deltas: dict[HexKey, list[int]]) -> None:
    """Insert counts of groups known to have no rows yet (a rebuild)."""
    rows = [dict(zip((*KEY_NAMES, "resolution", *VALUE_NAMES),
                     (*key, h3.get_resolution(key[2]), *values), strict=True))
            for key, values in sorted(deltas.items()) if values[0] > 0]
    for start in range(0, len(rows), 5_000):
        session.execute(insert(HouseholdHexCount), rows[start:start + 5_000])


def load(session: Session, commune_ids: Sequence[int], resolution: int,
         first_period: str | None, last_period: str | None, *,
         cells: Collection[str] | None = None) -> tuple[dict[str, int], dict[str, list[int]]]:
    """Per cell of `resolution` over the communes and months: the located households, and per
    generation (2g, 3g, 4g, 5g) how many report it or a newer one as their best at home.
    `cells`: only these (a map's window), read by cell rather than by commune. Summed over the
    months and communes in the database (one row per cell) and read as the driver's tuples
    (`driver_rows`): a commune at resolution 10 has thousands of cells."""
    counts: dict[str, int] = {}
    reaching: dict[str, list[int]] = {}
    if (cells is not None and not cells) or not commune_ids:
        return counts, reaching
    connection = session.connection()
    dialect = connection.dialect
    marker = driver_marker(dialect)
    where = [among_sql(dialect, "commune_id"), f"resolution = {marker}"]
    parameters: list[object] = [among_parameter(dialect, list(commune_ids)), resolution]
    if cells is not None:
        where.append(among_sql(dialect, "h3_cell"))
        parameters.append(among_parameter(dialect, sorted(cells)))
    if first_period:
        where.append(f"period >= {marker}")
        parameters.append(first_period)
    if last_period:
        where.append(f"period <= {marker}")
        parameters.append(last_period)
    sql = (f"SELECT h3_cell, SUM(households), SUM(with_2g), SUM(with_3g), SUM(with_4g), "
           f"SUM(with_5g) FROM {HouseholdHexCount.__tablename__} WHERE {' AND '.join(where)} "
           f"GROUP BY h3_cell")
    for cell, households, *generations in driver_rows(connection, sql, parameters):
        counts[cell] = households
        reaching[cell] = generations
    return counts, reaching


def deltas_of(items: Iterable[tuple[int, int, str, float | None, float | None, Any]]
              ) -> dict[HexKey, list[int]]:
    """(sign, commune, month, lat, lon, best technology) of households → deltas per key."""
    deltas: dict[HexKey, list[int]] = {}
    for sign, commune_id, period, lat, lon, best in items:
        contribution(commune_id, period, lat, lon, best, sign, deltas)
    return deltas
