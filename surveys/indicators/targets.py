"""Plan targets and each indicator's status against them. Takes a Session; never commits.

Status (docs/indicators.md, in this order):
- baseline: a baseline-only row (a figure the plan reports, no target);
- insufficient_data: fewer sampling units than the minimum, or no estimate at all;
- unweighted: a commune value pooled over several villages without their household counts (may
  be biased): no claim is made from it;
- met: for a sample, the whole 95 % interval clears the target (lower bound ≥ target for ">=" and
  "=", > for ">", "trên"); a 100 % target (">=" or "=", "đạt 100 %") is met when no exception was
  found (value 100 %) and the one-sided 95 % lower bound is at least FULL_TARGET_TOLERANCE; for a
  census (village_4g, area_*), the value itself reaches the target (100 %: every unit). "=" below
  100 % ("đạt 65 %") is a level to reach: the same check as ">=" (docs/indicators.md, "Targets");
- behind: even the upper bound (a census: the value) is below where the plan should be by now — the
  straight line from the baseline to the target: from (start year, baseline value) at the start of
  the plan's first year to the target at the end of its target year when the plan's start year is
  entered, else from (baseline year, baseline value) as before; without a baseline, the target
  itself once its year has come (a census not met in its target year is behind);
- no_trajectory: no baseline and the target year not yet come: the plan gives no line to be on;
  the gap and the points per year still needed are shown instead (`progress`);
- on_track: anything else (on the baseline's line, or past the deadline and not yet decidable).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.errors import Problem, Text
from surveys.indicators import CATALOGUE, Estimate
from surveys.indicators.results import Progress
from surveys.models import Commune, CommuneGroup, Province, Target

COMPARATORS = (">=", ">", "=")  # "=": the plan's "đạt X %" (reach X), stored as "="
STATUSES = ("met", "on_track", "no_trajectory", "behind", "unweighted", "insufficient_data",
            "baseline")
FULL_TARGET = 100.0
# A 100 % target, measured by a sample, counts as met when no household (person) without it was
# found and the one-sided 95 % lower bound reaches this (docs/indicators.md).
FULL_TARGET_TOLERANCE = 95.0
FIELDS = ("indicator", "comparator", "value", "target_year", "baseline_value", "baseline_year",
          "start_year", "source_document", "source_article", "source_text")


def expected_by(target: Target, today: date) -> float | None:
    """Where the plan should stand today: on the line from the baseline to the target. With the
    plan's start year, the line runs from the baseline at the start of that year to the target at
    the end of the target year; without it, from the baseline year to the target year (as
    before). No baseline: no line (None) until the target year, then the target itself."""
    if target.value is None or target.target_year is None:
        return None
    if target.baseline_value is None or target.baseline_year is None:
        return target.value if today.year >= target.target_year else None
    if target.start_year is not None:
        elapsed = today.year + (today.timetuple().tm_yday - 1) / 365.25 - target.start_year
        share = min(1.0, max(0.0, elapsed / (target.target_year + 1 - target.start_year)))
        return target.baseline_value + (target.value - target.baseline_value) * share
    span = target.target_year - target.baseline_year
    if span <= 0:
        return target.value
    progress = min(1.0, max(0.0, (today.year + (today.timetuple().tm_yday - 1) / 365.25
                                  - target.baseline_year) / span))
    return target.baseline_value + (target.value - target.baseline_value) * progress


def status(estimate: Estimate | None, target: Target | None, *, minimum: int,
           today: date) -> str | None:
    if target is not None and target.value is None:
        return "baseline"
    if estimate is None or estimate.value is None or estimate.n < minimum:
        return "insufficient_data"
    if target is None:
        return None
    if estimate.unweighted:
        return "unweighted"
    if meets(estimate, target):
        return "met"
    expected = expected_by(target, today)
    high = estimate.value if estimate.census else estimate.ci_high
    assert high is not None
    if expected is not None and high < expected:
        return "behind"
    if estimate.census and target.target_year is not None and today.year >= target.target_year:
        return "behind"  # a count has no uncertainty: not met in the target's year is behind
    if expected is None:
        return "no_trajectory"
    return "on_track"


def meets(estimate: Estimate, target: Target) -> bool:
    """Does the estimate reach the target (docs/indicators.md, "Met")? ">" needs more than the
    target; ">=" and "=" (the plan's "đạt X %") reach it, with the 100 % rule at 100."""
    assert estimate.value is not None and target.value is not None
    strict = target.comparator == ">"
    if estimate.census:
        return estimate.value > target.value if strict else estimate.value >= target.value
    low = estimate.ci_low
    assert low is not None
    if low > target.value or (not strict and low >= target.value):
        return True
    return (not strict and target.value >= FULL_TARGET and estimate.value >= FULL_TARGET
            and estimate.ci_low_one_sided is not None
            and estimate.ci_low_one_sided >= FULL_TARGET_TOLERANCE)


def progress(estimate: Estimate | None, target: Target | None, today: date) -> Progress:
    """What is left to do: the gap to the target in percentage points (0 once reached), the years
    left until the end of the target year, and the points per year still needed."""
    empty: Progress = {"gap": None, "years_left": None, "points_per_year": None,
                             "expected": None}
    if (estimate is None or estimate.value is None or target is None or target.value is None
            or target.target_year is None):
        return empty
    gap = round(max(0.0, target.value - estimate.value), 2)
    years_left = max(0.0, (date(target.target_year, 12, 31) - today).days + 1) / 365.25
    per_year = None
    if gap == 0:
        per_year = 0.0
    elif years_left > 0:
        per_year = round(gap / years_left, 1)
    expected = expected_by(target, today)
    return {"gap": gap, "years_left": round(years_left, 1), "points_per_year": per_year,
            "expected": None if expected is None else round(expected, 2)}


def _parse(raw: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    errors: dict[str, Text] = {}
    clean: dict[str, Any] = {}
    for key in sorted(set(raw) - set(FIELDS) - {"commune", "area"}):
        errors[key] = Text("Trường không được hỗ trợ.", "Unknown field.")
    if "indicator" in raw or not partial:
        if raw.get("indicator") not in CATALOGUE:
            errors["indicator"] = Text("Không có chỉ tiêu {v}.", "No indicator {v}.").format(
                v=repr(raw.get("indicator")))
        else:
            clean["indicator"] = raw["indicator"]
    if "comparator" in raw:
        if raw["comparator"] not in (*COMPARATORS, None):
            errors["comparator"] = Text("So sánh phải là >=, > hoặc =.",
                                        "comparator must be >=, > or =.")
        else:
            clean["comparator"] = raw["comparator"]
    for key in ("value", "baseline_value"):
        if key in raw:
            value = raw[key]
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                      or not 0 <= value <= 100):
                errors[key] = Text("Phải là phần trăm từ 0 đến 100.",
                                   "Must be a percentage between 0 and 100.")
            else:
                clean[key] = None if value is None else float(value)
    for key in ("target_year", "baseline_year", "start_year"):
        if key in raw:
            value = raw[key]
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or not 2000 <= value <= 2100):
                errors[key] = Text("Năm không hợp lệ.", "Not a valid year.")
            else:
                clean[key] = value
    for key in ("source_document", "source_article", "source_text"):
        if key in raw:
            if not isinstance(raw[key], str) or len(raw[key]) > (5000 if key == "source_text"
                                                                 else 300):
                errors[key] = Text("Phải là văn bản ngắn.", "Must be (short) text.")
            else:
                clean[key] = raw[key].strip()
    if errors:
        raise Problem("422.1", errors=errors)
    return clean


