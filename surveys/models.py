"""SQLAlchemy 2.x typed models: places, people, submissions."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from surveys.db import Base, JSONType
from surveys.lookup_keys import boundary_fingerprint, grid_square_default, household_key_default


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every database (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Role(enum.StrEnum):
    SURVEYOR = "surveyor"
    PARTNER = "partner"
    STAFF = "staff"
    ADMIN = "admin"


class Commune(Base):
    __tablename__ = "communes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    province: Mapped[str] = mapped_column(String(200))
    admin_code: Mapped[str | None] = mapped_column(String(16))
    boundary: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # The boundary's fingerprint, set whenever the boundary is: the quality flags keep the parsed
    # geometry in memory and know from this small column, read with the village, that it is current.
    boundary_hash: Mapped[str | None] = mapped_column(String(64))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @validates("boundary")
    def _fingerprint(self, _key: str, boundary: dict[str, Any] | None) -> dict[str, Any] | None:
        self.boundary_hash = boundary_fingerprint(boundary)
        return boundary

    villages: Mapped[list[Village]] = relationship(
        back_populates="commune", order_by="Village.name", cascade="all, delete-orphan"
    )


class Village(Base):
    """A thôn / làng / bản / tổ dân phố of a commune."""

    __tablename__ = "villages"
    __table_args__ = (
        UniqueConstraint("commune_id", "slug"),
        CheckConstraint("household_count IS NULL OR household_count >= 0", name="household_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"),
                                            index=True)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    household_count: Mapped[int | None] = mapped_column(Integer)
    population: Mapped[int | None] = mapped_column(Integer)
    counts_year: Mapped[int | None] = mapped_column(Integer)  # the year the counts refer to
    boundary: Mapped[dict[str, Any] | None] = mapped_column(JSONType, deferred=True)  # GeoJSON
    boundary_hash: Mapped[str | None] = mapped_column(String(64))  # as Commune.boundary_hash
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    commune: Mapped[Commune] = relationship(back_populates="villages")

    @validates("boundary")
    def _fingerprint(self, _key: str, boundary: dict[str, Any] | None) -> dict[str, Any] | None:
        self.boundary_hash = boundary_fingerprint(boundary)
        return boundary


class Partner(Base):
    """A telecom partner organisation (Viettel, VNPT, MobiFone, ...)."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('surveyor', 'partner', 'staff', 'admin')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("communes.id"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of every login's id (get_id): raising it ends every session and remember cookie of the
    # user (logout, password change or reset, deactivation). surveys/accounts.py end_sessions.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    commune: Mapped[Commune | None] = relationship()
    partner: Mapped[Partner | None] = relationship()

    # Flask-Login's user protocol, without importing Flask here.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """What the session and the remember cookie hold: `id.session_version.login_time` (Unix
        seconds of the login, set by accounts.login_id; 0 outside a login). The loader refuses
        an old version or a login older than PERMANENT_SESSION_DAYS (surveys/views/__init__.py)."""
        return f"{self.id}.{self.session_version}.{getattr(self, '_login_time', 0)}"


class LoginThrottle(Base):
    """Recent failed logins of one key (`account:NAME` or `address:IP`), shared by every worker:
    surveys/throttle.py decides from it whether the next attempt may be checked at all."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


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
    # The household code normalised (surveys/lookup_keys.py), for an indexed duplicate look-up;
    # filled from the answers by default, so every way of inserting a submission sets it.
    household_key: Mapped[str | None] = mapped_column(String(64), default=household_key_default)
    # The location's square of a ~55 m grid (surveys/lookup_keys.py), for the nearby look-up.
    location_square: Mapped[str | None] = mapped_column(String(24), default=grid_square_default)
    review_status: Mapped[str] = mapped_column(String(16), default="received")
    # When the form was opened on the phone (for the too_fast flag); None from older clients.
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Quality flag codes computed on arrival (surveys/quality.py), and what each is based on.
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


class Target(Base):
    """A plan's target for one indicator in one commune, with the text it comes from."""

    __tablename__ = "targets"
    __table_args__ = (
        CheckConstraint("comparator IS NULL OR comparator IN ('>=', '>')", name="comparator"),
        CheckConstraint("value IS NOT NULL OR baseline_value IS NOT NULL", name="value_or_baseline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"),
                                            index=True)
    indicator: Mapped[str] = mapped_column(String(64))
    comparator: Mapped[str | None] = mapped_column(String(2))
    value: Mapped[float | None] = mapped_column(Float)
    target_year: Mapped[int | None] = mapped_column(Integer)
    baseline_value: Mapped[float | None] = mapped_column(Float)
    baseline_year: Mapped[int | None] = mapped_column(Integer)
    source_document: Mapped[str] = mapped_column(String(300), default="")
    source_article: Mapped[str] = mapped_column(String(200), default="")
    source_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    commune: Mapped[Commune] = relationship()


