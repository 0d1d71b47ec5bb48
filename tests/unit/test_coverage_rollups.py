"""Coverage rollup tallies: how an import's counts are split into rows (no database)."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime

import h3

from surveys.coverage import rollups, totals
from surveys.coverage.spatial import BASE_RESOLUTION, ROLLUP_RESOLUTIONS

WHEN = datetime(2026, 10, 5, tzinfo=UTC)


def test_histogram_text_is_what_json_writes() -> None:
    for bins in ({}, {-50: 3}, {1: 2, -3: 4, 10: 1}):
        assert rollups._counts_json(bins) == json.dumps(bins, separators=(",", ":"))
        assert json.loads(rollups._counts_json(bins)) == {str(k): v for k, v in bins.items()}
    for classes in ([0] * 5, [1, 0, 12, 3, 100]):
        assert rollups._classes_json(classes) == json.dumps(classes, separators=(",", ":"))


def _add(counter: rollups.ContributionCounter, cell: str, rsrp: float) -> None:
    counter.add(cell, "viettel", "4g", WHEN, "good", rsrp, 50.0, 10.0)


def _summed(parts: list[list[tuple[rollups.Key, rollups.Tally]]]
            ) -> dict[rollups.Key, rollups.Tally]:
    total: dict[rollups.Key, rollups.Tally] = {}
    for part in parts:
        for key, tally in part:
            total.setdefault(key, rollups.Tally()).merge(tally)
    return total


def test_drain_sends_base_cells_at_once_and_keeps_coarser_ones_to_the_end() -> None:
    a = h3.latlng_to_cell(16.75, 106.95, BASE_RESOLUTION)
    b = h3.latlng_to_cell(16.7502, 106.9503, BASE_RESOLUTION)
    whole, parts = rollups.ContributionCounter(), rollups.ContributionCounter()
    for cell, rsrp in ((a, -90.0), (b, -80.0)):
        _add(whole, cell, rsrp)
    _add(parts, a, -90.0)
    first = list(parts.drain())
    # The base cell's row, and its row of all operators and months: nothing coarser yet.
    assert [k for k, _ in first] == [(a, "viettel", "4g", "2026-10"),
                                     (a, rollups.ANY, "4g", rollups.ANY)]
    assert first[0][1].n == 1 and first[0][1].rsrp == {-45: 1}
    _add(parts, b, -80.0)
    last = list(parts.drain(final=True))
    assert len(parts) == 0 and parts.kept() == 0
    # In parts or at once, the same sums; coarser and all-operator keys come once, at the end.
    assert _summed([first, last]) == _summed([list(whole.drain(final=True))])
    assert len({k for k, _ in last}) == len(last)


def _reference(items: list[tuple]) -> dict[rollups.Key, rollups.Tally]:  # type: ignore[type-arg]
    """The plainest rollups: each measurement at its cell's every resolution, each disc at the
    cells it reaches, the rows of all operators summed from all that."""
    result: dict[rollups.Key, rollups.Tally] = {}
    for cell, operator, technology, rsrp, footprint in items:
        if footprint:
            for disc_cell in rollups.disc_cells(cell, footprint):
                result.setdefault((disc_cell, operator, technology, "2026-10"),
                                  rollups.Tally()).estimated += 1
            continue
        for resolution in range(BASE_RESOLUTION, ROLLUP_RESOLUTIONS[0] - 1, -1):
            tally = result.setdefault((h3.cell_to_parent(cell, resolution), operator, technology,
                                       "2026-10"), rollups.Tally())
            tally.n += 1
            tally.classes[3] += 1  # good
            tally.rsrp[math.floor(rsrp / 2)] = tally.rsrp.get(math.floor(rsrp / 2), 0) + 1
            for histogram in (tally.down, tally.up):
                histogram[rollups.speed_bin(50.0)] = histogram.get(rollups.speed_bin(50.0), 0) + 1
    every: dict[rollups.Key, rollups.Tally] = {}
    for (cell, operator, technology, _period), tally in result.items():
        into = every.setdefault((cell, rollups.ANY, technology, rollups.ANY), rollups.Tally())
        into.merge(tally)
        into.operators[operator] = into.operators.get(operator, 0) + tally.n + tally.estimated
    return result | every


def test_drains_of_any_size_sum_to_the_plain_rollups(monkeypatch) -> None:
    rng = random.Random(5)
    items = []
    for _ in range(400):
        cell = h3.latlng_to_cell(16.75 + rng.uniform(-0.02, 0.02), 106.95 + rng.uniform(-0.02, 0.02),
                                 BASE_RESOLUTION)
        footprint = rng.choice((None, None, None, 150.0, 900.0))
        items.append((cell, rng.choice(("viettel", "mobifone")), rng.choice(("4g", "5g")),
                      rng.uniform(-120, -70), footprint))
    expected = _reference(items)
    for flush_keys, kept_keys in ((10**9, 10**9), (40, 25), (3, 1), (3, 10**9), (10**9, 1)):
        monkeypatch.setattr(rollups, "KEPT_KEYS", kept_keys)
        counter, parts = rollups.ContributionCounter(), []
        for cell, operator, technology, rsrp, footprint in items:
            counter.add(cell, operator, technology, WHEN, None if footprint else "good",
                        None if footprint else rsrp, 50.0, 50.0, footprint)
            if len(counter) >= flush_keys:
                parts.append(list(counter.drain()))
        parts.append(list(counter.drain(final=True)))
        assert _summed(parts) == expected, (flush_keys, kept_keys)


def test_a_probe_that_stays_in_one_cell_is_counted_the_same() -> None:
    """Past a few dozen measurements a key's compact list becomes a Tally (a fixed probe would
    otherwise grow one list without end); the sums do not change."""
    cell = h3.latlng_to_cell(16.75, 106.95, BASE_RESOLUTION)
    counter, expected = rollups.ContributionCounter(), rollups.Tally()
    for i in range(300):
        klass, rsrp = ("good", -90.0 - i % 7) if i % 5 else (None, None)
        counter.add(cell, "viettel", "4g", WHEN, klass, rsrp, 1.0 + i, None)
        expected.add(klass, rsrp, 1.0 + i, None)
    assert isinstance(counter.base[(cell, "viettel", "4g", "2026-10")], rollups.Tally)
    drained = dict(counter.drain(final=True))
    assert drained[(cell, "viettel", "4g", "2026-10")] == expected
    assert expected.n == 300 and sum(expected.classes) == 240 and sum(expected.down.values()) == 300


def test_sums_of_totals_add_and_subtract_exactly() -> None:
    """What a delete subtracts leaves no empty bin or operator behind, so the totals after a
    delete equal those never added to (the integration tests compare whole tables)."""
    base = totals.parsed_sums(3, 1, ['[0,0,1,2,0]', '{"-50":2,"-45":1}', '{"20":3}', '{}',
                                       '{"viettel":4}'])
    upload = totals.parsed_sums(2, 0, ['[0,0,0,2,0]', '{"-45":2}', '{"20":1,"21":1}', None,
                                         '{"mobifone":2}'])
    total = totals._empty_sums()
    totals._add_sums(total, base, 1)
    totals._add_sums(total, upload, 1)
    assert total == [5, 1, [0, 0, 1, 4, 0], {"-50": 2, "-45": 3}, {"20": 4, "21": 1}, {},
                     {"viettel": 4, "mobifone": 2}]
    totals._add_sums(total, upload, -1)
    assert total == base
