"""Partner uploads: import a file in one transaction, report every bad row, delete cleanly.
Takes a Session; never imports Flask; never commits (the caller does, once)."""

from __future__ import annotations

import gzip
import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import BinaryIO

from sqlalchemy import Float, func, select
from sqlalchemy.orm import Session

from surveys.coverage import reasons, rollups
from surveys.coverage.collector import collector_paused
from surveys.coverage.formats import Source, detect, formats, missing_columns
from surveys.coverage.spatial import Locator, base_cell
from surveys.coverage.validate import Issue, check
from surveys.db import driver_insert_sql
from surveys.errors import Problem, Text
from surveys.models import CoverageUpload, Measurement, Partner, UploadIssue, User, UTCDateTime, utcnow

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


_KEY_LAYOUT = struct.Struct("<d d d 16s 8s d d d")
_NAN = float("nan")


def _dedupe_key(values: dict) -> str:
    # The source is part of a measurement's identity: the three sectors of one mast share a
    # position and a time in a cell list, and differ only by their cell id. 64 bits keep the
    # unique index small; among a million rows of one upload, two different measurements share
    # a key with a chance of about 3 in 100 million.
    measured_at, lat, lon, operator, technology, rsrp, down, up, source = _KEY_FIELDS(values)
    packed = _KEY_LAYOUT.pack(
        measured_at.timestamp(), lat, lon, operator.encode(), technology.encode(),
        _NAN if rsrp is None else rsrp, _NAN if down is None else down, _NAN if up is None else up)
    return _BLAKE2B(packed + (source or "").encode(), digest_size=8).hexdigest()


_KEY_FIELDS = itemgetter("measured_at", "lat", "lon", "operator", "technology", "rsrp_dbm",
                         "download_mbps", "upload_mbps", "source")
_BLAKE2B = hashlib.blake2b


class _MeasurementInsert:
    """The hot path of an import: one INSERT … ON CONFLICT DO NOTHING per batch, run as the
    driver's executemany with each column's own bind processor (the ORM and Core statement
    machinery cost more per row than the database itself)."""

    def __init__(self, session: Session) -> None:
        table = Measurement.__table__
        connection = session.connection()
        dialect = connection.dialect
        self.connection = connection
        self.columns = [c.name for c in table.columns if c.name != "id"]
        self.get = itemgetter(*self.columns)
        # check() makes every number a float and every time an aware UTC datetime: the
        # processors of those columns would only repeat that. Any other column's runs.
        self.processed = [(i, process) for i, name in enumerate(self.columns)
                          if not isinstance(table.c[name].type, Float | UTCDateTime)
                          and (process := table.c[name].type.bind_processor(dialect)) is not None]
        self.sql = driver_insert_sql(dialect, table.name, self.columns,
                                     " ON CONFLICT (upload_id, dedupe_key) DO NOTHING")

    def __call__(self, rows: list[dict]) -> int:
        get, processed = self.get, self.processed
        if not processed:  # the usual case: the rows' values as they are, at C speed
            return self.connection.exec_driver_sql(self.sql, list(map(get, rows))).rowcount
        params = []
        for row in rows:
            values = list(get(row))
            for index, process in processed:
                if values[index] is not None:
                    values[index] = process(values[index])
            params.append(tuple(values))
        return self.connection.exec_driver_sql(self.sql, params).rowcount


def _insert_measurements(session: Session, upload_id: int, rows: list[dict],
                         counter: rollups.ContributionCounter, insert: _MeasurementInsert) -> int:
    """Insert a batch, add what was really stored to the rollup tallies, return how many.

    The same measurement twice in one file counts once. Repeats within the batch are dropped
    here; a repeat of an earlier batch is dropped by the unique key, and the rare batch that has
    one is then asked which of its rows went in (those with ids above the highest before it)."""
    if not rows:
        return 0
    unique: dict[str, dict] = {}
    for row in rows:
        unique.setdefault(row["dedupe_key"], row)
    table = Measurement.__table__
    highest_before = session.scalar(select(func.max(table.c.id))) or 0
    kept = rows if len(unique) == len(rows) else list(unique.values())  # no repeat: the batch
    inserted = insert(kept)
    if inserted != len(kept):
        stored = set(session.scalars(select(table.c.dedupe_key).where(
            table.c.upload_id == upload_id, table.c.id > highest_before)))
        kept = [row for key, row in unique.items() if key in stored]
    add = counter.add
    for fields in map(_COUNTED, kept):
        add(*fields)
    return len(kept)


# What the rollups count of a stored row, in ContributionCounter.add's order.
_COUNTED = itemgetter("h3_cell", "operator", "technology", "measured_at", "signal_class", "rsrp_dbm",
                      "download_mbps", "upload_mbps", "footprint_m")


