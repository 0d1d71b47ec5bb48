"""Household submissions, their photos and review notes."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveys.db import Base, JSONType
from surveys.models.types import UTCDateTime, utcnow
from surveys.places.lookup_keys import grid_square_default, household_key_default

if TYPE_CHECKING:
    from surveys.models.administration import User
    from surveys.models.places import Village


class Submission(Base):
    """One household's answers, stored exactly once per device-made instance_id."""

    __tablename__ = "submissions"
    # The quality flags' neighbour look-ups: the same household code, or a few metres around,
    # in one village — an index walk, however many households the village already has.
    __table_args__ = (Index("ix_submissions_village_household_key", "village_id", "household_key"),
                      Index("ix_submissions_village_location_square", "village_id",
                            "location_square"))

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(64), unique=True)
    survey: Mapped[str] = mapped_column(String(64))
    survey_version: Mapped[str] = mapped_column(String(32))
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    surveyor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    location_source: Mapped[str] = mapped_column(String(16))
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)
    content_hash: Mapped[str] = mapped_column(String(64))
    # The household code normalised (surveys/places/lookup_keys.py), for an indexed duplicate look-up;
    # filled from the answers by default, so every way of inserting a submission sets it.
    household_key: Mapped[str | None] = mapped_column(String(64), default=household_key_default)
    # The location's square of a ~55 m grid (surveys/places/lookup_keys.py), for the nearby look-up.
    location_square: Mapped[str | None] = mapped_column(String(24), default=grid_square_default)
    review_status: Mapped[str] = mapped_column(String(16), default="received")
    # When the form was opened on the phone (for the too_fast flag); None from older clients.
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Quality flag codes computed on arrival (surveys/collection/quality.py), and what each is based on.
    flags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    flag_details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    review_reason: Mapped[str | None] = mapped_column(String(300))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A correction supersedes the submission it corrects; the original stays, marked superseded.
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"), index=True)

    village: Mapped[Village] = relationship()
    surveyor: Mapped[User] = relationship(foreign_keys=[surveyor_id])
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="submission", cascade="all, delete-orphan", order_by="Attachment.id"
    )


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("submission_id", "question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(String(64))
    upload_sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    thumb_key: Mapped[str] = mapped_column(String(255))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="attachments")


class ReviewNote(Base):
    """One step of a submission's review: the status it moved to, why, and a comment; the
    history a surveyor sees as feedback."""

    __tablename__ = "review_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"),
                                               index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str | None] = mapped_column(String(16))  # None: a comment only
    reason: Mapped[str | None] = mapped_column(String(300))
    comment: Mapped[str | None] = mapped_column(Text)
