"""Months in Vietnam's time ("YYYY-MM"): the periods of the coverage and indicator rollups.

Vietnam has kept UTC+7 without daylight saving since 1975, so a fixed offset is exact and cheaper
than a time-zone lookup on the per-row paths that call `month_of`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

VIETNAM_OFFSET = timedelta(hours=7)


def month_of(moment: datetime) -> str:
    """The Vietnamese month of a moment; a naive datetime is taken as UTC (as stored)."""
    if moment.tzinfo is not UTC:  # UTC, the import's case, needs no conversion
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    local = moment + VIETNAM_OFFSET
    return _MONTHS.get((local.year, local.month)) or _month_text(local.year, local.month)


_MONTHS: dict[tuple[int, int], str] = {}


def _month_text(year: int, month: int) -> str:
    text = _MONTHS[(year, month)] = f"{year:04d}-{month:02d}"
    return text


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The UTC start of a month ("YYYY-MM") and of the next one."""
    year, number = int(month[:4]), int(month[5:7])
    start = datetime(year, number, 1, tzinfo=UTC) - VIETNAM_OFFSET
    following = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC) - VIETNAM_OFFSET
    return start, following
