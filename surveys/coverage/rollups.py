"""Rollups: counts per H3 cell (resolutions 7–10), operator, technology, month, metric and bin.

Medians come from histograms that can be added to and subtracted from, so an import adds its
contribution and a delete removes exactly that contribution, without rescanning raw rows.
Precision: RSRP in whole dBm bins (±0.5 dB); speeds in log-scale bins of 2^(1/8) (about ±4.4 %).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

import h3
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from surveys.coverage.classify import CLASSES
from surveys.coverage.spatial import ROLLUP_RESOLUTIONS
from surveys.models import CoverageRollup, Measurement

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
SPEED_BINS_PER_DOUBLING = 8
Key = tuple[str, int, str, str, str, str, int]  # cell, resolution, operator, tech, period, metric, bin


def speed_bin(mbps: float) -> int:
    return math.floor(SPEED_BINS_PER_DOUBLING * math.log2(max(mbps, 0.001)))


def speed_of_bin(index: int) -> float:
    return 2 ** ((index + 0.5) / SPEED_BINS_PER_DOUBLING)


def median_of(bins: Mapping[int, int], metric: str) -> float | None:
    total = sum(bins.values())
    if total <= 0:
        return None
    seen = 0
    for index in sorted(bins):
        seen += bins[index]
        if seen * 2 >= total:
            return float(index) if metric == "rsrp" else round(speed_of_bin(index), 2)
    return None


class ContributionCounter:
    """Adds measurements up into rollup keys; parents of a base cell are computed once."""

    def __init__(self) -> None:
        self.counts: Counter[Key] = Counter()
        self._parents: dict[str, list[tuple[str, int]]] = {}

    def _cells(self, cell: str) -> list[tuple[str, int]]:
        if cell not in self._parents:
            base = h3.get_resolution(cell)
            self._parents[cell] = [(cell if r == base else h3.cell_to_parent(cell, r), r)
                                   for r in ROLLUP_RESOLUTIONS if r <= base]
        return self._parents[cell]

    def add(self, cell: str, operator: str, technology: str, measured_at: datetime,
            signal_class: str | None, rsrp: float | None, down: float | None,
            up: float | None) -> None:
        period = measured_at.astimezone(VIETNAM).strftime("%Y-%m")
        bins = [("count", 0)]
        if signal_class is not None:
            bins.append(("class", CLASSES.index(signal_class)))
        if rsrp is not None:
            bins.append(("rsrp", round(rsrp)))
        if down is not None:
            bins.append(("down", speed_bin(down)))
        if up is not None:
            bins.append(("up", speed_bin(up)))
        for parent, resolution in self._cells(cell):
            for metric, index in bins:
                self.counts[(parent, resolution, operator, technology, period, metric, index)] += 1


def contributions_of_upload(session: Session, upload_id: int) -> Counter[Key]:
    counter = ContributionCounter()
    rows = session.execute(select(
        Measurement.h3_cell, Measurement.operator, Measurement.technology,
        Measurement.measured_at, Measurement.signal_class, Measurement.rsrp_dbm,
        Measurement.download_mbps, Measurement.upload_mbps)
        .where(Measurement.upload_id == upload_id).execution_options(yield_per=10_000))
    for row in rows:
        counter.add(*row)
    return counter.counts


def apply(session: Session, counts: Counter[Key], sign: int) -> None:
    """Add (sign=1) or remove (sign=-1) contributions; empty rows are deleted."""
    if not counts:
        return
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    values = [{"h3_cell": k[0], "resolution": k[1], "operator": k[2], "technology": k[3],
               "period": k[4], "metric": k[5], "bin": k[6], "count": sign * n}
              for k, n in counts.items()]
    statement = insert(CoverageRollup)
    statement = statement.on_conflict_do_update(
        index_elements=["h3_cell", "operator", "technology", "period", "metric", "bin"],
        set_={"count": CoverageRollup.count + statement.excluded.count})
    for start in range(0, len(values), 5000):
        session.execute(statement, values[start:start + 5000])
    if sign < 0:
        session.execute(delete(CoverageRollup).where(CoverageRollup.count <= 0))


def rollup_rows(session: Session) -> Iterable[CoverageRollup]:
    return session.scalars(select(CoverageRollup))
