"""The rules of the automatic quality flags: each reads a submission's values (`Values`) and what
the database told about its village and commune (`Context`), and answers what the flag rests on, or
None. Pure: no database, no Flask. Which rule is which flag, in which order, with which labels:
surveys/collection/quality_flags.py (the registry); docs/quality.md explains them for staff.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from geopy.distance import geodesic
from shapely.geometry import Point
from shapely.ops import nearest_points

from surveys.models import Submission
from surveys.places.geometries import FLAT_EARTH_MARGIN, Area, flat_km
from surveys.places.lookup_keys import normalise_code

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

# Statuses whose submissions no longer count: never a duplicate's twin, never in indicators.
NOT_COUNTED = ("rejected", "superseded")
FUTURE_TOLERANCE = timedelta(minutes=1)
SIMILAR_SHARE = 0.9
# Free text, codes and measurements differ between two visits of one home: not compared.
NOT_COMPARED = frozenset({"household_code", "notes", "photo", "speedtest_download_mbps",
                          "speedtest_upload_mbps", "speedtest_latency_ms"})

# Highest speed (Mbps) each connection can plausibly deliver in Vietnam today: ADSL2+ tops out at
# 24 Mbps, DOCSIS cable and FTTH plans sold to homes at 1–2 Gbps, 4G at a few hundred Mbps.
FIXED_MAX_MBPS = {"adsl": 24, "cable": 1000, "fiber": 2000, "fixed_wireless": 1000}
MOBILE_MAX_MBPS = {"none": 0, "2g": 0.5, "3g": 42, "4g": 300, "5g": 3000}
MAX_ADULTS = 10
MAX_MEMBERS = 15


@dataclass(frozen=True)
class QualityLimits:
    """The configurable thresholds (QUALITY_* settings); defaults equal the settings' defaults."""

    gps_max_accuracy_m: float = 100.0
    village_max_km: float = 2.0
    duplicate_metres: float = 15.0
    min_seconds: int = 120
    max_days_before_round: int = 30


@dataclass(frozen=True)
class Neighbour:
    """Another counted submission of the same village, as the duplicate rule needs it."""

    id: int
    household_code: str | None
    lat: float | None
    lon: float | None
    answers: dict[str, Any]


@dataclass(frozen=True)
class RoundInfo:
    name: str
    starts_on: date
    ends_on: date


@dataclass
class Context:
    """What the rules need besides the submission itself."""

    commune_area: Area | None = None
    village_area: Area | None = None
    village_centroid: tuple[float, float] | None = None
    neighbours: list[Neighbour] = field(default_factory=list)
    rounds: list[RoundInfo] = field(default_factory=list)


@dataclass(frozen=True)
class Values:
    """The parts of a submission the rules read."""

    lat: float | None
    lon: float | None
    accuracy_m: float | None
    answers: Mapping[str, Any]
    collected_at: datetime
    received_at: datetime
    started_at: datetime | None = None

    @classmethod
    def of(cls, submission: Submission) -> Values:
        return cls(submission.lat, submission.lon, submission.accuracy_m, submission.answers,
                   submission.collected_at, submission.received_at, submission.started_at)


Flags = dict[str, dict[str, Any]]
Details = dict[str, Any] | None  # what one flag rests on, or None when it does not apply


def _has_location(v: Values) -> bool:
    return v.lat is not None and v.lon is not None


def gps_mock(v: Values, context: Context, limits: QualityLimits) -> Details:
    if not _has_location(v) or v.accuracy_m is None or v.accuracy_m != 0:
        return None
    return {"accuracy_m": 0}


def gps_inaccurate(v: Values, context: Context, limits: QualityLimits) -> Details:
    if (not _has_location(v) or v.accuracy_m is None or v.accuracy_m == 0
            or v.accuracy_m <= limits.gps_max_accuracy_m):
        return None
    return {"accuracy_m": v.accuracy_m, "limit_m": limits.gps_max_accuracy_m}


