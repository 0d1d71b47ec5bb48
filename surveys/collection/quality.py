"""Automatic quality flags of a household submission, computed once, when it is first stored.

Each flag has a stable code (a contract: the API, the review queue's filter and exports use it) and
details: what the flag rests on, so a reviewer sees *why* without recomputing anything. The rules
(docs/quality.md explains them for staff):

- `gps_mock` — the location's accuracy is exactly 0 m. No real GPS fix reports a perfect accuracy;
  mock-location apps and some emulators do.
- `gps_inaccurate` — the accuracy is worse (larger) than `QUALITY_GPS_MAX_ACCURACY_M`.
- `outside_commune` — the location lies outside the commune's official boundary (shapely, on the
  stored GeoJSON; a point on the boundary line counts as inside).
- `far_from_village` — the location is farther than `QUALITY_VILLAGE_MAX_KM` from the chosen village:
  from its boundary polygon when one is stored (0 inside it), else from its centroid (geopy geodesic).
- `duplicate_household` — another counted submission of the same village has the same household
  code (ignoring case, spaces and dashes), or lies within `QUALITY_DUPLICATE_METRES` with
  near-identical answers (at least 90 % of the compared questions equal, see `similarity`).
- `implausible` — an answer that validation allows but that is very unlikely (IMPLAUSIBLE_RULES):
  more than 10 adults or 15 people in one household, a plan speed above what the connection type can
  carry (ADSL above 24 Mbps), a measured speed above what every connection of the home can carry,
  signal bars without any signal.
- `too_fast` — less than `QUALITY_MIN_SECONDS` between opening the form (`started_at`) and saving
  it, for a consenting household (a refusal is quick by nature). Not computed without `started_at`.
- `time_out_of_range` — collected more than a minute after the server received it (the phone's clock
  is ahead), or more than `QUALITY_MAX_DAYS_BEFORE_ROUND` days before the start of the commune's
  survey round (the round running when it arrived, else the latest one that had started).

`evaluate()` is pure (a submission's values and a `Context` in, flags out); `load_context()` reads
what it needs from the database in two indexed queries, whatever the village already holds, with the
boundaries parsed once per process (surveys/places/geometries.py); `compute_flags()` does both, before the
submission is stored. Never imports Flask; never commits.
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
from sqlalchemy import bindparam, select, union_all
from sqlalchemy.orm import Session

from surveys.models import Commune, Submission, SurveyRound, Village
from surveys.places import geometries
from surveys.places.geometries import FLAT_EARTH_MARGIN, Area, flat_km
from surveys.places.lookup_keys import grid_squares, normalise_code

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

FLAG_CODES = ("gps_mock", "gps_inaccurate", "outside_commune", "far_from_village",
              "duplicate_household", "implausible", "too_fast", "time_out_of_range")
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


def _has_location(v: Values) -> bool:
    return v.lat is not None and v.lon is not None


def gps_rules(v: Values, limits: QualityLimits) -> Flags:
    if not _has_location(v) or v.accuracy_m is None:
        return {}
    if v.accuracy_m == 0:
        return {"gps_mock": {"accuracy_m": 0}}
    if v.accuracy_m > limits.gps_max_accuracy_m:
        return {"gps_inaccurate": {"accuracy_m": v.accuracy_m,
                                   "limit_m": limits.gps_max_accuracy_m}}
    return {}


def outside_commune(v: Values, context: Context) -> Flags:
    if not _has_location(v) or context.commune_area is None:
        return {}
    if context.commune_area.covers(Point(v.lon, v.lat)):
        return {}
    return {"outside_commune": {"lat": v.lat, "lon": v.lon}}


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


def far_from_village(v: Values, context: Context, limits: QualityLimits) -> Flags:
    if not _has_location(v):
        return {}
    measured = village_distance_km(v.lat, v.lon, context,  # type: ignore[arg-type]
                                   limits.village_max_km)
    if measured is None or measured[0] <= limits.village_max_km:
        return {}
    return {"far_from_village": {"distance_km": round(measured[0], 2), "measured_to": measured[1],
                                 "limit_km": limits.village_max_km}}


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


def duplicate_household(v: Values, context: Context, limits: QualityLimits) -> Flags:
    code = normalise_code(v.answers.get("household_code"))
    same_code = [n.id for n in context.neighbours
                 if code is not None and normalise_code(n.household_code) == code]
    nearby = []
    if _has_location(v):
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
        return {}
    details: dict[str, Any] = {"submission_ids": sorted(same_code + [n["id"] for n in nearby])}
    if same_code:
        details["household_code"] = v.answers.get("household_code")
    if nearby:
        details["nearby"] = nearby
        details["limit_m"] = limits.duplicate_metres
    return {"duplicate_household": details}


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
    ceiling = max(ceilings)  # type: ignore[type-var]
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


def implausible(v: Values) -> Flags:
    found = []
    for rule, check in IMPLAUSIBLE_RULES.items():
        hit = check(v.answers)
        if hit is not None:
            found.append({"rule": rule, **hit})
    return {"implausible": {"rules": found}} if found else {}


def too_fast(v: Values, limits: QualityLimits) -> Flags:
    if v.started_at is None or v.answers.get("consent") != "yes":
        return {}
    seconds = (v.collected_at - v.started_at).total_seconds()
    if seconds >= limits.min_seconds:
        return {}
    return {"too_fast": {"seconds": round(seconds), "limit_seconds": limits.min_seconds}}


def round_of(rounds: list[RoundInfo], day: date) -> RoundInfo | None:
    """The round running on `day`, else the latest one that had started by then."""
    running = [r for r in rounds if r.starts_on <= day <= r.ends_on]
    started = running or [r for r in rounds if r.starts_on <= day]
    return max(started, key=lambda r: r.starts_on, default=None)


def time_out_of_range(v: Values, context: Context, limits: QualityLimits) -> Flags:
    if v.collected_at > v.received_at + FUTURE_TOLERANCE:
        ahead = (v.collected_at - v.received_at).total_seconds()
        return {"time_out_of_range": {"reason": "future", "seconds_ahead": round(ahead)}}
    survey_round = round_of(context.rounds, v.received_at.astimezone(VIETNAM).date())
    if survey_round is None:
        return {}
    collected = v.collected_at.astimezone(VIETNAM).date()
    days = (survey_round.starts_on - collected).days
    if days <= limits.max_days_before_round:
        return {}
    return {"time_out_of_range": {"reason": "before_round", "round": survey_round.name,
                                  "starts_on": survey_round.starts_on.isoformat(),
                                  "days_before": days, "limit_days": limits.max_days_before_round}}


def evaluate(v: Values, context: Context, limits: QualityLimits) -> Flags:
    """Every flag that applies, in FLAG_CODES order, with what it rests on."""
    flags: Flags = {}
    flags.update(gps_rules(v, limits))
    flags.update(outside_commune(v, context))
    flags.update(far_from_village(v, context, limits))
    flags.update(duplicate_household(v, context, limits))
    flags.update(implausible(v))
    flags.update(too_fast(v, limits))
    flags.update(time_out_of_range(v, context, limits))
    return {code: flags[code] for code in FLAG_CODES if code in flags}


# Built once: the write path runs them for every household, and building a statement costs more
# than the database's answer. A household with no code (NULL) or no position (no squares) matches
# nothing on that side of the OR.
# A flag needs a few examples, not every one: a phone whose GPS is stuck on one spot, or a code
# typed the same for a whole village, must not make each new household read all the others.
MAX_NEIGHBOURS = 25
BOX_SLACK = 1.05


def _neighbours_where(*near: Any) -> Any:
    return select((select(Submission.id, Submission.answers, Submission.lat, Submission.lon)
                   .where(Submission.village_id == bindparam("village"),
                          Submission.survey == bindparam("survey"),
                          Submission.review_status.not_in(NOT_COUNTED),
                          Submission.id != bindparam("exclude"), *near)
                   .limit(MAX_NEIGHBOURS)).subquery())


# Two branches, each an equality on its own two-column index (a planner given one OR of both would
# take the village's index and read the whole village), each stopping at MAX_NEIGHBOURS rows;
# UNION ALL keeps it one statement.
_NEIGHBOURS = union_all(
    _neighbours_where(Submission.household_key == bindparam("key")),
    _neighbours_where(Submission.location_square.in_(bindparam("squares", expanding=True)),
                      Submission.lat.between(bindparam("south"), bindparam("north")),
                      Submission.lon.between(bindparam("west"), bindparam("east"))))
_ROUNDS = select(SurveyRound.name, SurveyRound.starts_on, SurveyRound.ends_on).where(
    SurveyRound.commune_id == bindparam("commune"))


def load_context(session: Session, village: Village, values: Values, *, survey: str,
                 household_key: str | None, exclude: int | None,
                 limits: QualityLimits) -> Context:
    """What the rules need, read in two small queries whatever the village holds: the neighbours
    through the (village, household_key) and (village, location_square) indexes, the rounds of the
    commune. The boundaries come from the geometry cache, keyed by their fingerprints."""
    box: dict[str, object] = {"squares": [], "south": None, "north": None, "west": None,
                              "east": None}
    if values.lat is not None and values.lon is not None:
        # A box just larger than the distance limit (5 %: a degree of latitude is 110.6–111.3 km
        # and the flat-earth distance is within 0.6 % of the geodesic), found through the grid
        # squares that cover it (an indexed IN), then the exact distance in evaluate(). Every row
        # it reads is decoded, so it is kept tight.
        dlat = limits.duplicate_metres / 110_000 * BOX_SLACK
        dlon = dlat / max(math.cos(math.radians(values.lat)), 0.01)
        south, north = values.lat - dlat, values.lat + dlat
        west, east = values.lon - dlon, values.lon + dlon
        box = {"squares": grid_squares(south, west, north, east), "south": south, "north": north,
               "west": west, "east": east}
    neighbours = []
    if household_key is not None or box["squares"]:
        rows = {row.id: row for row in session.execute(_NEIGHBOURS, {
            "village": village.id, "survey": survey, "key": household_key,
            "exclude": -1 if exclude is None else exclude, **box})}
        neighbours = [Neighbour(row.id, row.answers.get("household_code"), row.lat, row.lon,
                                row.answers) for _id, row in sorted(rows.items())]
    rounds = [RoundInfo(*row) for row in session.execute(_ROUNDS,
                                                         {"commune": village.commune_id})]
    centroid = None if village.lat is None or village.lon is None else (village.lat, village.lon)
    return Context(commune_area=geometries.area(session, Commune, village.commune_id,
                                                village.commune.boundary_hash),
                   village_area=geometries.area(session, Village, village.id,
                                                village.boundary_hash),
                   village_centroid=centroid, neighbours=neighbours, rounds=rounds)


def compute_flags(session: Session, village: Village, values: Values, *, survey: str,
                  household_key: str | None, exclude: int | None,
                  limits: QualityLimits) -> Flags:
    """A new submission's flags, computed before it is stored (so storing it is one INSERT)."""
    context = load_context(session, village, values, survey=survey, household_key=household_key,
                           exclude=exclude, limits=limits)
    return evaluate(values, context, limits)
