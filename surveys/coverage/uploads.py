"""Partner uploads: import a file in one transaction, report every bad row, delete cleanly.
Takes a Session; never imports Flask; never commits (the caller does, once)."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys.coverage import rollups
from surveys.coverage.formats import RawRecord, detect, formats
from surveys.coverage.spatial import Locator, base_cell
from surveys.coverage.validate import Issue, check
from surveys.db import conflict_insert
from surveys.errors import Problem, Text
from surveys.models import CoverageUpload, Measurement, Partner, Role, UploadIssue, User, utcnow

BATCH = 5000
MAX_STORED_ISSUES = 10_000  # counts stay complete; the error report lists the first ones


@dataclass(frozen=True)
class UploadResult:
    upload: CoverageUpload
    created: bool


def content_hash(stream: BinaryIO) -> tuple[str, int]:
    start = stream.tell()
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
        size += len(chunk)
    stream.seek(start)
    return digest.hexdigest(), size


def _dedupe_key(values: dict) -> str:  # type: ignore[type-arg]
    packed = struct.pack(
        "<d d d 16s 4s d d d", values["measured_at"].timestamp(), values["lat"], values["lon"],
        values["operator"].encode(), values["technology"].encode(),
        *(values[k] if values[k] is not None else float("nan")
          for k in ("rsrp_dbm", "download_mbps", "upload_mbps")))
    return hashlib.blake2b(packed, digest_size=16).hexdigest()


def _insert_measurements(session: Session, rows: list[dict]) -> None:  # type: ignore[type-arg]
    if not rows:
        return
    # The same measurement twice in one file counts once: the unique key drops the repeat.
    session.execute(conflict_insert(session, Measurement.__table__).on_conflict_do_nothing(
        index_elements=["upload_id", "dedupe_key"]), rows)


def import_upload(session: Session, partner: Partner, user: User | None, filename: str,
                  stream: BinaryIO, *, format_name: str | None, now: datetime | None = None,
                  max_village_km: float = 3.0,
                  progress: Callable[[int], None] | None = None) -> UploadResult:
    now = now or utcnow()
    digest, size = content_hash(stream)
    existing = session.scalar(select(CoverageUpload).where(
        CoverageUpload.partner_id == partner.id, CoverageUpload.content_sha256 == digest))
    if existing is not None:
        return UploadResult(existing, created=False)
    if format_name is not None:
        fmt = formats().get(format_name)
        if fmt is None:
            raise Problem("422.1", errors={"format": Text(
                "Định dạng không hỗ trợ. Các định dạng: {f}.", "Unknown format. Known: {f}.")
                .format(f=", ".join(formats()))})
    else:
        fmt = detect(stream)
        if fmt is None:
            raise Problem("422.1", errors={"file": Text(
                "Không nhận ra định dạng tệp; xem docs/coverage-formats.md hoặc nêu format.",
                "Unrecognised file; see docs/coverage-formats.md or name the format.")})
    upload = CoverageUpload(partner=partner, uploaded_by_id=user.id if user else None,
                            filename=filename[:255], format=fmt.name, content_sha256=digest,
                            size_bytes=size)
    session.add(upload)
    session.flush()
    locator = Locator(session, max_village_km)
    rows: list[dict] = []  # type: ignore[type-arg]
    issues: list[dict] = []  # type: ignore[type-arg]
    candidates = 0

    def record(found: list[Issue]) -> None:
        for issue in found:
            if upload.warnings + upload.rejected <= MAX_STORED_ISSUES:
                issues.append({"upload_id": upload.id, "line": issue.line,
                               "column": issue.column[:64], "value": issue.value[:200],
                               "reason": issue.reason[:300], "severity": issue.severity})
            if issue.severity == "warning":
                upload.warnings += 1

    for item in fmt.records(stream):
        upload.rows += 1
        if isinstance(item, Issue):
            upload.rejected += 1
            record([item])
        else:
            assert isinstance(item, RawRecord)
            checked = check(item.line, item.values, item.columns, now)
            if checked.values is None:
                upload.rejected += 1
                record(checked.issues)
            else:
                record(checked.issues)
                values = checked.values
                cell = base_cell(values["lat"], values["lon"])
                commune_id, village_id = locator.place(cell)
                rows.append({**values, "upload_id": upload.id, "h3_cell": cell,
                             "commune_id": commune_id, "village_id": village_id,
                             "dedupe_key": _dedupe_key(values)})
                candidates += 1
        if len(rows) >= BATCH:
            _insert_measurements(session, rows)
            rows.clear()
            if progress:
                progress(upload.rows)
        if len(issues) >= BATCH:
            session.execute(UploadIssue.__table__.insert(), issues)
            issues.clear()
    _insert_measurements(session, rows)
    if issues:
        session.execute(UploadIssue.__table__.insert(), issues)
    stored = session.scalar(select(func.count()).select_from(Measurement)
                            .where(Measurement.upload_id == upload.id)) or 0
    upload.accepted = stored
    upload.duplicates = candidates - stored
    if stored == 0:
        raise Problem("422.1", errors={"file": Text(
            "Không dòng nào hợp lệ ({n} dòng); không lưu gì. Xem lỗi từng dòng.",
            "No valid row ({n} rows); nothing was stored. See the errors by line.").format(
            n=upload.rows)}, details=[_issue_json(i) for i in issues[:100]])
    rollups.apply(session, rollups.contributions_of_upload(session, upload.id), +1)
    session.flush()
    return UploadResult(upload, created=True)


def _issue_json(issue: dict) -> dict:  # type: ignore[type-arg]
    return {k: issue[k] for k in ("line", "column", "value", "reason", "severity")}


def delete_upload(session: Session, upload: CoverageUpload) -> None:
    """Remove an upload and everything it contributed, rollups included."""
    rollups.apply(session, rollups.contributions_of_upload(session, upload.id), -1)
    session.delete(upload)
    session.flush()


def visible_uploads(user: User):  # -> Select
    query = select(CoverageUpload)
    if user.role == Role.ADMIN:
        return query
    if user.role == Role.PARTNER and user.partner_id is not None:
        return query.where(CoverageUpload.partner_id == user.partner_id)
    raise Problem("403.1", message=Text("Chỉ đối tác viễn thông và quản trị viên quản lý dữ liệu đo.",
                                        "Only telecom partners and admins manage measurements."))


def get_visible_upload(session: Session, user: User, upload_id: int) -> CoverageUpload:
    upload = session.scalar(visible_uploads(user).where(CoverageUpload.id == upload_id))
    if upload is None:
        raise Problem("404.1")
    return upload


def upload_json(upload: CoverageUpload, errors_url: str) -> dict:  # type: ignore[type-arg]
    return {"id": upload.id, "partner": upload.partner.slug, "filename": upload.filename,
            "format": upload.format, "bytes": upload.size_bytes, "rows": upload.rows,
            "accepted": upload.accepted, "rejected": upload.rejected,
            "duplicates": upload.duplicates, "warnings": upload.warnings,
            "created_at": upload.created_at.isoformat(), "errors_url": errors_url}