def outside_commune(v: Values, context: Context, limits: QualityLimits) -> Details:
    if v.lat is None or v.lon is None or context.commune_area is None:
        return None
    if context.commune_area.covers(Point(v.lon, v.lat)):
        return None
    return {"lat": v.lat, "lon": v.lon}


def village_distance_km(lat: float, lon: float, context: Context,
                        limit_km: float) -> tuple[float, str] | None:
    """Km from a point to the village (its boundary if stored, else its centroid): geodesic, except
    that a point clearly within `limit_km` is answered by the flat-earth distance (it cannot be
    flagged, and a geodesic costs more than the rest of the rules together)."""
    point = Point(lon, lat)
    if context.village_area is not None:
        if context.village_area.covers(point):
            return 0.0, "boundary"
        nearest = nearest_points(context.village_area.geometry, point)[0]
        target, measured_to = (nearest.y, nearest.x), "boundary"
    elif context.village_centroid is not None:
        target, measured_to = context.village_centroid, "centroid"
    else:
        return None
    flat = flat_km(lat, lon, *target)
    if flat < limit_km * (1 - FLAT_EARTH_MARGIN):
        return flat, measured_to
    return geodesic((lat, lon), target).km, measured_to


def far_from_village(v: Values, context: Context, limits: QualityLimits) -> Details:
    if v.lat is None or v.lon is None:
        return None
    measured = village_distance_km(v.lat, v.lon, context, limits.village_max_km)
    if measured is None or measured[0] <= limits.village_max_km:
        return None
    return {"distance_km": round(measured[0], 2), "measured_to": measured[1],
            "limit_km": limits.village_max_km}


def similarity(a: Mapping[str, Any], b: Mapping[str, Any]) -> float:
    """Share of the questions answered in either (free text, codes and measurements aside) that
    have equal answers (lists compared as sets)."""
    keys = (set(a) | set(b)) - NOT_COMPARED
    if not keys:
        return 0.0

    def same(x: Any, y: Any) -> bool:
        if isinstance(x, list) and isinstance(y, list):
            return set(map(str, x)) == set(map(str, y))
        return x == y

    return sum(1 for k in keys if same(a.get(k), b.get(k))) / len(keys)


def duplicate_household(v: Values, context: Context, limits: QualityLimits) -> Details:
    code = normalise_code(v.answers.get("household_code"))
    same_code = [n.id for n in context.neighbours
                 if code is not None and normalise_code(n.household_code) == code]
    nearby = []
    if v.lat is not None and v.lon is not None:
        for n in context.neighbours:
            if n.lat is None or n.lon is None or n.id in same_code:
                continue
            # The flat-earth distance rules out the many neighbours of a dense village cheaply;
            # the geodesic decides the rest (surveys/places/geometries.py).
            if flat_km(v.lat, v.lon, n.lat, n.lon) * 1000 > \
                    limits.duplicate_metres * (1 + FLAT_EARTH_MARGIN):
                continue
            metres = geodesic((v.lat, v.lon), (n.lat, n.lon)).m
            if metres <= limits.duplicate_metres:
                share = similarity(v.answers, n.answers)
                if share >= SIMILAR_SHARE:
                    nearby.append({"id": n.id, "distance_m": round(metres, 1),
                                   "similarity": round(share, 2)})
    if not same_code and not nearby:
        return None
    details: dict[str, Any] = {"submission_ids": sorted(same_code + [n["id"] for n in nearby])}
    if same_code:
        details["household_code"] = v.answers.get("household_code")
    if nearby:
        details["nearby"] = nearby
        details["limit_m"] = limits.duplicate_metres
    return details


def _int(answers: Mapping[str, Any], name: str) -> float | None:
    value = answers.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return value


def _many_adults(a: Mapping[str, Any]) -> dict[str, Any] | None:
    n = _int(a, "members_adult")
    return None if n is None or n <= MAX_ADULTS else {
        "question": "members_adult", "value": n, "limit": MAX_ADULTS}


