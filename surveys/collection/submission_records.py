"""Reading household submissions: which a user may see, a page of them, and their JSON (the API's
contract). Takes a Session; never imports Flask; never commits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload, object_session, selectinload

from surveys.errors import Problem
from surveys.models import Commune, CommuneGroupMember, Role, Submission, User, Village

# What submission_json reads, loaded with the row instead of one lazy query per relation.
FULL_RECORD = (joinedload(Submission.village).defer(Village.boundary_hash)
               .joinedload(Village.commune)
               # The boundary is a GeoJSON of up to hundreds of KB: never decode it per submission.
               .defer(Commune.boundary).defer(Commune.boundary_hash),
               joinedload(Submission.surveyor), selectinload(Submission.attachments))


def visible_submissions(user: User) -> Select[Submission]:
    query = select(Submission)
    if user.role == Role.ADMIN:
        return query
    if user.role == Role.STAFF and user.province_id is not None:  # reads its communes' data
        return query.where(Submission.commune_id.in_(
            select(Commune.id).where(Commune.province_id == user.province_id)))
    if user.role == Role.STAFF and user.group_id is not None:
        return query.where(Submission.commune_id.in_(
            select(CommuneGroupMember.commune_id).where(
                CommuneGroupMember.group_id == user.group_id)))
    if user.role == Role.STAFF:
        return query.where(Submission.commune_id == user.commune_id)
    if user.role == Role.SURVEYOR:
        return query.where(Submission.surveyor_id == user.id)
    raise Problem("403.1")


def list_submissions(session: Session, user: User, *, page: int, per_page: int,
                     conditions: Sequence[Any] = ()) -> tuple[list[Submission], int]:
    """A page of the submissions the user may see; `conditions`: filters (surveys/collection/review.py)."""
    query = visible_submissions(user).where(*conditions)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.options(*FULL_RECORD)
                           .order_by(Submission.received_at.desc(), Submission.id.desc())
                           .limit(per_page).offset((page - 1) * per_page)).all()
    return list(rows), total or 0


def get_visible_submission(session: Session, user: User, submission_id: int) -> Submission:
    submission = session.scalar(visible_submissions(user).options(*FULL_RECORD)
                                .where(Submission.id == submission_id))
    if submission is None:
        raise Problem("404.1")
    return submission


def superseded_instance_ids(session: Session, rows: Iterable[Submission]) -> dict[int, str]:
    """The instance_id of each submission the rows correct, by its id: one query for a page."""
    ids = sorted({s.supersedes_id for s in rows if s.supersedes_id is not None})
    if not ids:
        return {}
    return {row.id: row.instance_id for row in session.execute(
        select(Submission.id, Submission.instance_id).where(Submission.id.in_(ids)))}


def _superseded_instance_id(submission: Submission) -> str | None:
    if submission.supersedes_id is None:
        return None
    session = object_session(submission)
    return session.scalar(select(Submission.instance_id)
                          .where(Submission.id == submission.supersedes_id)) if session else None


def submissions_json(session: Session, rows: Sequence[Submission]) -> list[dict[str, Any]]:
    """A page of submissions as JSON, the corrected submissions' instance_ids read at once."""
    superseded = superseded_instance_ids(session, rows)
    return [submission_json(s, superseded=superseded) for s in rows]


def submission_json(submission: Submission, *,
                    superseded: Mapping[int, str] | None = None) -> dict[str, Any]:
    """The API's JSON of a submission. `superseded`: the corrected submissions' instance_ids by id
    (superseded_instance_ids), read once for a page; without it, one query when needed."""
    location = None
    if submission.lat is not None and submission.lon is not None:
        location = {"lat": submission.lat, "lon": submission.lon,
                    "accuracy_m": submission.accuracy_m, "source": submission.location_source}
    return {
        "id": submission.id,
        "instance_id": submission.instance_id,
        "survey": submission.survey,
        "survey_version": submission.survey_version,
        "commune": submission.village.commune.slug,
        "village": submission.village.slug,
        "surveyor": submission.surveyor.username,
        "collected_at": submission.collected_at.isoformat(),
        "received_at": submission.received_at.isoformat(),
        "location": location,
        "answers": submission.answers,
        "review_status": submission.review_status,
        "review_reason": submission.review_reason,
        "flags": list(submission.flags or []),
        "flag_details": dict(submission.flag_details or {}),
        "supersedes": (_superseded_instance_id(submission) if superseded is None
                       else superseded.get(submission.supersedes_id)
                       if submission.supersedes_id is not None else None),
        "attachments": [{"question": a.question, "content_type": a.content_type,
                         "width": a.width, "height": a.height, "bytes": a.size_bytes}
                        for a in submission.attachments],
    }