@dataclass(frozen=True)
class Progress:
    """How far an import is, reported every batch of rows."""

    rows: int
    accepted: int
    rejected: int


GZIP_MAGIC = b"\x1f\x8b"


class _RatioLimitedGzip(gzip.GzipFile):
    """A .gz file read as a stream, refused once it has produced more than `ratio` times the
    compressed bytes read (beyond the first MiB): a small file that inflates to terabytes (a
    decompression bomb) stops early instead of filling the disk and the database."""

    def __init__(self, raw: BinaryIO, ratio: float) -> None:
        super().__init__(fileobj=raw, mode="rb")
        self._raw, self._ratio, self._raw_start = raw, ratio, raw.tell()

    def _check(self) -> None:
        produced = self.tell()
        if produced > (1 << 20) and produced > self._ratio * max(1, self._raw.tell() - self._raw_start):
            raise Problem("413.1", errors={"file": Text(
                "Tệp nén giải nén ra quá lớn (hơn {r} lần kích thước nén); không nhận.",
                "The compressed file inflates to more than {r} times its size; refused.")
                .format(r=int(self._ratio))})

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self._check()
        return data

    def read1(self, size: int = -1) -> bytes:
        data = super().read1(size)
        self._check()
        return data

    def readline(self, size: int | None = -1) -> bytes:
        data = super().readline(size)
        self._check()
        return data


def open_content(stream: BinaryIO, *, gzip_max_ratio: float = 100.0) -> BinaryIO:
    """The stream to read rows from: the file itself, or its decompressed content when it is
    gzip-compressed (.csv.gz), checked against a ratio limit."""
    start = stream.tell()
    magic = stream.read(2)
    stream.seek(start)
    if magic == GZIP_MAGIC:
        return _RatioLimitedGzip(stream, gzip_max_ratio)  # type: ignore[return-value]
    return stream


def existing_upload(session: Session, partner: Partner, digest: str) -> CoverageUpload | None:
    """The same-file rule: one partner's file with the same SHA-256 is the same upload."""
    return session.scalar(select(CoverageUpload).where(
        CoverageUpload.partner_id == partner.id, CoverageUpload.content_sha256 == digest))


def check_format(format_name: str | None) -> None:
    if format_name is not None and format_name not in formats():
        raise Problem("422.1", errors={"format": Text(
            "Định dạng không hỗ trợ. Các định dạng: {f}.", "Unknown format. Known: {f}.")
            .format(f=", ".join(formats()))})


def import_upload(session: Session, partner: Partner, user: User | None, filename: str,
                  stream: BinaryIO, *, format_name: str | None, now: datetime | None = None,
                  max_village_km: float = 3.0, gzip_max_ratio: float = 100.0,
                  progress: Callable[[Progress], None] | None = None) -> UploadResult:
    """The small-file path: hash, check the same-file rule, then import in this transaction."""
    digest, size = content_hash(stream)
    existing = existing_upload(session, partner, digest)
    if existing is not None:
        return UploadResult(existing, created=False)
    check_format(format_name)
    upload = CoverageUpload(partner=partner, uploaded_by_id=user.id if user else None,
                            filename=filename[:255], format=format_name or "", content_sha256=digest,
                            size_bytes=size, status="done")
    session.add(upload)
    session.flush()
    import_rows(session, upload, stream, now=now, max_village_km=max_village_km,
                gzip_max_ratio=gzip_max_ratio, progress=progress)
    return UploadResult(upload, created=True)


def import_rows(session: Session, upload: CoverageUpload, stream: BinaryIO, *,
                now: datetime | None = None, max_village_km: float = 3.0,
                gzip_max_ratio: float = 100.0,
                progress: Callable[[Progress], None] | None = None) -> CoverageUpload:
    """Read and store the rows of an upload's file into the (flushed) upload, in the caller's
    transaction: all of it or nothing. upload.format names the format, or is empty to detect it.

    Python's cyclic garbage collector is paused meanwhile: the rows make no cycles (an import of
    200,000 rows leaves the same 4,374 objects in cycles as one of 50,000), while each of its
    collections walks the tallies the import holds, up to rollups.FLUSH_KEYS of them (at
    1,000,000 rows 45.7 → 39.4 s of CPU without the import's end)."""
    with collector_paused():
        return _import_rows(session, upload, stream, now=now, max_village_km=max_village_km,
                            gzip_max_ratio=gzip_max_ratio, progress=progress)


