"""Partner coverage uploads, their measurements, issues, import jobs and H3 rollups."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveys.db import Base, JSONType
from surveys.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from surveys.models.administration import Partner


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


class CoverageSums:
    """Measurements of one H3 cell summed: their number, the estimated coverage discs reaching the
    cell, and histograms that add up (surveys/coverage/histograms.py documents the bins and their
    precision). Declared after the key columns of each table that holds them (sort_order)."""

    resolution: Mapped[int] = mapped_column(Integer, sort_order=1)
    n: Mapped[int] = mapped_column(Integer, default=0, sort_order=1)
    estimated: Mapped[int] = mapped_column(Integer, default=0, sort_order=1)
    classes: Mapped[list[int]] = mapped_column(JSONType, sort_order=1)  # counts of none … great
    rsrp: Mapped[dict[str, int]] = mapped_column(JSONType, sort_order=1)  # bin → count
    down: Mapped[dict[str, int]] = mapped_column(JSONType, sort_order=1)
    up: Mapped[dict[str, int]] = mapped_column(JSONType, sort_order=1)


class CoverageRollup(CoverageSums, Base):
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
    # Only on the rows of all operators and all months (operator and period "*"): how many
    # contributions each operator made, so a map without filters reads one row per technology.
    operators: Mapped[dict[str, int] | None] = mapped_column(JSONType, sort_order=2)


class CoverageCellTotal(CoverageSums, Base):
    """All operators and months of one H3 cell and technology, summed over every upload: what a
    map without filters reads, one row per cell and technology however many uploads cover it.
    An import adds its upload's rows of all operators here at its end, a delete subtracts them
    (surveys/coverage/rollups.py, `add_to_totals`)."""

    __tablename__ = "coverage_cell_totals"

    h3_cell: Mapped[str] = mapped_column(String(16), primary_key=True)
    technology: Mapped[str] = mapped_column(String(8), primary_key=True)
    operators: Mapped[dict[str, int]] = mapped_column(JSONType, sort_order=2)  # per operator


class CoverageCellMonthTotal(CoverageSums, Base):
    """One operator's measurements of one H3 cell, technology and month (period "YYYY-MM"), or of
    all months (period "*"), summed over every upload: what a map filtered by operator or period
    reads, one row per cell, technology, operator and month however many uploads cover it. An
    import adds its upload's detailed rollup rows here at its end, a delete subtracts them
    (surveys/coverage/month_totals.py)."""

    __tablename__ = "coverage_cell_month_totals"

    h3_cell: Mapped[str] = mapped_column(String(16), primary_key=True)
    technology: Mapped[str] = mapped_column(String(8), primary_key=True)
    operator: Mapped[str] = mapped_column(String(16), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM, or "*"


class CellSummaryColumns:
    """What the coverage map shows of one H3 cell (surveys/coverage/cell_views.py `summary_rows`),
    after the key columns of each table that holds it (sort_order)."""

    resolution: Mapped[int] = mapped_column(Integer, sort_order=1)
    block: Mapped[str] = mapped_column(String(16), sort_order=1)  # its ancestor 3 resolutions up
    n: Mapped[int] = mapped_column(Integer, sort_order=1)
    estimated: Mapped[int] = mapped_column(Integer, sort_order=1)
    # bit i: generation i (2g…5g) measured usable
    usable: Mapped[int] = mapped_column(Integer, sort_order=1)
    signal_class: Mapped[str | None] = mapped_column(String(16), sort_order=1)
    median_rsrp_dbm: Mapped[float | None] = mapped_column(Float, sort_order=1)
    median_download_mbps: Mapped[float | None] = mapped_column(Float, sort_order=1)
    median_upload_mbps: Mapped[float | None] = mapped_column(Float, sort_order=1)
    # sorted, joined by commas (an operator's summary: that operator, as the map's answer says)
    operators: Mapped[str] = mapped_column(String(200), sort_order=1)


class CoverageCellSummary(CellSummaryColumns, Base):
    """What the coverage map shows of one H3 cell's totals, for every mobile technology ("*") or
    4G or 5G alone: rewritten with the cell's totals (surveys/coverage/cell_views.py), so a map
    without operator or period filter reads one small row per cell at any resolution."""

    __tablename__ = "coverage_cell_summaries"
    __table_args__ = (Index("ix_coverage_cell_summaries_block", "block", "view"),)

    h3_cell: Mapped[str] = mapped_column(String(16), primary_key=True)
    view: Mapped[str] = mapped_column(String(8), primary_key=True)  # "*", "4g" or "5g"


class CoverageCellOperatorSummary(CellSummaryColumns, Base):
    """What the coverage map filtered by one operator (over all months) shows of one H3 cell, for
    every mobile technology ("*") or 4G or 5G alone: the `CoverageCellSummary` of that operator's
    month totals of all months, rewritten when an import or a delete changes them
    (surveys/coverage/operator_views.py), so an `operator=` map reads one small row per cell."""

    __tablename__ = "coverage_cell_operator_summaries"
    __table_args__ = (Index("ix_coverage_cell_operator_summaries_block", "block", "operator",
                            "view"),)

    h3_cell: Mapped[str] = mapped_column(String(16), primary_key=True)
    operator: Mapped[str] = mapped_column(String(16), primary_key=True)
    view: Mapped[str] = mapped_column(String(8), primary_key=True)  # "*", "4g" or "5g"


class CoverageVersion(Base):
    """A random number that changes, in the writer's transaction, with every write to what the
    coverage map reads of the partners' measurements (the cells' totals, month totals and
    summaries: every such writer takes `totals.lock_totals`), so a process may keep a map's whole
    answer while the number is unchanged (surveys/coverage/map_answers.py). One row, id 1."""

    __tablename__ = "coverage_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)
