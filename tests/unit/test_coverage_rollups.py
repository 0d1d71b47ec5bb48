"""Coverage rollup tallies: how an import's counts are split into rows (no database)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import h3

from surveys.coverage import rollups
from surveys.coverage.spatial import BASE_RESOLUTION

WHEN = datetime(2026, 10, 5, tzinfo=UTC)


def test_histogram_text_is_what_json_writes() -> None:
    for bins in ({}, {-50: 3}, {1: 2, -3: 4, 10: 1}):
        assert rollups._counts_json(bins) == json.dumps(bins, separators=(",", ":"))
        assert json.loads(rollups._counts_json(bins)) == {str(k): v for k, v in bins.items()}


def _add(counter: rollups.ContributionCounter, cell: str, rsrp: float) -> None:
    counter.add(cell, "viettel", "4g", WHEN, "good", rsrp, 50.0, 10.0)


def _summed(parts: list[dict[rollups.Key, rollups.Tally]]) -> dict[rollups.Key, rollups.Tally]:
    total: dict[rollups.Key, rollups.Tally] = {}
    for part in parts:
        for key, tally in part.items():
            total.setdefault(key, rollups.Tally()).merge(tally)
    return total


def test_drain_sends_base_cells_at_once_and_keeps_coarser_ones_to_the_end() -> None:
    a = h3.latlng_to_cell(16.75, 106.95, BASE_RESOLUTION)
    b = h3.latlng_to_cell(16.7502, 106.9503, BASE_RESOLUTION)
    whole, parts = rollups.ContributionCounter(), rollups.ContributionCounter()
    for cell, rsrp in ((a, -90.0), (b, -80.0)):
        _add(whole, cell, rsrp)
    _add(parts, a, -90.0)
    first = parts.drain()
    assert {h3.get_resolution(k[0]) for k in first} == {BASE_RESOLUTION}
    assert all(k[1] != rollups.ANY for k in first)
    _add(parts, b, -80.0)
    last = parts.drain(final=True)
    assert len(parts) == 0 and parts.pending == {}
    # In parts or at once, the same sums; coarser and all-operator keys come once, at the end.
    assert _summed([first, last]) == whole.drain(final=True)
    assert not any(k in first for k in last if h3.get_resolution(k[0]) < BASE_RESOLUTION)
