"""Staff review of submissions: the queue, its filters, the allowed status changes, the history.

Statuses (docs/review.md): a submission arrives `received`; staff move it along TRANSITIONS, each move
with a reason (required for `has_issues` and `rejected`: the surveyor is told why) and an optional
comment. `superseded` is set only by a correction (surveys/collection/submissions.py), never by a
reviewer, and is final: the correction is reviewed instead. `rejected` and `superseded`
submissions do not count in indicators (surveys/indicators/report.py).

Every action adds a ReviewNote (the history, and the feedback the surveyor sees) and an AuditEvent
`submission.review` with the status and reason before and after. Only staff of the submission's
commune and admins review. Takes a Session; never imports Flask; never commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session, joinedload

from surveys import audit, webhooks
from surveys.collection.quality_flags import FLAG_CODES
from surveys.errors import Problem, Text
from surveys.indicators import rollups as indicator_rollups
from surveys.models import Commune, ReviewNote, Role, Submission, User, Village, utcnow
from surveys.places.vntime import VIETNAM

STATUSES = ("received", "approved", "has_issues", "rejected", "superseded")
# From → the statuses a reviewer may move it to. A same-status "move" is not a transition.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("approved", "has_issues", "rejected"),
    "has_issues": ("approved", "rejected"),
    "approved": ("has_issues", "rejected"),
    "rejected": ("approved", "has_issues"),
    "superseded": (),
}
REASON_REQUIRED = frozenset({"has_issues", "rejected"})
MAX_REASON = 300
MAX_COMMENT = 2000
REVIEWERS = (Role.STAFF, Role.ADMIN)


def can_review(user: User, submission: Submission) -> bool:
    return user.role == Role.ADMIN or (user.role == Role.STAFF
                                       and user.commune_id == submission.commune_id)


def reviewable_submission(session: Session, user: User, submission_id: int) -> Submission:
    """A submission the user may review: 403 for roles that never review, 404 when it does not
    exist or belongs to another commune (its existence is not revealed)."""
    if user.role not in REVIEWERS:
        raise Problem("403.1")
    submission = session.get(Submission, submission_id)
    if submission is None or not can_review(user, submission):
        raise Problem("404.1")
    return submission


def _text(raw: Any, field: str, limit: int, errors: dict[str, Text]) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        errors[field] = Text("Phải là chuỗi ký tự.", "Must be a string.")
        return None
    text = raw.strip()
    if len(text) > limit:
        errors[field] = Text("Tối đa {n} ký tự.", "At most {n} characters.").format(n=limit)
        return None
    return text or None


@dataclass(frozen=True)
class ReviewInput:
    status: str | None
    reason: str | None
    comment: str | None


def parse_review(payload: Any) -> ReviewInput:
    """`{"review_status", "reason", "comment"}`: a status change, or a comment alone."""
    if not isinstance(payload, Mapping):
        raise Problem("422.1", errors={"body": Text("Nội dung phải là một đối tượng JSON.",
                                                    "The body must be a JSON object.")})
    errors: dict[str, Text] = {}
    for key in sorted(set(payload) - {"review_status", "reason", "comment"}):
        errors[key] = Text("Trường không được hỗ trợ.", "Unknown field.")
    status = payload.get("review_status")
    if status is not None and status not in STATUSES:
        errors["review_status"] = Text("Trạng thái không hợp lệ. Chọn: {s}.",
                                       "Unknown status. Choose from: {s}.").format(
            s=", ".join(s for s in STATUSES if s != "superseded"))
    reason = _text(payload.get("reason"), "reason", MAX_REASON, errors)
    comment = _text(payload.get("comment"), "comment", MAX_COMMENT, errors)
    if status is None and comment is None and "review_status" not in errors:
        errors["review_status"] = Text("Cần trạng thái mới hoặc một nhận xét.",
                                       "Give a new review_status or a comment.")
    if errors:
        raise Problem("422.1", errors=errors)
    return ReviewInput(status, reason, comment)


def review_submission(session: Session, user: User, submission: Submission, change: ReviewInput,
                      *, actor_label: str | None = None, now: datetime | None = None
                      ) -> ReviewNote:
    """Apply one review action (checked against TRANSITIONS) and record it twice: as a note and
    in the audit log."""
    if not can_review(user, submission):
        raise Problem("403.1")
    now = now or utcnow()
    before = {"review_status": submission.review_status, "review_reason": submission.review_reason}
    counted_before = indicator_rollups.counted(submission)
    if change.status is not None:
        allowed = TRANSITIONS.get(submission.review_status, ())
        if change.status not in allowed:
            raise Problem("422.1", errors={"review_status": Text(
                "Không thể chuyển từ {a} sang {b}. Được phép: {ok}.",
                "Cannot move from {a} to {b}. Allowed: {ok}.").format(
                a=submission.review_status, b=change.status, ok=", ".join(allowed) or "-")})
        if change.status in REASON_REQUIRED and not change.reason:
            raise Problem("422.1", errors={"reason": Text(
                "Cần nêu lý do để điều tra viên biết cần sửa gì.",
                "A reason is required, so the surveyor knows what to fix.")})
        submission.review_status = change.status
        submission.review_reason = change.reason
        submission.reviewed_at = now
        submission.reviewed_by_id = user.id
    note = ReviewNote(submission_id=submission.id, author_id=user.id, created_at=now,
                      status=change.status, reason=change.reason if change.status else None,
                      comment=change.comment)
    session.add(note)
    after = {"review_status": submission.review_status, "review_reason": submission.review_reason}
    details: dict[str, Any] = {"before": before, "after": after}
    if change.comment:
        details["comment"] = change.comment
    audit.record(session, "submission.review", actor=user, actor_label=actor_label,
                 commune_id=submission.commune_id, target_type="submission",
                 target_id=submission.id, details=details)
    if change.status is not None:
        webhooks.enqueue(session, submission.commune_id, "submission.reviewed",
                         webhooks.submission_event(submission))
    # Last, as in record_submission: rejected ones drop out (and back in) of the rollups.
    counted_after = indicator_rollups.counted(submission)
    if (counted_before is None) != (counted_after is None):
        indicator_rollups.apply(session, removed=[counted_before], added=[counted_after])
    return note


# ---- the queue and the listing's filters ----

@dataclass(frozen=True)
class QueueFilter:
    village: str | None = None
    surveyor: str | None = None
    flag: str | None = None  # a code, or "any"
    status: str | None = None
    since: date | None = None
    until: date | None = None

    def params(self) -> dict[str, str]:
        """As query parameters (for links to other pages of the same view)."""
        values = {"village": self.village, "surveyor": self.surveyor, "flag": self.flag,
                  "status": self.status, "since": self.since and self.since.isoformat(),
                  "until": self.until and self.until.isoformat()}
        return {k: v for k, v in values.items() if v}


def _date(raw: str | None, field: str, errors: dict[str, Text]) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw.strip()[:10])
    except ValueError:
        errors[field] = Text("Ngày phải có dạng YYYY-MM-DD.", "Dates look like YYYY-MM-DD.")
        return None


def parse_filter(args: Mapping[str, str]) -> QueueFilter:
    """village, surveyor, flag, status, since, until (dates, Vietnam time, both inclusive)."""
    errors: dict[str, Text] = {}
    flag = (args.get("flag") or "").strip() or None
    if flag is not None and flag != "any" and flag not in FLAG_CODES:
        errors["flag"] = Text("Mã cờ không hợp lệ. Chọn: {c}.", "Unknown flag. Choose from: {c}.") \
            .format(c=", ".join(("any",) + FLAG_CODES))
    status = (args.get("status") or "").strip() or None
    if status is not None and status not in STATUSES:
        errors["status"] = Text("Trạng thái không hợp lệ. Chọn: {s}.",
                                "Unknown status. Choose from: {s}.").format(s=", ".join(STATUSES))
    since = _date(args.get("since"), "since", errors)
    until = _date(args.get("until"), "until", errors)
    if errors:
        raise Problem("422.1", errors=errors)
    return QueueFilter(village=(args.get("village") or "").strip() or None,
                       surveyor=(args.get("surveyor") or "").strip() or None,
                       flag=flag, status=status, since=since, until=until)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=VIETNAM).astimezone(UTC)


def filter_conditions(chosen: QueueFilter, *, commune_id: int | None = None) -> list[Any]:
    """SQL conditions on Submission for a filter; `commune_id` narrows village slugs."""
    conditions: list[Any] = []
    if chosen.village:
        villages = select(Village.id).where(Village.slug == chosen.village)
        if commune_id is not None:
            villages = villages.where(Village.commune_id == commune_id)
        conditions.append(Submission.village_id.in_(villages))
    if chosen.surveyor:
        conditions.append(Submission.surveyor_id.in_(
            select(User.id).where(User.username == chosen.surveyor)))
    if chosen.flag == "any":
        conditions.append(cast(Submission.flags, String) != "[]")
    elif chosen.flag:
        # Codes are plain identifiers: their quoted form appears in the JSON text on both databases.
        conditions.append(cast(Submission.flags, String).like(f'%"{chosen.flag}"%'))
    if chosen.status:
        conditions.append(Submission.review_status == chosen.status)
    if chosen.since:
        conditions.append(Submission.collected_at >= _day_start(chosen.since))
    if chosen.until:
        conditions.append(Submission.collected_at < _day_start(chosen.until + timedelta(days=1)))
    return conditions


@dataclass(frozen=True)
class QueuePage:
    rows: list[Submission]
    total: int
    page: int
    per_page: int
    counts: dict[str, int]  # per status, for the whole commune

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def review_queue(session: Session, commune: Commune, chosen: QueueFilter, *, page: int = 1,
                 per_page: int = 50) -> QueuePage:
    """The commune's submissions matching the filter, newest first, and counts per status;
    without a status filter, superseded ones are left out (their corrections stand for them)."""
    conditions = [Submission.commune_id == commune.id,
                  *filter_conditions(chosen, commune_id=commune.id)]
    if not chosen.status:
        conditions.append(Submission.review_status != "superseded")
    total = session.scalar(select(func.count()).select_from(Submission).where(*conditions)) or 0
    rows = list(session.scalars(
        select(Submission).options(joinedload(Submission.village), joinedload(Submission.surveyor))
        .where(*conditions).order_by(Submission.received_at.desc(), Submission.id.desc())
        .offset((page - 1) * per_page).limit(per_page)))
    counts = dict(session.execute(select(Submission.review_status, func.count())
                                  .where(Submission.commune_id == commune.id)
                                  .group_by(Submission.review_status)).all())
    return QueuePage(rows, total, page, per_page, {s: counts.get(s, 0) for s in STATUSES})


# ---- history and feedback ----

@dataclass(frozen=True)
class HistoryEntry:
    note: ReviewNote
    author: str | None


def history(session: Session, submission_ids: list[int]) -> dict[int, list[HistoryEntry]]:
    """Review notes per submission, oldest first, with their authors' names."""
    if not submission_ids:
        return {}
    found: dict[int, list[HistoryEntry]] = {i: [] for i in submission_ids}
    for note, username, display in session.execute(
            select(ReviewNote, User.username, User.display_name)
            .outerjoin(User, User.id == ReviewNote.author_id)
            .where(ReviewNote.submission_id.in_(submission_ids))
            .order_by(ReviewNote.created_at, ReviewNote.id)):
        found[note.submission_id].append(HistoryEntry(note, display or username))
    return found


