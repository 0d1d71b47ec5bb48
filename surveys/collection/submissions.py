"""Create and replay household submissions, and attach their photos. Takes a Session; never imports
Flask; never commits. Parsing the input: submission_input.py; reading and the JSON:
submission_records.py (both re-exported here, as the callers knew them).

Idempotency follows ODK Central's rule, without its race: the same instance_id with the same content
is a replay answered with the original record; with different content it is a conflict. The insert is
`INSERT .. ON CONFLICT DO NOTHING`, so concurrent sends of one new instance_id cannot both insert and
none of them fails on the unique constraint: the losers read the winner's row and answer as replays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, BinaryIO

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from surveys import audit, webhooks
from surveys.collection.photos import PhotoLimits, PhotoRejected, PhotoStore, photo_key, process_photo
from surveys.collection.quality import QualityLimits, Values, compute_flags
from surveys.collection.submission_input import (
    Location,
    SubmissionInput,
    parse_collected_at,
    parse_instance_id,
    parse_started_at,
    parse_submission,
    parse_supersedes,
)
from surveys.collection.submission_records import (
    FULL_RECORD,
    get_visible_submission,
    list_submissions,
    submission_json,
    submissions_json,
    superseded_instance_ids,
    visible_submissions,
)
from surveys.db import INSERTS, conflict_insert
from surveys.definitions import get_definition
from surveys.errors import Problem, Text
from surveys.indicators import rollups as indicator_rollups
from surveys.models import Attachment, Commune, ReviewNote, Role, Submission, User, Village, utcnow
from surveys.places.lookup_keys import grid_square, household_key

__all__ = ["FULL_RECORD", "SUBMITTING_ROLES", "Location", "SubmissionInput", "SubmissionResult",
           "attach_photo", "get_visible_submission", "list_submissions", "parse_collected_at",
           "parse_instance_id", "parse_started_at", "parse_submission", "parse_supersedes",
           "record_submission", "submission_json", "submissions_json", "superseded_instance_ids",
           "visible_submissions"]

SUBMITTING_ROLES = frozenset({Role.SURVEYOR, Role.STAFF, Role.ADMIN})


@dataclass(frozen=True)
class SubmissionResult:
    submission: Submission
    created: bool


def _insert_ignoring_conflict(session: Session, model: type[Submission] | type[Attachment],
                              values: dict[str, Any], unique: list[str]) -> int | None:
    """Insert a row unless one with the same unique key exists (or is being inserted right now:
    the database waits for that transaction); return the new id, or None on a conflict."""
    statement = (conflict_insert(session, model).values(**values)
                 .on_conflict_do_nothing(index_elements=unique).returning(model.id))
    return session.execute(statement).scalar_one_or_none()


@cache
def _insert_statement(dialect: str) -> Any:
    """Built once per database: the parameters go with each execution."""
    table: Any = Submission.__table__
    insert: Any = INSERTS[dialect](table)
    return insert.on_conflict_do_nothing(index_elements=["instance_id"]).returning(table.c.id)


# Columns a new submission starts without.
_UNREVIEWED = {"review_reason": None, "reviewed_at": None, "reviewed_by_id": None}


def _insert_submission(session: Session, values: dict[str, Any]) -> Submission | None:
    """Insert the new submission and return it as a persistent ORM object built from the very
    values written (no second query to read back what was just written); None when its
    instance_id is stored already."""
    new_id = session.execute(_insert_statement(session.get_bind().dialect.name),
                             values).scalar_one_or_none()
    if new_id is None:
        return None
    submission = Submission(id=new_id, **values, **_UNREVIEWED)
    make_transient_to_detached(submission)
    session.add(submission)
    set_committed_value(submission, "attachments", [])  # a new submission has none yet
    return submission


# The village as the write path needs it: its commune's slug and boundary fingerprint, never the
# boundary itself (hundreds of KB of GeoJSON).
VILLAGE_WITH_COMMUNE = joinedload(Village.commune).defer(Commune.boundary)
_VILLAGE = select(Village).options(VILLAGE_WITH_COMMUNE).where(
    Village.commune_id == bindparam("commune"), Village.slug == bindparam("slug"))


def resolve_village(session: Session, user: User, item: SubmissionInput) -> Village:
    if user.role == Role.STAFF and user.commune_id is None:
        raise Problem("403.1")  # staff of a province or group of communes collect nothing
    commune_slug = item.commune_slug
    commune_id: int | None
    if user.commune_id is not None:
        commune_id = user.commune_id
    elif commune_slug is None:
        raise Problem("422.1", errors={"commune": Text(
            "Tài khoản không gắn với xã nào: cần nêu commune.",
            "Your account has no commune: name the commune.")})
    else:
        commune_id = session.scalar(select(Commune.id).where(Commune.slug == commune_slug))
        if commune_id is None:
            raise Problem("422.1", errors={"commune": Text("Không có xã {v}.", "No commune {v}.")
                                           .format(v=commune_slug)})
    village = session.scalar(_VILLAGE, {"commune": commune_id, "slug": item.village_slug})
    if user.commune_id is not None and commune_slug is not None:
        own = village.commune.slug if village is not None else session.scalar(
            select(Commune.slug).where(Commune.id == user.commune_id))
        if commune_slug != own:
            raise Problem("403.1", message=Text(
                "Bạn chỉ gửi phiếu cho xã của mình ({own}).",
                "You can only submit for your own commune ({own}).").format(own=own))
    if village is None:
        raise Problem("422.1", errors={"village": Text(
            "Không có thôn {v} trong xã.", "No village {v} in the commune.").format(
            v=item.village_slug)})
    return village


NOT_CORRECTABLE = Text("Không có phiếu nào của bạn với mã này để sửa.",
                       "None of your submissions has this instance_id to correct.")


def correctable_original(session: Session, user: User, item: SubmissionInput,
                         village: Village) -> Submission:
    """The submission a correction replaces: the same surveyor's, same survey and commune, and not
    already replaced by another correction (a replay of this very correction is fine)."""
    original = session.scalar(select(Submission).where(Submission.instance_id == item.supersedes))
    if original is None or original.surveyor_id != user.id or \
            original.commune_id != village.commune_id or original.survey != item.definition.name:
        raise Problem("422.1", errors={"supersedes": NOT_CORRECTABLE})
    if original.review_status == "superseded":
        later = session.scalar(select(Submission.instance_id)
                               .where(Submission.supersedes_id == original.id))
        if later != item.instance_id:
            raise Problem("422.1", errors={"supersedes": Text(
                "Phiếu này đã được sửa bằng phiếu {v}; hãy sửa phiếu mới nhất.",
                "This submission was already corrected by {v}; correct the latest one.").format(
                v=later)})
    return original


def supersede(session: Session, user: User, original: Submission, correction: Submission) -> None:
    """Mark the original superseded (kept, with its history) and note why, in one guarded UPDATE:
    two corrections of one original racing each other cannot both win."""
    before = original.review_status
    result: Any = session.execute(
        update(Submission).where(Submission.id == original.id,
                                 Submission.review_status != "superseded")
        .values(review_status="superseded"))
    changed = result.rowcount
    if changed != 1:
        raise Problem("422.1", errors={"supersedes": Text(
            "Phiếu này vừa được sửa bằng một phiếu khác.",
            "This submission has just been corrected by another submission.")})
    session.refresh(original, ["review_status"])
    session.add(ReviewNote(submission_id=original.id, author_id=user.id, created_at=utcnow(),
                           status="superseded", reason=None,
                           comment=f"#{correction.id} {correction.instance_id}"))
    audit.record(session, "submission.correct", actor=user, commune_id=original.commune_id,
                 target_type="submission", target_id=original.id,
                 details={"before": {"review_status": before},
                          "after": {"review_status": "superseded",
                                    "superseded_by": correction.id}})


def record_submission(session: Session, user: User, item: SubmissionInput, *,
                      now: datetime | None = None,
                      quality: QualityLimits | None = None) -> SubmissionResult:
    """Store a submission once (replays answer the stored record); a new one gets its quality
    flags, and a correction (`supersedes`) marks the submission it replaces superseded.

    The cost does not grow with what is stored: the flags come from indexed look-ups and cached
    geometry and are computed before the INSERT (which then writes them), and the indicator
    rollups change by this household's contribution only, last, just before the caller commits
    (surveys/indicators/rollups.py). tests/integration/test_write_path.py counts the statements."""
    if user.role not in SUBMITTING_ROLES:
        raise Problem("403.1", message=Text("Vai trò {r} không gửi phiếu khảo sát.",
                                            "The {r} role cannot submit surveys.").format(r=user.role))
    village = resolve_village(session, user, item)
    original = correctable_original(session, user, item, village) if item.supersedes else None
    location = item.location
    received_at = now or utcnow()
    key = household_key(item.answers)
    values = Values(location.lat if location else None, location.lon if location else None,
                    location.accuracy_m if location else None, item.answers, item.collected_at,
                    received_at, item.started_at)
    flags = compute_flags(session, village, values, survey=item.definition.name,
                          household_key=key, exclude=None if original is None else original.id,
                          limits=quality or QualityLimits())
    content_hash = item.content_hash()
    submission = _insert_submission(session, {
        "instance_id": item.instance_id,
        "survey": item.definition.name,
        "survey_version": item.definition.version,
        "commune_id": village.commune_id,
        "village_id": village.id,
        "surveyor_id": user.id,
        "collected_at": item.collected_at,
        "received_at": received_at,
        "lat": values.lat,
        "lon": values.lon,
        "accuracy_m": values.accuracy_m,
        "location_source": "gps" if location else "manual",
        "answers": item.answers,
        "content_hash": content_hash,
        "household_key": key,
        "location_square": grid_square(values.lat, values.lon),
        "review_status": "received",
        "started_at": item.started_at,
        "supersedes_id": original.id if original is not None else None,
        "flags": list(flags),
        "flag_details": flags,
    })
    if submission is not None:
        replaced = None
        if original is not None:
            replaced = indicator_rollups.counted(original)  # before it is marked superseded
            supersede(session, user, original, submission)
        webhooks.enqueue(session, submission.commune_id, "submission.accepted",
                         webhooks.submission_event(submission, supersedes_instance_id=(
                             original.instance_id if original is not None else None)))
        indicator_rollups.apply(session, removed=[replaced],
                                added=[indicator_rollups.counted(submission)])
        return SubmissionResult(submission, created=True)
    existing = session.scalar(select(Submission).options(*FULL_RECORD)
                              .where(Submission.instance_id == item.instance_id))
    if existing is None or existing.content_hash != content_hash or existing.surveyor_id != user.id:
        raise Problem("409.1", errors={"instance_id": Text(
            "Đã có phiếu khác với mã này.", "Another record has this instance_id.")})
    return SubmissionResult(existing, created=False)


def attach_photo(session: Session, store: PhotoStore, user: User, submission: Submission,
                 question: str, stream: BinaryIO | bytes, limits: PhotoLimits
                 ) -> tuple[Attachment, bool]:
    """Store a photo answer; a re-upload of the same file is a replay, another file a conflict."""
    if submission.surveyor_id != user.id and user.role != Role.ADMIN:
        raise Problem("403.1", message=Text("Chỉ người gửi phiếu mới thêm được ảnh.",
                                            "Only the submitting surveyor can attach photos."))
    definition = get_definition(submission.survey)
    q = definition.by_name.get(question) if definition else None
    if q is None or q.type != "image":
        images = ", ".join(x.name for x in (definition.questions if definition else ())
                           if x.type == "image")
        raise Problem("422.1", errors={"question": Text(
            "Không phải câu hỏi ảnh. Câu hỏi ảnh: {q}.",
            "Not an image question. Image questions: {q}.").format(q=images)})
    try:
        photo = process_photo(stream, limits)
    except PhotoRejected as exc:
        raise Problem("422.1", errors={"file": Text(exc.message_vi, exc.message_en)}) from exc
    key = photo_key(submission.id, question, photo.sha256, "full")
    thumb_key = photo_key(submission.id, question, photo.sha256, "thumb")
    # Stored before the row: keys are content-addressed, so a retry rewrites the same files.
    store.put(key, photo.data, photo.content_type)
    store.put(thumb_key, photo.thumbnail, photo.content_type)
    new_id = _insert_ignoring_conflict(session, Attachment, {
        "submission_id": submission.id, "question": question, "upload_sha256": photo.sha256,
        "content_type": photo.content_type, "key": key, "thumb_key": thumb_key,
        "width": photo.width, "height": photo.height, "size_bytes": len(photo.data),
        "created_at": utcnow()}, ["submission_id", "question"])
    attachment = session.scalars(select(Attachment).where(
        Attachment.submission_id == submission.id, Attachment.question == question)).one()
    if new_id is None:
        if attachment.upload_sha256 == photo.sha256:
            return attachment, False
        if attachment.key != key:
            store.delete(key)
            store.delete(thumb_key)
        raise Problem("409.2", errors={"file": Text("Câu hỏi đã có ảnh khác.",
                                                    "This question already has another photo.")})
    if submission.lat is None and photo.gps is not None:
        # The photo's position places the household on the map: its rollups move with it.
        before = indicator_rollups.counted(submission)
        submission.lat, submission.lon = photo.gps
        submission.location_square = grid_square(*photo.gps)
        submission.location_source = "exif"
        session.flush()
        indicator_rollups.apply(session, removed=[before],
                                added=[indicator_rollups.counted(submission)])
    session.flush()
    session.refresh(submission, ["attachments"])
    return attachment, True
