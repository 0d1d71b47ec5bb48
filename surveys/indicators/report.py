"""The indicator table of a commune (or one village) for a period: data in, numbers and status out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.errors import Problem, Text
from surveys.indicators.estimators import (
    CATALOGUE,
    MIN_CELLS,
    MIN_VILLAGES,
    PLAN_WORDING,
    Estimate,
    Household,
)
from surveys.indicators.results import IndicatorRow, IndicatorTable, TargetStatus, Trend, TrendPoint
from surveys.indicators.rollup_reads import load_by_period, load_summary
from surveys.indicators.rollups import BASE_RESOLUTION as ROLLUP_RESOLUTION
from surveys.indicators.rollups import (
    COUNTED_OUT,
    Summary,
    estimate_summary,
    summarize,
)
from surveys.indicators.targets import progress, status, targets_for
from surveys.models import Commune, Submission, Target, Village
from surveys.places.months import month_of

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
PERIOD = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|(0[1-9]|1[0-2])))?$")


@dataclass(frozen=True)
class Period:
    label: str
    start: datetime
    end: datetime

    @property
    def months(self) -> tuple[str, str]:
        """The first and the last month ("YYYY-MM", Vietnam time) it covers: the rollups' keys."""
        return month_of(self.start), month_of(self.end - timedelta(microseconds=1))


def parse_period(text: str | None) -> Period | None:
    """`2026`, `2026-Q4` or `2026-11`, in Vietnam's time zone; None for all data."""
    if not text:
        return None
    match = PERIOD.match(text.strip())
    if not match:
        raise Problem("422.1", errors={"period": Text(
            "Kỳ phải có dạng 2026, 2026-Q4 hoặc 2026-11.",
            "period must look like 2026, 2026-Q4 or 2026-11.")})
    year, quarter, month = int(match[1]), match[2], match[3]
    if quarter:
        first, months = (int(quarter) - 1) * 3 + 1, 3
    elif month:
        first, months = int(month), 1
    else:
        first, months = 1, 12
    start = datetime(year, first, 1, tzinfo=VIETNAM)
    end_month = first + months
    end = datetime(year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1, tzinfo=VIETNAM)
    return Period(text.strip(), start, end)


def household_rows(session: Session, commune_id: int, *, village_id: int | None = None,
                    period: Period | None = None) -> list[tuple[datetime, Household]]:
    """Counted household surveys of consenting households, with their time: not rejected, and not
    superseded (a correction replaced it: only the latest version counts)."""
    query = select(Submission.collected_at, Submission.village_id, Submission.answers,
                   Submission.lat, Submission.lon).where(
        Submission.commune_id == commune_id, Submission.survey == "household",
        Submission.review_status.not_in(COUNTED_OUT))
    if village_id is not None:
        query = query.where(Submission.village_id == village_id)
    if period is not None:
        query = query.where(Submission.collected_at >= period.start,
                            Submission.collected_at < period.end)
    return [(when, Household(v, answers, lat, lon))
            for when, v, answers, lat, lon in session.execute(query)
            if answers.get("consent") == "yes"]


def load_households(session: Session, commune_id: int, *, village_id: int | None = None,
                    period: Period | None = None) -> list[Household]:
    return [h for _when, h in household_rows(session, commune_id, village_id=village_id,
                                             period=period)]


def period_label(when: datetime, by: str) -> str:
    local = when.astimezone(VIETNAM)
    if by == "year":
        return str(local.year)
    if by == "quarter":
        return f"{local.year}-Q{(local.month - 1) // 3 + 1}"
    return f"{local.year}-{local.month:02d}"


TREND_STEPS = ("month", "quarter", "year")


def _villages(session: Session, commune: Commune, known: list[Village] | None) -> list[Village]:
    """The commune's villages: those the caller read, else one query."""
    if known is not None:
        return known
    return list(session.scalars(select(Village).where(Village.commune_id == commune.id)))


