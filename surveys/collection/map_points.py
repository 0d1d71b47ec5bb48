"""Survey points for the map: where consenting households were surveyed, and nothing else.

Personal data rule (docs/maps.md, docs/privacy.md): a point carries its position (5 decimals,
about 1 m, as the phone sent it), its village and the day of the visit — never answers, household
codes or the surveyor. Staff of the commune and admins see every point; a surveyor sees only the
households they surveyed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.indicators.report import Period
from surveys.indicators.rollups import COUNTED_OUT
from surveys.models import Commune, Role, Submission, User, Village
from surveys.places.vntime import VIETNAM


def survey_points(session: Session, commune: Commune, user: User, *,
                  period: Period | None = None) -> list[dict[str, Any]]:
    """Located, counted (neither rejected nor superseded) surveys of consenting households the
    user may see."""
    query = (select(Submission.lat, Submission.lon, Submission.collected_at, Submission.answers,
                    Village.slug, Village.name)
             .join(Village, Village.id == Submission.village_id)
             .where(Submission.commune_id == commune.id, Submission.survey == "household",
                    Submission.review_status.not_in(COUNTED_OUT), Submission.lat.is_not(None),
                    Submission.lon.is_not(None))
             .order_by(Submission.collected_at, Submission.id))
    if user.role not in (Role.STAFF, Role.ADMIN):
        query = query.where(Submission.surveyor_id == user.id)
    if period is not None:
        query = query.where(Submission.collected_at >= period.start,
                            Submission.collected_at < period.end)
    return [{"lat": round(lat, 5), "lon": round(lon, 5), "village": slug, "village_name": name,
             "date": when.astimezone(VIETNAM).date().isoformat()}
            for lat, lon, when, answers, slug, name in session.execute(query)
            if answers.get("consent") == "yes"]