def _check_whole(target: Target) -> None:
    errors: dict[str, Text] = {}
    if target.value is None and target.baseline_value is None:
        errors["value"] = Text("Cần giá trị chỉ tiêu hoặc giá trị cơ sở.",
                               "Give a target value or a baseline value.")
    if target.value is not None:
        if target.comparator is None:
            errors["comparator"] = Text("Cần so sánh >=, > hoặc =.", "comparator is required.")
        if target.target_year is None:
            errors["target_year"] = Text("Cần năm phải đạt.", "target_year is required.")
    if (target.baseline_value is None) != (target.baseline_year is None):
        errors["baseline_year"] = Text("Giá trị cơ sở và năm cơ sở đi cùng nhau.",
                                       "baseline_value and baseline_year go together.")
    if (target.baseline_year and target.target_year
            and target.baseline_year > target.target_year):
        errors["baseline_year"] = Text("Năm cơ sở phải trước năm chỉ tiêu.",
                                       "baseline_year must not be after target_year.")
    if target.start_year is not None and target.target_year is not None \
            and target.start_year > target.target_year:
        errors["start_year"] = Text("Năm bắt đầu kế hoạch phải trước năm chỉ tiêu.",
                                    "start_year must not be after target_year.")
    if errors:
        raise Problem("422.1", errors=errors)


def create_target(session: Session, commune: Commune | CommuneGroup | Province,
                  raw: Mapping[str, Any]) -> Target:
    """A target of a commune, or of a group of communes or a province (an area's own level)."""
    fields = {"source_document": "", "source_article": "", "source_text": "",
              **_parse(raw, partial=False)}
    target = Target(**fields)
    if isinstance(commune, Province):
        target.province = commune
    elif isinstance(commune, CommuneGroup):
        target.group = commune
    else:
        target.commune = commune
    _check_whole(target)
    session.add(target)
    session.flush()
    return target


def update_target(session: Session, target: Target, raw: Mapping[str, Any]) -> Target:
    for key, value in _parse(raw, partial=True).items():
        setattr(target, key, value)
    _check_whole(target)
    session.flush()
    return target


def targets_for(session: Session, commune_id: int) -> list[Target]:
    return list(session.scalars(select(Target).where(Target.commune_id == commune_id)
                                .order_by(Target.indicator, Target.target_year, Target.id)))


def target_json(target: Target) -> dict[str, Any]:
    place = target.commune or target.group or target.province
    return {"id": target.id, "commune": target.commune.slug if target.commune else None,
            "area": place.slug if place else None, "indicator": target.indicator,
            "comparator": target.comparator, "value": target.value,
            "target_year": target.target_year, "baseline_value": target.baseline_value,
            "baseline_year": target.baseline_year, "start_year": target.start_year,
            "source_document": target.source_document,
            "source_article": target.source_article, "source_text": target.source_text}