def versions(session: Session, submission: Submission) -> tuple[Submission | None, Submission | None]:
    """(the submission this one corrects, the correction that replaced it)."""
    original = session.get(Submission, submission.supersedes_id) if submission.supersedes_id else None
    correction = session.scalar(select(Submission).where(Submission.supersedes_id == submission.id))
    return original, correction


def surveyor_submissions(session: Session, user: User, *, page: int = 1, per_page: int = 50
                         ) -> tuple[list[Submission], int]:
    """The surveyor's own submissions, newest first (superseded ones included: they show which
    correction replaced them)."""
    condition = Submission.surveyor_id == user.id
    total = session.scalar(select(func.count()).select_from(Submission).where(condition)) or 0
    rows = list(session.scalars(select(Submission).options(joinedload(Submission.village))
                                .where(condition)
                                .order_by(Submission.received_at.desc(), Submission.id.desc())
                                .offset((page - 1) * per_page).limit(per_page)))
    return rows, total


def correction_source(session: Session, user: User, instance_id: str) -> Submission | None:
    """The user's own, not yet superseded submission a correction form starts from."""
    submission = session.scalar(select(Submission).where(Submission.instance_id == instance_id))
    if submission is None or submission.surveyor_id != user.id or \
            submission.review_status == "superseded":
        return None
    return submission