def indicator_trend(session: Session, commune: Commune, code: str, *, by: str,
                    village: Village | None, h3_resolution: int,
                    rows: list[tuple[datetime, Household]] | None = None,
                    villages: list[Village] | None = None) -> Trend:
    """One indicator per period that has data, oldest first: the points of a trend chart. From
    the rollups, or from `rows` (household_rows) when the caller has already loaded them.
    `villages`: the commune's villages when the caller has read them (else read here)."""
    indicator = CATALOGUE[code]
    sizes = {v.id: v.household_count for v in _villages(session, commune, villages)}
    if rows is None and h3_resolution != ROLLUP_RESOLUTION and indicator.kind == "area":
        rows = household_rows(session, commune.id, village_id=village.id if village else None)
    if rows is None:
        groups = load_by_period(session, commune.id, village_id=village.id if village else None,
                                by=by)
    else:
        by_label: dict[str, list[Household]] = {}
        for when, household in rows:
            by_label.setdefault(period_label(when, by), []).append(household)
        groups = {label: summarize(found, h3_resolution)
                  for label, found in sorted(by_label.items())}
    points: list[TrendPoint] = []
    for label, summary in groups.items():
        if not summary.households:
            continue
        result = estimate_summary(indicator, summary, sizes, h3_resolution=h3_resolution)
        points.append({"period": label, "value": result.value, "ci_low": result.ci_low,
                       "ci_high": result.ci_high, "n": result.n, "weighted": result.weighted,
                       "census": result.census, "unweighted": result.unweighted})
    return {"commune": commune.slug, "village": village.slug if village else None,
            "code": code, "by": by, "points": points}


def indicator_table(session: Session, commune: Commune, *, village: Village | None = None,
                    period: Period | None = None, today: date, minimum: int,
                    h3_resolution: int, households: list[Household] | None = None,
                    summary: Summary | None = None,
                    villages: list[Village] | None = None) -> IndicatorTable:
    """From the indicator rollups (surveys/indicators/rollups.py), so the cost follows villages and
    months, not households; or from `households` / a `summary` / the commune's `villages` the
    caller already holds."""
    villages = _villages(session, commune, villages)
    sizes = {v.id: v.household_count for v in villages}
    if summary is None:
        summary = summarize(households, h3_resolution) if households is not None else \
            place_summary(session, commune.id, period=period, h3_resolution=h3_resolution,
                          village_id=village.id if village else None)
    surveyed = summary.villages
    share = None
    counts = {v.id: v.household_count for v in villages if v.household_count}
    if villages and len(counts) == len(villages) and surveyed:
        share = round(100 * sum(counts[v] for v in surveyed) / sum(counts.values()), 2)
    targets: dict[str, list[Target]] = {}
    for target in targets_for(session, commune.id):
        targets.setdefault(target.indicator, []).append(target)
    measured = measured_coverage(session, summary, period, h3_resolution)
    rows: list[IndicatorRow] = []
    for indicator in CATALOGUE.values():
        result = estimate_summary(indicator, summary, sizes, h3_resolution=h3_resolution,
                                  measured=measured)
        in_force = current_target(targets.get(indicator.code, []), today)
        rows.append(indicator_row(indicator.code, result, in_force, share, today, minimum,
                         targets.get(indicator.code, [])))
    return {"commune": commune.slug, "village": village.slug if village else None,
            "period": period.label if period else None, "households": summary.households,
            "indicators": rows}


def target_statuses(session: Session, commune: Commune, *, today: date, minimum: int,
                    h3_resolution: int) -> dict[int, TargetStatus]:
    """Each target of the commune (not only the one in force) against all data: target id →
    status, gap, years_left, points_per_year, expected — what the targets page shows."""
    targets = targets_for(session, commune.id)
    if not targets:
        return {}
    sizes = {v.id: v.household_count for v in session.scalars(
        select(Village).where(Village.commune_id == commune.id))}
    summary = place_summary(session, commune.id, period=None, h3_resolution=h3_resolution)
    return statuses_of(session, targets, summary, sizes, today=today, minimum=minimum,
                       h3_resolution=h3_resolution)


