"""The append-only audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from surveys.db import Base, JSONType
from surveys.models.types import UTCDateTime, utcnow


class AuditEvent(Base):
    """Who did what, when, in which commune, with the filter or the before/after values.
    Append-only: the database itself refuses UPDATE and DELETE (triggers of migration 20261130_02)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # username, `token:<prefix>`, `cli` or `anonymous`: readable even without the user row.
    actor: Mapped[str] = mapped_column(String(120))
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("communes.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))  # dotted code: export.submissions, target.update
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
