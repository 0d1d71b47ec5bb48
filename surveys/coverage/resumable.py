"""Resumable coverage uploads with the tus 1.0 protocol (core, creation, termination).

A session's bytes are appended to one file, UPLOAD_DIR/coverage-resumable/<key>; the file's size
is the session's offset, so a PATCH writes no database row and a dropped connection keeps every
byte that reached the disk. When the last byte arrives the file's SHA-256 is checked (against the
client's `sha256` metadata when given, and by the same-file rule of every upload), and the file
becomes a queued coverage upload with an import job (surveys/coverage/jobs.py).
Takes a Session; never imports Flask; never commits.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.coverage import jobs, ownership, uploads
from surveys.errors import Problem, Text
from surveys.models import CoverageUpload, Partner, ResumableUpload, Role, User, utcnow

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination"
FOLDER = "coverage-resumable"
PIECE = 1 << 20


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    expiry: timedelta


def folder(upload_dir: str | Path) -> Path:
    path = Path(upload_dir) / FOLDER
    path.mkdir(parents=True, exist_ok=True)
    return path


def parse_metadata(header: str | None) -> dict[str, str]:
    """tus Upload-Metadata: comma-separated `key base64value` pairs (a key alone is allowed)."""
    metadata: dict[str, str] = {}
    for pair in (header or "").split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _, value = pair.partition(" ")
        try:
            metadata[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise Problem("400.1", message=Text(
                "Upload-Metadata không đọc được (mỗi giá trị phải là base64 của UTF-8).",
                "Upload-Metadata is malformed (each value must be base64 of UTF-8 text).")) from exc
    return metadata


def _partner_for(session: Session, user: User, metadata: dict[str, str]) -> Partner:
    return ownership.uploading_partner(session, user, metadata.get("partner"), missing=Text(
        "Quản trị viên cần nêu đối tác (partner trong Upload-Metadata).",
        "Admins must name the partner (partner in Upload-Metadata)."))


def too_large(max_bytes: int) -> Problem:
    return Problem("413.1", errors={"file": Text(
        "Tệp lớn hơn giới hạn {mb} MB.", "The file is larger than the limit of {mb} MB.")
        .format(mb=max_bytes // (1 << 20))})


def create(session: Session, upload_dir: str | Path, user: User, length_header: str | None,
           metadata: dict[str, str], limits: Limits) -> ResumableUpload:
    """A new session for a file of Upload-Length bytes; its (empty) file is created."""
    partner = _partner_for(session, user, metadata)
    try:
        length = int(length_header or "")
    except ValueError:
        length = -1
    if length < 0:
        raise Problem("400.1", message=Text(
            "Cần tiêu đề Upload-Length (số byte của tệp).",
            "Send the Upload-Length header (the file's size in bytes)."))
    if length > limits.max_bytes:
        raise too_large(limits.max_bytes)
    filename = (metadata.get("filename") or metadata.get("name") or "").strip()
    if not filename:
        raise Problem("422.1", errors={"filename": Text(
            "Cần tên tệp (filename trong Upload-Metadata).",
            "Name the file (filename in Upload-Metadata).")})
    format_name = (metadata.get("format") or "").strip() or None
    uploads.check_format(format_name)
    expected = (metadata.get("sha256") or "").strip().lower() or None
    if expected is not None and (len(expected) != 64 or any(c not in "0123456789abcdef"
                                                             for c in expected)):
        raise Problem("422.1", errors={"sha256": Text(
            "sha256 phải là 64 ký tự hex.", "sha256 must be 64 hexadecimal characters.")})
    record = ResumableUpload(key=secrets.token_urlsafe(24), partner_id=partner.id, user_id=user.id,
                             filename=os.path.basename(filename.replace("\\", "/"))[:255] or "upload",
                             format=format_name, expected_sha256=expected, length=length)
    session.add(record)
    session.flush()
    (folder(upload_dir) / record.key).touch()
    return record


def find(session: Session, user: User, key: str) -> ResumableUpload:
    record = session.scalar(select(ResumableUpload).where(ResumableUpload.key == key[:64]))
    if record is None:
        raise Problem("404.1", message=Text(
            "Không có phiên tải lên này (đã xong, bị huỷ hay đã hết hạn và bị xoá).",
            "No such upload session (finished and removed, terminated, or expired and removed)."))
    ownership.require_manager(user)
    if user.role != Role.ADMIN and user.partner_id != record.partner_id:
        raise Problem("404.1")
    return record


def offset(upload_dir: str | Path, record: ResumableUpload) -> int:
    if record.upload_id is not None:
        return record.length
    try:
        return (folder(upload_dir) / record.key).stat().st_size
    except FileNotFoundError:
        return 0


def expires_at(upload_dir: str | Path, record: ResumableUpload, expiry: timedelta) -> datetime:
    """Expiry counts from the last bytes that arrived (the file's modification time)."""
    try:
        last = datetime.fromtimestamp((folder(upload_dir) / record.key).stat().st_mtime, UTC)
    except FileNotFoundError:
        last = record.created_at
    return max(last, record.created_at) + expiry


def check_alive(upload_dir: str | Path, record: ResumableUpload, expiry: timedelta,
                now: datetime | None = None) -> None:
    if record.upload_id is None and expires_at(upload_dir, record, expiry) < (now or utcnow()):
        raise Problem("410.1")


def append(upload_dir: str | Path, record: ResumableUpload, offset_header: str | None,
           content_type: str | None, body: BinaryIO, content_length: int | None) -> int:
    """Append the body at Upload-Offset; the new offset. A body cut short (the connection
    dropped) keeps what arrived: the client resumes from the offset HEAD then gives."""
    if (content_type or "").split(";")[0].strip().lower() != "application/offset+octet-stream":
        raise Problem("415.1")
    try:
        claimed = int(offset_header or "")
    except ValueError:
        claimed = -1
    if claimed < 0:
        raise Problem("400.1", message=Text("Cần tiêu đề Upload-Offset.",
                                            "Send the Upload-Offset header."))
    if record.upload_id is not None:
        raise Problem("409.3", message=Text(
            "Tệp đã nhận đủ; không gửi thêm được.",
            "The file is complete; nothing more can be appended."))
    path = folder(upload_dir) / record.key
    try:
        handle = open(path, "r+b")  # noqa: SIM115 (held for the lock below)
    except FileNotFoundError as exc:
        raise Problem("410.1") from exc
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise Problem("409.3", message=Text(
                "Một yêu cầu khác đang gửi vào phiên này; hãy thử lại sau.",
                "Another request is writing to this upload; try again later.")) from exc
        size = os.fstat(handle.fileno()).st_size
        if claimed != size:
            raise Problem("409.3", message=Text(
                "Upload-Offset {got} không khớp: máy chủ đã có {have} byte. Hỏi HEAD rồi gửi tiếp.",
                "Upload-Offset {got} does not match: the server holds {have} bytes. Ask HEAD, "
                "then resume.").format(got=claimed, have=size))
        remaining = record.length - size
        if content_length is not None and content_length > remaining:
            raise Problem("413.1", errors={"file": Text(
                "Phần gửi vượt quá Upload-Length ({n} byte còn thiếu).",
                "The chunk goes past Upload-Length ({n} bytes were missing).").format(n=remaining)})
        handle.seek(size)
        written = 0
        try:
            while written < remaining:
                piece = body.read(min(PIECE, remaining - written))
                if not piece:
                    break
                handle.write(piece)
                written += len(piece)
            if written == remaining and body.read(1):
                handle.truncate(size + written)
                raise Problem("413.1", errors={"file": Text(
                    "Dữ liệu gửi nhiều hơn Upload-Length.",
                    "More bytes were sent than Upload-Length.")})
        finally:
            handle.flush()
            os.fsync(handle.fileno())
        return size + written


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while piece := stream.read(PIECE * 4):
            digest.update(piece)
    return digest.hexdigest()


def finish(session: Session, upload_dir: str | Path, record: ResumableUpload) -> CoverageUpload | None:
    """Once every byte is in: check the hash, apply the same-file rule, queue the import. The
    coverage upload (None while bytes are missing). Safe to call again."""
    if record.upload_id is not None:
        return session.get(CoverageUpload, record.upload_id)
    path = folder(upload_dir) / record.key
    if offset(upload_dir, record) != record.length:
        return None
    digest = _sha256(path)
    if record.expected_sha256 and digest != record.expected_sha256:
        path.unlink(missing_ok=True)
        session.delete(record)
        session.flush()
        raise Problem("422.1", errors={"sha256": Text(
            "Mã SHA-256 của tệp nhận được ({got}) khác mã đã khai ({want}); tệp bị bỏ, hãy gửi lại.",
            "The received file's SHA-256 ({got}) differs from the one declared ({want}); the file "
            "was discarded, send it again.").format(got=digest, want=record.expected_sha256)})
    partner = session.get(Partner, record.partner_id)
    assert partner is not None
    existing = uploads.existing_upload(session, partner, digest)
    if existing is not None and existing.status in ("failed", "cancelled"):
        uploads.delete_upload(session, existing)  # it stored nothing: try the file again
        existing = None
    if existing is not None:  # the same file again: nothing more to import
        path.unlink(missing_ok=True)
        record.upload_id = existing.id
        session.flush()
        return existing
    upload = CoverageUpload(partner_id=partner.id, uploaded_by_id=record.user_id,
                            filename=record.filename, format=record.format or "",
                            content_sha256=digest, size_bytes=record.length, status="queued")
    session.add(upload)
    session.flush()
    jobs.enqueue(session, upload, f"{FOLDER}/{record.key}", record.length)
    record.upload_id = upload.id
    session.flush()
    return upload


def terminate(session: Session, upload_dir: str | Path, record: ResumableUpload) -> None:
    """tus termination: the session and its partial file go. A finished session's upload stays
    (delete it at /api/v1/coverage/uploads/ID)."""
    if record.upload_id is None:
        (folder(upload_dir) / record.key).unlink(missing_ok=True)
    session.delete(record)
    session.flush()


def remove_expired(session: Session, upload_dir: str | Path, expiry: timedelta,
                   now: datetime | None = None) -> int:
    """Delete unfinished sessions whose last bytes are older than the expiry, and their files."""
    now = now or utcnow()
    removed = 0
    for record in session.scalars(select(ResumableUpload).where(
            ResumableUpload.upload_id.is_(None), ResumableUpload.created_at < now - expiry)):
        if expires_at(upload_dir, record, expiry) < now:
            terminate(session, upload_dir, record)
            removed += 1
    return removed