class CoverageUpload(Base):
    """One file a telecom partner sent; everything it contributed hangs off it (for delete)."""

    __tablename__ = "coverage_uploads"
    __table_args__ = (UniqueConstraint("partner_id", "content_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(32))
    content_sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # done for a file imported in its request; a resumable upload's file is queued, then imported
    # by a worker (surveys/coverage/jobs.py): importing, then done, failed or cancelled.
    status: Mapped[str] = mapped_column(String(16), default="done", server_default="done")

    partner: Mapped[Partner] = relationship()


class ResumableUpload(Base):
    """A tus upload session (surveys/coverage/resumable.py): the bytes received so far live in a
    file under UPLOAD_DIR/resumable/<key>; the file's size is the offset."""

    __tablename__ = "resumable_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    format: Mapped[str | None] = mapped_column(String(32))
    expected_sha256: Mapped[str | None] = mapped_column(String(64))
    length: Mapped[int] = mapped_column(BigInteger)
    upload_id: Mapped[int | None] = mapped_column(
        ForeignKey("coverage_uploads.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImportJob(Base):
    """A coverage file waiting for, or going through, its import by a worker
    (`flask --app app jobs work`). Progress is written while it runs; a worker that stops
    renewing its lease loses the job to another."""

    __tablename__ = "import_jobs"
    __table_args__ = (Index("ix_import_jobs_status", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = mapped_column(
        ForeignKey("coverage_uploads.id", ondelete="CASCADE"), unique=True)
    path: Mapped[str] = mapped_column(String(500))  # the file, relative to UPLOAD_DIR
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    bytes_total: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_read: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_accepted: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UploadIssue(Base):
    """A rejected row (error) or a dropped value (warning) of an upload, by line and column."""

    __tablename__ = "upload_issues"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("coverage_uploads.id", ondelete="CASCADE"),
                                           index=True)
    line: Mapped[int] = mapped_column(Integer)
    column: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(300))  # English, as first reported
    severity: Mapped[str] = mapped_column(String(8))
    # A stable code (surveys/coverage/reasons.py) and its values: reports are rendered in the
    # reader's language from these.
    code: Mapped[str] = mapped_column(String(40), default="")
    params: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class Measurement(Base):
    """One coverage or speed measurement at a place and time, normalised from any format."""

    __tablename__ = "measurements"
    __table_args__ = (UniqueConstraint("upload_id", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: the unique (upload_id, dedupe_key) serves lookups by upload.
    upload_id: Mapped[int] = mapped_column(ForeignKey("coverage_uploads.id", ondelete="CASCADE"))
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    operator: Mapped[str] = mapped_column(String(16))
    technology: Mapped[str] = mapped_column(String(8))  # 2g 3g 4g 5g, or mobile / fixed (tiles)
    rsrp_dbm: Mapped[float | None] = mapped_column(Float)
    rsrq_db: Mapped[float | None] = mapped_column(Float)
    sinr_db: Mapped[float | None] = mapped_column(Float)
    download_mbps: Mapped[float | None] = mapped_column(Float)
    upload_mbps: Mapped[float | None] = mapped_column(Float)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    environment: Mapped[str | None] = mapped_column(String(8))
    source: Mapped[str | None] = mapped_column(String(64))
    signal_class: Mapped[str | None] = mapped_column(String(10))
    # Radius of the area a row stands for: a cell's estimated coverage disc (OpenCelliD `range`).
    footprint_m: Mapped[float | None] = mapped_column(Float)
    # Not indexed: maps and indicators read the rollups, never measurements by cell, and an index
    # on a million random cells costs an import more than it would ever save.
    h3_cell: Mapped[str] = mapped_column(String(16))
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("communes.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"))
    dedupe_key: Mapped[str] = mapped_column(String(32))


class CoverageRollup(Base):
    """What one upload contributed to one H3 cell for one operator, technology and month: the
    number of measurements, of estimated coverage discs reaching it, and histograms that add up.
    A cell's figures are the sum of its rows; written on import, deleted with the upload, so maps
    and indicators never scan raw measurements (surveys/coverage/rollups.py documents the bins
    and their precision)."""

    __tablename__ = "coverage_rollups"
    # An upload's rows of all operators in cell order, without sorting them: the end of an import
    # and a delete walk them to add to or subtract from the cells' totals.
    __table_args__ = (Index("ix_coverage_rollups_every", "upload_id", "h3_cell", "technology",
                            sqlite_where=text("operator = '*'"),
                            postgresql_where=text("operator = '*'")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = mapped_column(
        ForeignKey("coverage_uploads.id", ondelete="CASCADE"), index=True)
    h3_cell: Mapped[str] = mapped_column(String(16), index=True)
    operator: Mapped[str] = mapped_column(String(16))
    technology: Mapped[str] = mapped_column(String(8))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM, Vietnam time
    resolution: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer, default=0)
    estimated: Mapped[int] = mapped_column(Integer, default=0)
    classes: Mapped[list[int]] = mapped_column(JSONType)  # counts of none … great
    rsrp: Mapped[dict[str, int]] = mapped_column(JSONType)  # bin → count
    down: Mapped[dict[str, int]] = mapped_column(JSONType)
    up: Mapped[dict[str, int]] = mapped_column(JSONType)
    # Only on the rows of all operators and all months (operator and period "*"): how many
    # contributions each operator made, so a map without filters reads one row per technology.
    operators: Mapped[dict[str, int] | None] = mapped_column(JSONType)


class CoverageCellTotal(Base):
    """All operators and months of one H3 cell and technology, summed over every upload: what a
    map without filters reads, one row per cell and technology however many uploads cover it.
    An import adds its upload's rows of all operators here at its end, a delete subtracts them
    (surveys/coverage/rollups.py, `add_to_totals`)."""

    __tablename__ = "coverage_cell_totals"

    h3_cell: Mapped[str] = mapped_column(String(16), primary_key=True)
    technology: Mapped[str] = mapped_column(String(8), primary_key=True)
    resolution: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer, default=0)
    estimated: Mapped[int] = mapped_column(Integer, default=0)
    classes: Mapped[list[int]] = mapped_column(JSONType)
    rsrp: Mapped[dict[str, int]] = mapped_column(JSONType)
    down: Mapped[dict[str, int]] = mapped_column(JSONType)
    up: Mapped[dict[str, int]] = mapped_column(JSONType)
    operators: Mapped[dict[str, int]] = mapped_column(JSONType)  # contributions per operator


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


class Team(Base):
    """A Tổ công nghệ số cộng đồng: members and the villages they survey."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("commune_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"),
                                            index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TeamMember(Base):
    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"),
                                         primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)


class TeamVillage(Base):
    __tablename__ = "team_villages"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"),
                                         primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"),
                                            primary_key=True)


class SurveyRound(Base):
    """A survey round of a commune: a period and a target sample per village."""

    __tablename__ = "survey_rounds"
    __table_args__ = (UniqueConstraint("commune_id", "name"),
                      CheckConstraint("ends_on >= starts_on", name="period"))

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"),
                                            index=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoundSample(Base):
    __tablename__ = "round_samples"
    __table_args__ = (CheckConstraint("target_households >= 0", name="target_households"),)

    round_id: Mapped[int] = mapped_column(ForeignKey("survey_rounds.id", ondelete="CASCADE"),
                                          primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"),
                                            primary_key=True)
    target_households: Mapped[int] = mapped_column(Integer)


class Webhook(Base):
    """An HTTPS URL of a commune that receives a signed JSON POST on submission events."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"),
                                            index=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(128))  # HMAC-SHA256 key, shown once on creation
    events: Mapped[list[str]] = mapped_column(JSONType)  # submission.accepted, submission.reviewed
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One event to deliver to one webhook, with its attempts: the delivery log."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"),
                                            index=True)
    event: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IndicatorMoments(Base):
    """Per village, month (Vietnam time) and indicator: the moments of the counted households
    (n, Σy, Σx, Σy², Σx², Σxy, households with x > 0), from which the estimate and its interval
    follow (surveys/indicators.py). Kept up to date by surveys/indicator_rollups.py."""

    __tablename__ = "indicator_moments"

    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"),
                                            primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"),
                                            index=True)
    count: Mapped[float] = mapped_column(Float)
    sum_y: Mapped[float] = mapped_column(Float)
    sum_x: Mapped[float] = mapped_column(Float)
    sum_yy: Mapped[float] = mapped_column(Float)
    sum_xx: Mapped[float] = mapped_column(Float)
    sum_xy: Mapped[float] = mapped_column(Float)
    positive: Mapped[float] = mapped_column(Float)


class HouseholdCell(Base):
    """Per village, month and H3 cell (resolution 8; "-" for no position): counted households and
    how many report each generation or better at home, for the village and area indicators and
    the map's hexagons."""

    __tablename__ = "household_cells"

    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"),
                                            primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    h3_cell: Mapped[str] = mapped_column(String(16), primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"),
                                            index=True)
    households: Mapped[int] = mapped_column(Integer)
    with_4g: Mapped[int] = mapped_column(Integer)  # 4G or 5G
    with_5g: Mapped[int] = mapped_column(Integer)
    with_3g: Mapped[int] = mapped_column(Integer)  # 3G or better
    with_2g: Mapped[int] = mapped_column(Integer)  # any mobile signal
