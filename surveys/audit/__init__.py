"""The audit log: who did what, when, in which commune, with the filter or the values before and
after. Takes a Session; never imports Flask; never commits (the caller's transaction records the
event together with the change it describes, or neither).

Rows are append-only: the database refuses UPDATE and DELETE on `audit_events` (triggers of
migration 20261130_02), so this module only ever inserts and reads.

Actions are dotted codes (ACTIONS). `actor` is the readable label kept with the event: the
username, `token:<prefix>` when an API token acted, `cli` for the command line, `anonymous`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from surveys.models import AuditEvent, User

ACTIONS = (
    "export.submissions",
    "export.indicators",
    "token.create",
    "target.create",
    "target.update",
    "target.delete",
    "login.failure",
    "submission.review",
    "submission.correct",
    "village.create",
    "village.update",
    "village.import",
    "user.create",
    "user.update",
    "user.activate",
    "user.deactivate",
    "user.password_reset",
    "team.create",
    "team.update",
    "team.delete",
    "round.create",
    "round.update",
    "round.delete",
    "partner.create",
    "partner.update",
    "token.revoke",
)
ANONYMOUS = "anonymous"
MAX_ACTOR_LENGTH = 120


@dataclass(frozen=True)
class Actor:
    """Who makes a change, as a use case receives it: the signed-in user and the label the audit
    log keeps (the username, `token:<prefix>` for an API token, `cli`)."""

    user: User
    label: str

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user, user.username)


def record(session: Session, action: str, *, actor: User | None = None,
           actor_label: str | None = None, commune_id: int | None = None,
           target_type: str | None = None, target_id: int | None = None,
           details: dict[str, Any] | None = None) -> AuditEvent:
    """Add one event to the caller's transaction. The label defaults to the actor's username."""
    label = actor_label or (actor.username if actor is not None else ANONYMOUS)
    event = AuditEvent(actor_user_id=actor.id if actor is not None else None,
                       actor=label[:MAX_ACTOR_LENGTH], commune_id=commune_id, action=action,
                       target_type=target_type, target_id=target_id, details=details)
    session.add(event)
    return event


@dataclass(frozen=True)
class LogPage:
    events: list[AuditEvent]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def commune_log(session: Session, commune_id: int, *, action: str | None = None, page: int = 1,
                per_page: int = 50) -> LogPage:
    """A commune's events, newest first; `action` is a code (`target.update`) or a prefix
    (`target`, `export`) matching every code under it."""
    return _page(session, [AuditEvent.commune_id == commune_id], action, page, per_page)


def area_log(session: Session, slug: str, *, action: str | None = None, page: int = 1,
             per_page: int = 50) -> LogPage:
    """The events of a province or group of communes itself, newest first (`action` as for
    `commune_log`): its exports and users (`area` in the details) and its own plan targets (`area`
    in the values before or after). They have no commune; its communes' events stay on theirs."""
    details = AuditEvent.details
    about = (details["area"].as_string() == slug) \
        | (details[("after", "area")].as_string() == slug) \
        | (details[("before", "area")].as_string() == slug)
    return _page(session, [AuditEvent.commune_id.is_(None), about], action, page, per_page)


def _page(session: Session, condition: list[ColumnElement[bool]], action: str | None, page: int,
          per_page: int) -> LogPage:
    if action:
        condition = [*condition, (AuditEvent.action == action)
                     | AuditEvent.action.startswith(action + ".", autoescape=True)]
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*condition)) or 0
    events = list(session.scalars(select(AuditEvent).where(*condition)
                                  .order_by(AuditEvent.id.desc())
                                  .offset((page - 1) * per_page).limit(per_page)))
    return LogPage(events, page, per_page, total)
