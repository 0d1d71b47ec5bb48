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

The rules themselves are in surveys/collection/quality_rules.py (pure), the registry of flags (code,
rule, order, labels and wording vi/en) in surveys/collection/quality_flags.py, whose `evaluate()`
runs them (a submission's values and a `Context` in, flags out). This module reads what the rules
need from the database: `load_context()` in two indexed queries, whatever the village already holds,
with the boundaries parsed once per process (surveys/places/geometries.py); `compute_flags()` does
both, before the submission is stored. Never imports Flask; never commits.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import bindparam, select, union_all
from sqlalchemy.orm import Session

from surveys.collection.quality_flags import FLAG_CODES, FLAGS, evaluate
from surveys.collection.quality_rules import (
    IMPLAUSIBLE_RULES,
    NOT_COUNTED,
    Context,
    Flags,
    Neighbour,
    QualityLimits,
    RoundInfo,
    Values,
    similarity,
)
from surveys.models import Commune, Submission, SurveyRound, Village
from surveys.places import geometries
from surveys.places.lookup_keys import grid_squares

__all__ = ["FLAGS", "FLAG_CODES", "IMPLAUSIBLE_RULES", "NOT_COUNTED", "Context", "Flags",
           "QualityLimits", "Values", "compute_flags", "evaluate", "load_context", "similarity"]

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
