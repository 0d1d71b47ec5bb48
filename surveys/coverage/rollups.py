"""Rollups: counts per H3 cell (resolutions 7–10), operator, technology, month, metric and bin.

Medians come from histograms that can be added to and subtracted from, so an import adds its
contribution and a delete removes exactly that contribution, without rescanning raw rows.
Precision: RSRP in 2 dB bins (median within ±1 dB; classes are 10–20 dB wide); speeds in
log-scale bins of 2^(1/4) (median within about ±9 %). Coarser bins keep a cell's rollup rows few:
at 1 dB, a busy base cell had more rollup rows than measurements.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

import h3
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from surveys.coverage.classify import CLASSES
from surveys.coverage.spatial import ROLLUP_RESOLUTIONS
from surveys.db import conflict_insert
from surveys.models import CoverageRollup, Measurement

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
SPEED_BINS_PER_DOUBLING = 4
RSRP_BIN_DB = 2
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
            if metric == "rsrp":
                return (index + 0.5) * RSRP_BIN_DB
            return round(speed_of_bin(index), 2)
    return None


class ContributionCounter:
    """Adds measurements up into rollup keys. Rows are counted once, at their base cell; the
    coarser parents are summed from those counts at the end (a cell has far fewer keys than rows)."""

    def __init__(self) -> None:
        self.base: Counter[tuple[str, str, str, str, str, int]] = Counter()

    def add(self, cell: str, operator: str, technology: str, measured_at: datetime,
            signal_class: str | None, rsrp: float | None, down: float | None,
            up: float | None) -> None:
        period = measured_at.astimezone(VIETNAM).strftime("%Y-%m")
        base = self.base
        base[(cell, operator, technology, period, "count", 0)] += 1
        if signal_class is not None:
            base[(cell, operator, technology, period, "class", CLASSES.index(signal_class))] += 1
        if rsrp is not None:
            base[(cell, operator, technology, period, "rsrp", math.floor(rsrp / RSRP_BIN_DB))] += 1
        if down is not None:
            base[(cell, operator, technology, period, "down", speed_bin(down))] += 1
        if up is not None:
            base[(cell, operator, technology, period, "up", speed_bin(up))] += 1

    @property
    def counts(self) -> Counter[Key]:
        result: Counter[Key] = Counter()
        parents: dict[str, list[tuple[str, int]]] = {}
        for (cell, operator, technology, period, metric, index), n in self.base.items():
            if cell not in parents:
                resolution = h3.get_resolution(cell)
                parents[cell] = [(cell if r == resolution else h3.cell_to_parent(cell, r), r)
                                 for r in ROLLUP_RESOLUTIONS if r <= resolution]
            for parent, r in parents[cell]:
                result[(parent, r, operator, technology, period, metric, index)] += n
        return result


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
    values = [{"h3_cell": k[0], "resolution": k[1], "operator": k[2], "technology": k[3],
               "period": k[4], "metric": k[5], "bin": k[6], "count": sign * n}
              for k, n in counts.items()]
    # Core table, not the ORM entity: the ORM's bulk path costs more per row than the database.
    statement = conflict_insert(session, CoverageRollup.__table__)
    statement = statement.on_conflict_do_update(
        index_elements=["h3_cell", "operator", "technology", "period", "metric", "bin"],
        set_={"count": CoverageRollup.__table__.c.count + statement.excluded.count})
    for start in range(0, len(values), 5000):
        session.execute(statement, values[start:start + 5000])
    if sign < 0:
        session.execute(delete(CoverageRollup).where(CoverageRollup.count <= 0))


def rollup_rows(session: Session) -> Iterable[CoverageRollup]:
    return session.scalars(select(CoverageRollup))