def statuses_of(session: Session, targets: list[Target], summary: Summary,
                sizes: dict[int, int | None], *, today: date, minimum: int,
                h3_resolution: int) -> dict[int, TargetStatus]:
    """Each of `targets` against the place's `summary` (village id → household count: `sizes`):
    target id → status and progress. A commune's targets page and an area's share it."""
    codes = {t.indicator for t in targets if t.indicator in CATALOGUE}
    measured = (measured_coverage(session, summary, None, h3_resolution)
                if any(CATALOGUE[c].kind == "area" for c in codes) else None)
    found = {code: estimate_summary(CATALOGUE[code], summary, sizes, h3_resolution=h3_resolution,
                                    measured=measured) for code in codes}
    result: dict[int, TargetStatus] = {}
    for target in targets:
        if target.indicator not in found:
            continue
        estimate = found[target.indicator]
        least = {"village": MIN_VILLAGES, "area": MIN_CELLS}.get(CATALOGUE[target.indicator].unit,
                                                                minimum)
        result[target.id] = {
            "value": estimate.value, "census": estimate.census, "unweighted": estimate.unweighted,
            "status": status(estimate, target, minimum=least, today=today),
            **progress(estimate, target if target.value is not None else None, today)}
    return result


def place_summary(session: Session, commune_id: int, *, period: Period | None,
                  h3_resolution: int, village_id: int | None = None) -> Summary:
    """The counted households of a place and period: from the rollups, whose cells are of
    resolution 8; at another area resolution from the households themselves (H3 cells do not nest
    exactly, so resolution-8 counts cannot be regrouped into other cells)."""
    if h3_resolution != ROLLUP_RESOLUTION:
        return summarize(load_households(session, commune_id, period=period,
                                         village_id=village_id), h3_resolution)
    first, last = period.months if period else (None, None)
    return load_summary(session, commune_id, village_id=village_id, first_month=first,
                        last_month=last)


def measured_coverage(session: Session, summary: Summary, period: Period | None,
                      resolution: int) -> dict[str, frozenset[str]]:
    """Partners' usable coverage in the populated cells, for the area indicators."""
    from surveys.coverage.rollups import usable_cells

    cells = summary.located_cells(resolution)
    if not cells:
        return {}
    return usable_cells(session, cells,
                        first_period=period.months[0] if period else None,
                        last_period=period.months[1] if period else None)


def current_target(targets: list[Target], today: date) -> Target | None:
    """The target now in force: the nearest deadline not yet past, else the latest one."""
    real = [t for t in targets if t.value is not None]
    upcoming = sorted((t for t in real if t.target_year and t.target_year >= today.year),
                      key=lambda t: t.target_year or 0)
    if upcoming:
        return upcoming[0]
    if real:
        return max(real, key=lambda t: t.target_year or 0)
    return targets[0] if targets else None


def indicator_row(code: str, result: Estimate, target: Target | None, share: float | None, today: date,
         minimum: int, all_targets: list[Target]) -> IndicatorRow:
    indicator = CATALOGUE[code]
    return {
        "code": code, "name": {"vi": indicator.name.vi, "en": indicator.name.en},
        "unit": indicator.unit, "value": result.value, "ci_low": result.ci_low,
        "ci_high": result.ci_high, "numerator": result.numerator,
        "denominator": result.denominator, "n": result.n, "weighted": result.weighted,
        "households_share": share if result.weighted else None,
        # Census indicators count every unit: ci_low/ci_high are null. unweighted: pooled over
        # several villages without their household counts, may be biased (no status claimed).
        "census": result.census, "unweighted": result.unweighted,
        "effective_n": result.effective_n, "df": result.df,
        "ci_low_one_sided": result.ci_low_one_sided,
        "target": target.value if target else None,
        "comparator": target.comparator if target else None,
        "target_year": target.target_year if target else None,
        "baseline": target.baseline_value if target else None,
        "baseline_year": target.baseline_year if target else None,
        "start_year": target.start_year if target else None,
        "status": status(result, target, today=today, minimum={"village": MIN_VILLAGES,
                                                                "area": MIN_CELLS}.get(indicator.unit,
                                                                                       minimum)),
        **progress(result, target if target and target.value is not None else None, today),
        "source": (f"{target.source_document}, {target.source_article}".strip(", ")
                   if target else None),
        "targets": [t.id for t in all_targets],
        "definition": {"vi": indicator.definition.vi, "en": indicator.definition.en},
        "plan_wording": {"vi": PLAN_WORDING[code].vi, "en": PLAN_WORDING[code].en},
    }
