"""Create and replay household submissions. Takes a Session; never imports Flask; never commits.

Idempotency follows ODK Central's rule, without its race: the same instance_id with the same content
is a replay answered with the original record; with different content it is a conflict. The insert is
`INSERT .. ON CONFLICT DO NOTHING`, so concurrent sends of one new instance_id cannot both insert and
none of them fails on the unique constraint: the losers read the winner's row and answer as replays.
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, BinaryIO

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, joinedload, make_transient_to_detached, object_session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from surveys import audit, webhooks
from surveys.collection.answers import validate_answers
from surveys.collection.photos import PhotoLimits, PhotoRejected, PhotoStore, photo_key, process_photo
from surveys.collection.quality import QualityLimits, Values, compute_flags
from surveys.db import INSERTS, conflict_insert
from surveys.definitions import SurveyDefinition, get_definition
from surveys.errors import Problem, Text
from surveys.indicators import rollups as indicator_rollups
from surveys.models import (
    Attachment,
    Commune,
    CommuneGroupMember,
    ReviewNote,
    Role,
    Submission,
    User,
    Village,
    utcnow,
)
from surveys.places.lookup_keys import grid_square, household_key

SUBMITTING_ROLES = frozenset({Role.SURVEYOR, Role.STAFF, Role.ADMIN})
TOP_LEVEL_FIELDS = frozenset({"instance_id", "survey", "survey_version", "commune", "village",
                              "collected_at", "location", "answers", "started_at", "supersedes"})


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float
    accuracy_m: float | None


@dataclass(frozen=True)
class SubmissionInput:
    """A parsed, validated submission, before any database work."""

    instance_id: str
    definition: SurveyDefinition
    commune_slug: str | None
    village_slug: str
    collected_at: datetime
    location: Location | None
    answers: dict[str, Any]
    # When the form was opened (for the too_fast flag), and the instance_id this corrects.
    started_at: datetime | None = None
    supersedes: str | None = None

    def content_hash(self) -> str:
        canonical = {
            "survey": self.definition.name,
            "village": self.village_slug,
            "collected_at": self.collected_at.isoformat(),
            "location": None if self.location is None else [
                self.location.lat, self.location.lon, self.location.accuracy_m],
            "answers": self.answers,
        }
        # Only when given, so the hashes of records stored before these fields existed still match.
        if self.started_at is not None:
            canonical["started_at"] = self.started_at.isoformat()
        if self.supersedes is not None:
            canonical["supersedes"] = self.supersedes
        encoded = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(encoded.encode()).hexdigest()


# What submission_json reads, loaded with the row instead of one lazy query per relation.
FULL_RECORD = (joinedload(Submission.village).defer(Village.boundary_hash)
               .joinedload(Village.commune)
               # The boundary is a GeoJSON of up to hundreds of KB: never decode it per submission.
               .defer(Commune.boundary).defer(Commune.boundary_hash),
               joinedload(Submission.surveyor), selectinload(Submission.attachments))


@dataclass(frozen=True)
class SubmissionResult:
    submission: Submission
    created: bool


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _parse_location(raw: Any, errors: dict[str, Text]) -> Location | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        errors["location"] = Text("location phải là đối tượng {lat, lon, accuracy_m}.",
                                  "location must be an object {lat, lon, accuracy_m}.")
        return None
    lat, lon = _number(raw.get("lat")), _number(raw.get("lon"))
    if lat is None or not -90 <= lat <= 90:
        errors["location.lat"] = Text("Vĩ độ phải là số trong khoảng -90 đến 90.",
                                      "lat must be a number between -90 and 90.")
    if lon is None or not -180 <= lon <= 180:
        errors["location.lon"] = Text("Kinh độ phải là số trong khoảng -180 đến 180.",
                                      "lon must be a number between -180 and 180.")
    accuracy = raw.get("accuracy_m")
    if accuracy is not None:
        accuracy = _number(accuracy)
        if accuracy is None or accuracy < 0:
            errors["location.accuracy_m"] = Text("Độ chính xác phải là số mét không âm.",
                                                 "accuracy_m must be a non-negative number of metres.")
    unknown = set(raw) - {"lat", "lon", "accuracy_m"}
    for key in sorted(unknown):
        errors[f"location.{key}"] = Text("Trường không được hỗ trợ.", "Unknown field.")
    if any(k.startswith("location") for k in errors):
        return None
    return Location(lat, lon, accuracy)  # type: ignore[arg-type]


def parse_collected_at(raw: Any, now: datetime, future_skew: timedelta,
                       errors: dict[str, Text]) -> datetime | None:
    if not isinstance(raw, str) or not raw.strip():
        errors["collected_at"] = Text("Cần thời điểm khảo sát (ISO 8601).",
                                      "collected_at is required (ISO 8601).")
        return None
    try:
        when = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        errors["collected_at"] = Text("Thời điểm không đúng định dạng ISO 8601: {v}.",
                                      "Not an ISO 8601 date-time: {v}.").format(v=raw[:40])
        return None
    if when.tzinfo is None:
        errors["collected_at"] = Text(
            "Thời điểm cần múi giờ, ví dụ 2026-11-23T09:30:00+07:00.",
            "collected_at needs a time-zone offset, e.g. 2026-11-23T09:30:00+07:00.")
        return None
    when = when.astimezone(UTC)
    if when > now + future_skew:
        errors["collected_at"] = Text("Thời điểm khảo sát ở tương lai; kiểm tra đồng hồ điện thoại.",
                                      "collected_at is in the future; check the phone's clock.")
        return None
    if when.year < 2020:
        errors["collected_at"] = Text("Thời điểm khảo sát quá xa trong quá khứ.",
                                      "collected_at is implausibly old.")
        return None
    return when


def _version_accepted(sent: str, current: str) -> bool:
    """The current version, or an older one: a household saved offline before the form changed is
    still sent, and its answers are checked against the current form like any other (the error
    then names the question). A newer or unknown version is refused: the server is behind."""
    if sent == current:
        return True
    return sent.isdigit() and current.isdigit() and len(sent) == len(current) and sent < current


def parse_instance_id(raw: Any, errors: dict[str, Text]) -> str | None:
    text = raw.strip() if isinstance(raw, str) else ""
    if text.startswith("uuid:"):
        text = text[5:]
    try:
        return str(uuid.UUID(text))
    except ValueError:
        errors["instance_id"] = Text("instance_id phải là một UUID do thiết bị tạo.",
                                     "instance_id must be a UUID made on the device.")
        return None


def parse_started_at(raw: Any, now: datetime, future_skew: timedelta,
                     errors: dict[str, Text]) -> datetime | None:
    """When the form was opened: optional (older clients and the plain form do not send it)."""
    if raw is None or raw == "":
        return None
    when = None
    if isinstance(raw, str):
        try:
            when = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        except ValueError:
            when = None
    if when is None or when.tzinfo is None or when.year < 2020 or \
            when.astimezone(UTC) > now + future_skew:
        errors["started_at"] = Text(
            "started_at phải là thời điểm ISO 8601 có múi giờ, không ở tương lai.",
            "started_at must be an ISO 8601 date-time with a time-zone offset, not in the future.")
        return None
    return when.astimezone(UTC)


def parse_supersedes(raw: Any, instance_id: str | None, errors: dict[str, Text]) -> str | None:
    """The instance_id of the submission a correction replaces (optional)."""
    if raw is None or raw == "":
        return None
    found: dict[str, Text] = {}
    original = parse_instance_id(raw, found)
    if original is None or original == instance_id:
        errors["supersedes"] = Text(
            "supersedes phải là instance_id (UUID) của phiếu được sửa, khác với phiếu này.",
            "supersedes must be the instance_id (a UUID) of the corrected submission, not this one.")
        return None
    return original


def parse_submission(payload: Any, *, now: datetime | None = None,
                     future_skew: timedelta = timedelta(minutes=10),
                     strict_relevance: bool = True) -> SubmissionInput:
    """Validate a submission payload completely, reporting every problem at once (422)."""
    now = now or utcnow()
    errors: dict[str, Text] = {}
    if not isinstance(payload, Mapping):
        raise Problem("422.1", errors={"body": Text("Nội dung phải là một đối tượng JSON.",
                                                    "The body must be a JSON object.")})
    for key in sorted(set(payload) - TOP_LEVEL_FIELDS):
        errors[key] = Text("Trường không được hỗ trợ.", "Unknown field.")
    instance_id = parse_instance_id(payload.get("instance_id"), errors)
    survey_name = payload.get("survey")
    definition = get_definition(survey_name) if isinstance(survey_name, str) else None
    if definition is None:
        errors["survey"] = Text("Không có phiếu khảo sát {v}.", "No survey named {v}.").format(
            v=repr(survey_name))
    version = payload.get("survey_version")
    if definition is not None and version is not None and not _version_accepted(
            str(version), definition.version):
        errors["survey_version"] = Text(
            "Phiên bản phiếu {v} không dùng được; phiên bản hiện tại là {cur}. Tải lại biểu mẫu.",
            "Survey version {v} cannot be used; the current one is {cur}. Reload the form.").format(
            v=version, cur=definition.version)
    village = payload.get("village")
    if not isinstance(village, str) or not village.strip():
        errors["village"] = Text("Cần chọn thôn.", "village is required (its slug).")
    commune = payload.get("commune")
    if commune is not None and not isinstance(commune, str):
        errors["commune"] = Text("commune phải là mã (slug) của xã.", "commune must be a slug.")
    collected_at = parse_collected_at(payload.get("collected_at"), now, future_skew, errors)
    location = _parse_location(payload.get("location"), errors)
    started_at = parse_started_at(payload.get("started_at"), now, future_skew, errors)
    supersedes = parse_supersedes(payload.get("supersedes"), instance_id, errors)
    raw_answers = payload.get("answers")
    answers: dict[str, Any] = {}
    if not isinstance(raw_answers, Mapping):
        errors["answers"] = Text("answers phải là một đối tượng JSON.",
                                 "answers must be a JSON object.")
    elif definition is not None:
        answers, answer_errors = validate_answers(definition, raw_answers,
                                                  strict_relevance=strict_relevance)
        errors.update(answer_errors)
    if errors:
        raise Problem("422.1", errors=errors)
    return SubmissionInput(instance_id=instance_id, definition=definition,  # type: ignore[arg-type]
                           commune_slug=commune, village_slug=village.strip(),
                           collected_at=collected_at, location=location,  # type: ignore[arg-type]
                           answers=answers, started_at=started_at, supersedes=supersedes)


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
    table = Submission.__table__
    return (INSERTS[dialect](table).on_conflict_do_nothing(index_elements=["instance_id"])
            .returning(table.c.id))


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
    changed = session.execute(
        update(Submission).where(Submission.id == original.id,
                                 Submission.review_status != "superseded")
        .values(review_status="superseded")).rowcount
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
                         webhooks.submission_event(submission))
        indicator_rollups.apply(session, removed=[replaced],
                                added=[indicator_rollups.counted(submission)])
        return SubmissionResult(submission, created=True)
    existing = session.scalar(select(Submission).options(*FULL_RECORD)
                              .where(Submission.instance_id == item.instance_id))
    if existing is None or existing.content_hash != content_hash or existing.surveyor_id != user.id:
        raise Problem("409.1", errors={"instance_id": Text(
            "Đã có phiếu khác với mã này.", "Another record has this instance_id.")})
    return SubmissionResult(existing, created=False)


def visible_submissions(user: User):  # -> Select
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


def _superseded_instance_id(submission: Submission) -> str | None:
    if submission.supersedes_id is None:
        return None
    session = object_session(submission)
    return session.scalar(select(Submission.instance_id)
                          .where(Submission.id == submission.supersedes_id)) if session else None


def submission_json(submission: Submission) -> dict[str, Any]:
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
        "supersedes": _superseded_instance_id(submission),
        "attachments": [{"question": a.question, "content_type": a.content_type,
                         "width": a.width, "height": a.height, "bytes": a.size_bytes}
                        for a in submission.attachments],
    }


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
        images = ", ".join(x.name for x in definition.questions if x.type == "image")
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
    attachment = session.scalar(select(Attachment).where(Attachment.submission_id == submission.id,
                                                         Attachment.question == question))
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
