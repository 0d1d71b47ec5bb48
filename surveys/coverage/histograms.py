"""Histograms of the coverage rollups: the bins of RSRP and speeds, percentiles read off summed
bins, and the compact JSON the rollup and total rows store them in (surveys/coverage/rollups.py
describes the rows; precision: RSRP in 2 dB bins, a median within ±1 dB; speeds in log-scale bins
of 2^(1/4), a median within about ±9 %)."""

from __future__ import annotations

import json
import math
from bisect import bisect_left
from collections.abc import Mapping
from functools import cache, partial
from itertools import accumulate
from typing import Any

from surveys.coverage.classify import CLASSES

SPEED_BINS_PER_DOUBLING = 4
RSRP_BIN_DB = 2
CLASS_INDEX = {name: i for i, name in enumerate(CLASSES)}
ANY = "*"  # operator and period of the rows that sum all operators and months
_DUMPS = partial(json.dumps, separators=(",", ":"))


def speed_bin(mbps: float) -> int:
    return math.floor(SPEED_BINS_PER_DOUBLING * math.log2(max(mbps, 0.001)))


def speed_of_bin(index: int) -> float:
    return 2 ** ((index + 0.5) / SPEED_BINS_PER_DOUBLING)


def rsrp_of_bin(index: int) -> float:
    return (index + 0.5) * RSRP_BIN_DB


def percentile(bins: Mapping[str, int] | Mapping[int, int], q: float, metric: str) -> float | None:
    """The q-th quantile (0–1) of a histogram, as its bin's centre; None when empty."""
    counts: Mapping[Any, int] = bins  # keys of either kind, ordered by their number
    if not counts:
        return None
    if min(counts.values()) > 0:  # every bin counted (always, as stored): summed in C
        keys = _in_order(counts)  # the bins in order
        seen = list(accumulate(map(counts.__getitem__, keys)))
        found = bisect_left(seen, q * seen[-1])  # the first bin where `seen` reaches it
        return None if found == len(keys) else _centre(int(keys[found]), metric)
    total = sum([v for v in counts.values() if v > 0])
    if total <= 0:
        return None
    wanted = q * total
    seen_here = 0
    for key in sorted(counts, key=int):
        n = counts[key]
        if n > 0:
            seen_here += n
            if seen_here >= wanted:
                return _centre(int(key), metric)
    return None


@cache  # a few hundred bins: a lookup costs less than the arithmetic
def _centre(index: int, metric: str) -> float:
    return round(rsrp_of_bin(index), 1) if metric == "rsrp" else round(speed_of_bin(index), 2)


def median_of(bins: Mapping[str, int] | Mapping[int, int], metric: str) -> float | None:
    """percentile(bins, 0.5, metric), its usual case inline (the summaries take ~10 a cell)."""
    counts: Mapping[Any, int] = bins
    if counts and min(counts.values()) > 0:
        keys = _in_order(counts)
        seen = list(accumulate(map(counts.__getitem__, keys)))
        return _centre(int(keys[bisect_left(seen, 0.5 * seen[-1])]), metric)
    return percentile(bins, 0.5, metric)


# Every bin's key, as JSON text or as a number, → its number: a lookup costs less than int().
_BIN_NUMBERS: dict[Any, int] = {key: i for i in range(-1000, 1001) for key in (i, str(i))}


def _in_order(counts: Mapping[Any, int]) -> list[Any]:
    """The keys ordered by their number (as sorted(counts, key=int))."""
    try:
        return sorted(counts, key=_BIN_NUMBERS.__getitem__)
    except KeyError:  # a bin beyond ±1000, or not written as we write them
        return sorted(counts, key=int)


def _counts_json(bins: dict[int, int]) -> str:
    # The same text as json.dumps for a histogram's integer bins, at a third of its cost: the
    # import writes three per rollup row.
    return "{" + ",".join([f'"{k}":{v}' for k, v in bins.items()]) + "}"


def _classes_json(classes: list[int]) -> str:
    return "[" + ",".join(map(str, classes)) + "]"