def _many_members(a: Mapping[str, Any]) -> dict[str, Any] | None:
    n = _int(a, "members_total")
    return None if n is None or n <= MAX_MEMBERS else {
        "question": "members_total", "value": n, "limit": MAX_MEMBERS}


def _plan_faster_than_line(a: Mapping[str, Any]) -> dict[str, Any] | None:
    speed, line = _int(a, "fixed_speed_mbps"), a.get("fixed_broadband")
    ceiling = FIXED_MAX_MBPS.get(line) if isinstance(line, str) else None
    return None if speed is None or ceiling is None or speed <= ceiling else {
        "question": "fixed_speed_mbps", "value": speed, "limit": ceiling, "connection": line}


def _measured_faster_than_home(a: Mapping[str, Any]) -> dict[str, Any] | None:
    speed = _int(a, "speedtest_download_mbps")
    mobile, fixed = a.get("mobile_best_technology"), a.get("fixed_broadband")
    if speed is None or not isinstance(mobile, str) or not isinstance(fixed, str):
        return None
    ceilings = [MOBILE_MAX_MBPS.get(mobile), FIXED_MAX_MBPS.get(fixed) if fixed != "none" else 0]
    if any(c is None for c in ceilings):
        return None
    ceiling = max(c for c in ceilings if c is not None)
    return None if speed <= ceiling else {
        "question": "speedtest_download_mbps", "value": speed, "limit": ceiling,
        "connection": {"mobile": mobile, "fixed": fixed}}


def _bars_without_signal(a: Mapping[str, Any]) -> dict[str, Any] | None:
    bars = _int(a, "mobile_signal_bars")
    return None if a.get("mobile_best_technology") != "none" or not bars else {
        "question": "mobile_signal_bars", "value": bars, "limit": 0}


# Rule name → check; each answers None or what the flag rests on. A registry: add rules here.
IMPLAUSIBLE_RULES: dict[str, Callable[[Mapping[str, Any]], dict[str, Any] | None]] = {
    "many_adults": _many_adults,
    "many_members": _many_members,
    "plan_faster_than_line": _plan_faster_than_line,
    "measured_faster_than_home": _measured_faster_than_home,
    "bars_without_signal": _bars_without_signal,
}


def implausible(v: Values, context: Context, limits: QualityLimits) -> Details:
    found = []
    for rule, check in IMPLAUSIBLE_RULES.items():
        hit = check(v.answers)
        if hit is not None:
            found.append({"rule": rule, **hit})
    return {"rules": found} if found else None


def too_fast(v: Values, context: Context, limits: QualityLimits) -> Details:
    if v.started_at is None or v.answers.get("consent") != "yes":
        return None
    seconds = (v.collected_at - v.started_at).total_seconds()
    if seconds >= limits.min_seconds:
        return None
    return {"seconds": round(seconds), "limit_seconds": limits.min_seconds}


def round_of(rounds: list[RoundInfo], day: date) -> RoundInfo | None:
    """The round running on `day`, else the latest one that had started by then."""
    running = [r for r in rounds if r.starts_on <= day <= r.ends_on]
    started = running or [r for r in rounds if r.starts_on <= day]
    return max(started, key=lambda r: r.starts_on, default=None)


def time_out_of_range(v: Values, context: Context, limits: QualityLimits) -> Details:
    if v.collected_at > v.received_at + FUTURE_TOLERANCE:
        ahead = (v.collected_at - v.received_at).total_seconds()
        return {"reason": "future", "seconds_ahead": round(ahead)}
    survey_round = round_of(context.rounds, v.received_at.astimezone(VIETNAM).date())
    if survey_round is None:
        return None
    collected = v.collected_at.astimezone(VIETNAM).date()
    days = (survey_round.starts_on - collected).days
    if days <= limits.max_days_before_round:
        return None
    return {"reason": "before_round", "round": survey_round.name,
            "starts_on": survey_round.starts_on.isoformat(),
            "days_before": days, "limit_days": limits.max_days_before_round}