def _import_rows(session: Session, upload: CoverageUpload, stream: BinaryIO, *,
                 now: datetime | None, max_village_km: float, gzip_max_ratio: float,
                 progress: Callable[[Progress], None] | None) -> CoverageUpload:
    now = now or utcnow()
    filename = upload.filename
    stream = open_content(stream, gzip_max_ratio=gzip_max_ratio)
    if upload.format:
        fmt = formats().get(upload.format)
        if fmt is None:
            check_format(upload.format)
    else:
        fmt = detect(stream)
        if fmt is None:
            raise Problem("422.1", errors={"file": Text(
                "Không nhận ra định dạng tệp; xem docs/coverage-formats.md hoặc nêu format.",
                "Unrecognised file; see docs/coverage-formats.md or name the format.")})
        upload.format = fmt.name
    assert fmt is not None
    start = stream.tell()
    missing = missing_columns(fmt, stream.read(64 * 1024))
    stream.seek(start)
    if missing:
        raise Problem("422.1", errors={"file": Text(
            "Tệp không có các cột mà định dạng {f} cần: {c}.",
            "The file lacks the columns the {f} format needs: {c}.").format(
            f=fmt.name, c=", ".join(missing))})
    locator = Locator(session, max_village_km)
    placed = locator.placed  # a cell placed before, or None
    upload_id = upload.id
    counter = rollups.ContributionCounter()
    insert = _MeasurementInsert(session)
    rows: list[dict] = []
    issues: list[dict] = []
    first_issues: list[dict] = []
    candidates = stored = rows_seen = rejected = warnings = 0

    def record(found: list[Issue]) -> None:
        nonlocal warnings
        for issue in found:
            if warnings + rejected <= MAX_STORED_ISSUES:
                issues.append({"upload_id": upload.id, "line": issue.line,
                               "column": issue.column[:64], "value": issue.value[:200],
                               "reason": issue.reason[:300], "severity": issue.severity,
                               "code": issue.code, "params": issue.params})
                if len(first_issues) < 100:
                    first_issues.append(issues[-1])
            if issue.severity == "warning":
                warnings += 1

    for item in fmt.records(stream, Source(filename, now)):
        if isinstance(item, Issue):
            if item.severity == "error":  # a row that could not even be read
                rows_seen += 1
                rejected += 1
            record([item])  # or a warning about the whole file
            continue
        rows_seen += 1
        checked = check(item.line, item.values, item.columns, now)
        if checked.values is None:
            rejected += 1
            record(checked.issues)
        else:
            if checked.issues:
                record(checked.issues)
            values = checked.values
            cell = base_cell(values["lat"], values["lon"])
            commune_id, village_id = placed(cell) or locator.place(cell)
            values["upload_id"] = upload_id
            values["h3_cell"] = cell
            values["commune_id"] = commune_id
            values["village_id"] = village_id
            values["dedupe_key"] = _dedupe_key(values)
            rows.append(values)
            candidates += 1
        if len(rows) >= BATCH:
            stored += _insert_measurements(session, upload.id, rows, counter, insert)
            rows.clear()
            if len(counter) >= rollups.FLUSH_KEYS:
                rollups.write(session, upload.id, counter.drain())
            if progress:
                progress(Progress(rows_seen, stored, rejected))
        if len(issues) >= BATCH:
            session.execute(UploadIssue.__table__.insert(), issues)
            issues.clear()
    stored += _insert_measurements(session, upload.id, rows, counter, insert)
    if issues:
        session.execute(UploadIssue.__table__.insert(), issues)
    upload.rows, upload.rejected, upload.warnings = rows_seen, rejected, warnings
    upload.accepted = stored
    upload.duplicates = candidates - stored
    if progress:
        progress(Progress(rows_seen, stored, rejected))
    if stored == 0:
        raise Problem("422.1", errors={"file": Text(
            "Không dòng nào hợp lệ ({n} dòng); không lưu gì. Xem lỗi từng dòng.",
            "No valid row ({n} rows); nothing was stored. See the errors by line.").format(
            n=upload.rows)}, details=[_issue_json(i) for i in first_issues])
    rollups.finish_upload(session, upload.id, counter)
    session.flush()
    return upload


def _issue_json(issue: dict) -> dict:
    return {"line": issue["line"], "column": issue["column"], "value": issue["value"],
            "reason": reasons.text(issue["code"], issue["params"]), "severity": issue["severity"],
            "code": issue["code"]}


def delete_upload(session: Session, upload: CoverageUpload) -> None:
    """Remove an upload and everything it contributed, rollups included."""
    rollups.remove_upload(session, upload.id)
    session.delete(upload)
    session.flush()


def upload_json(upload: CoverageUpload, errors_url: str) -> dict:
    return {"id": upload.id, "partner": upload.partner.slug, "filename": upload.filename,
            "format": upload.format, "bytes": upload.size_bytes, "rows": upload.rows,
            "accepted": upload.accepted, "rejected": upload.rejected,
            "duplicates": upload.duplicates, "warnings": upload.warnings,
            "created_at": upload.created_at.isoformat(), "errors_url": errors_url,
            "status": upload.status}
