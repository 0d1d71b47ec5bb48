"""Coverage imports as jobs: a finished resumable upload is queued here and imported by a worker
(`flask --app app jobs work`), with progress a person can watch, a lease against crashed workers
and cancellation.

Taking a job:
- PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED` picks a queued job (or one whose worker's lease ran
  out) in a short transaction, so workers on several machines never take the same one. While it
  imports, the worker renews its lease and writes its progress through a second, autocommit
  connection, and reads back whether someone asked to cancel.
- SQLite allows one writer at a time, so one worker imports at a time: it holds an exclusive file
  lock (UPLOAD_DIR/coverage-resumable/import-worker.lock) while it works; the operating system
  drops the lock when the process dies, so a job still marked importing when a worker gets the lock
  is an orphan and is taken up again. The import's long write transaction leaves no room for a
  second writer, so the progress and a request to cancel go through small files beside the upload
  (<file>.progress, <file>.cancel) instead of the database.

The import itself is one transaction (surveys/coverage/uploads.py: import_rows): a worker that
dies leaves nothing behind, and the retry starts from the first line.
Takes a Session; never imports Flask.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from surveys.errors import Problem, Text
from surveys.models import CoverageUpload, ImportJob, utcnow

log = logging.getLogger(__name__)

STATUSES = ("receiving", "queued", "importing", "done", "failed", "cancelled")
FINISHED = frozenset({"done", "failed", "cancelled"})
LOCK_NAME = "import-worker.lock"


class Cancelled(Exception):
    """Someone asked to cancel the job while it was importing."""


class LeaseLost(Exception):
    """Another worker took the job over (this one was too slow to renew its lease)."""


@dataclass(frozen=True)
class WorkerSettings:
    upload_dir: Path
    lease: timedelta = timedelta(seconds=120)
    max_attempts: int = 3
    max_village_km: float = 3.0
    gzip_max_ratio: float = 100.0
    worker: str = f"{socket.gethostname()}:{os.getpid()}"


def enqueue(session: Session, upload: CoverageUpload, path: str, size: int) -> ImportJob:
    job = ImportJob(upload_id=upload.id, path=path, status="queued", attempts=0,
                    cancel_requested=False, bytes_total=size, bytes_read=0, rows_read=0,
                    rows_accepted=0, rows_rejected=0)
    session.add(job)
    session.flush()
    return job


def job_for(session: Session, upload_id: int) -> ImportJob | None:
    return session.scalar(select(ImportJob).where(ImportJob.upload_id == upload_id))


def _sqlite(session_or_engine: Session | Engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "sqlite"


def _signal(upload_dir: Path, job: ImportJob, suffix: str) -> Path:
    return Path(upload_dir) / f"{job.path}.{suffix}"


# --- what the web side reads and asks -----------------------------------------------------------

def progress(session: Session, upload_dir: Path, job: ImportJob,
             now: datetime | None = None) -> dict[str, Any]:
    """Rows read / accepted / rejected, bytes, and the estimated seconds left (None unknown)."""
    figures = {"bytes_total": job.bytes_total, "bytes_read": job.bytes_read,
               "rows_read": job.rows_read, "rows_accepted": job.rows_accepted,
               "rows_rejected": job.rows_rejected}
    if job.status == "importing" and _sqlite(session):
        with suppress(OSError, ValueError):
            figures.update(json.loads(_signal(upload_dir, job, "progress").read_text()))
    seconds_left = None
    if job.status == "importing" and job.started_at and figures["bytes_read"]:
        elapsed = ((now or utcnow()) - job.started_at).total_seconds()
        left = max(0, figures["bytes_total"] - figures["bytes_read"])
        seconds_left = round(elapsed * left / figures["bytes_read"])
    elif job.status == "done":
        seconds_left = 0
    return {**figures, "attempts": job.attempts, "seconds_left": seconds_left,
            "cancel_requested": job.cancel_requested or (
                job.status in ("queued", "importing") and _sqlite(session)
                and _signal(upload_dir, job, "cancel").exists())}


def cancel(session: Session, upload_dir: Path, upload: CoverageUpload) -> ImportJob:
    """Cancel a queued job at once; ask an importing one to stop (its worker rolls back at the
    next batch of rows). A finished job cannot be cancelled."""
    job = job_for(session, upload.id)
    if job is None or job.status in FINISHED:
        raise Problem("409.3", message=Text(
            "Việc nhập này đã kết thúc; không huỷ được (có thể xoá tệp đã tải).",
            "This import has ended and cannot be cancelled (the upload can be deleted)."))
    if _sqlite(session):
        # The worker's write transaction may hold SQLite's only write lock for minutes: ask through
        # a file, which the worker reads at the next batch or before it starts.
        _signal(upload_dir, job, "cancel").touch()
        return job
    if job.status == "queued":
        _finish(job, upload, "cancelled", None)
        _clean(upload_dir, job, keep_file=False)
    else:
        job.cancel_requested = True
    session.flush()
    return job


def before_delete(session: Session, upload_dir: Path, upload: CoverageUpload) -> None:
    """An importing upload cannot be deleted (its worker is writing its rows): cancel it first. A
    queued one can; its received file goes with it."""
    job = job_for(session, upload.id)
    if job is None:
        return
    if job.status == "importing":
        raise Problem("409.3", message=Text(
            "Tệp đang được nhập; hãy huỷ việc nhập trước khi xoá.",
            "This file is being imported; cancel the import before deleting it."))
    _clean(upload_dir, job, keep_file=False)


# --- the worker ---------------------------------------------------------------------------------

@contextmanager
def _single_writer(settings: WorkerSettings, sqlite: bool) -> Iterator[bool]:
    """On SQLite, the worker lock (False: another worker holds it); elsewhere always True."""
    if not sqlite:
        yield True
        return
    folder = Path(settings.upload_dir) / "coverage-resumable"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_NAME, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def claim(session: Session, settings: WorkerSettings, now: datetime | None = None
          ) -> ImportJob | None:
    """Take the next job: queued, or importing under an expired lease (its worker died). On
    SQLite the caller holds the worker lock, so every importing job is an orphan. Commits."""
    now = now or utcnow()
    sqlite = _sqlite(session)
    takeable = (ImportJob.status == "queued") | (ImportJob.status == "importing")
    if not sqlite:
        takeable = (ImportJob.status == "queued") | (
            (ImportJob.status == "importing") & (ImportJob.lease_until < now))
    query = select(ImportJob).where(takeable).order_by(ImportJob.id).limit(1)
    if not sqlite:
        query = query.with_for_update(skip_locked=True)
    job = session.scalar(query)
    if job is None:
        session.rollback()
        return None
    upload = session.get(CoverageUpload, job.upload_id)
    assert upload is not None
    if job.cancel_requested or (sqlite and _signal(settings.upload_dir, job, "cancel").exists()):
        _finish(job, upload, "cancelled", None, now)
        session.commit()
        _clean(settings.upload_dir, job, keep_file=False)
        return claim(session, settings, now)
    if job.attempts >= settings.max_attempts:
        _finish(job, upload, "failed", _error(Text(
            "Việc nhập đã dừng giữa chừng {n} lần (máy xử lý bị tắt?); đã ngừng thử.",
            "The import stopped half-way {n} times (the worker was stopped?); no more attempts.")
            .format(n=job.attempts)), now)
        session.commit()
        _clean(settings.upload_dir, job, keep_file=False)
        return claim(session, settings, now)
    job.status, job.worker, job.attempts = "importing", settings.worker, job.attempts + 1
    job.lease_until, job.started_at = now + settings.lease, now
    job.bytes_read = job.rows_read = job.rows_accepted = job.rows_rejected = 0
    upload.status = "importing"
    session.commit()
    return job


def _error(message: Text, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"vi": message.vi, "en": message.en, "details": details or []}


def problem_error(problem: Problem) -> dict[str, Any]:
    """A failed import's reason, kept in both languages with the first bad lines."""
    messages = list(problem.errors.values()) or [problem.message]
    details = [{k: ({"vi": v.vi, "en": v.en} if isinstance(v, Text) else v) for k, v in d.items()}
               for d in (problem.details or [])[:50]]
    return _error(Text(" ".join(m.vi for m in messages), " ".join(m.en for m in messages)), details)


def error_json(error: dict[str, Any] | None, locale: str) -> dict[str, Any] | None:
    if not error:
        return None
    lang = "en" if locale == "en" else "vi"
    return {"message": error.get(lang), "details": [
        {k: (v.get(lang) if isinstance(v, dict) else v) for k, v in d.items()}
        for d in error.get("details", [])]}


def _finish(job: ImportJob, upload: CoverageUpload, status: str, error: dict[str, Any] | None,
            now: datetime | None = None) -> None:
    job.status, upload.status, job.error = status, status, error
    job.finished_at, job.lease_until = now or utcnow(), None


def _clean(upload_dir: Path, job: ImportJob, *, keep_file: bool) -> None:
    suffixes = ["progress", "cancel"]
    for suffix in suffixes:
        _signal(upload_dir, job, suffix).unlink(missing_ok=True)
    if not keep_file:
        (Path(upload_dir) / job.path).unlink(missing_ok=True)


class _Reporter:
    """Writes progress and renews the lease at each batch; raises Cancelled or LeaseLost."""

    def __init__(self, engine: Engine, settings: WorkerSettings, job: ImportJob,
                 position: Callable[[], int]) -> None:
        self.engine, self.settings, self.job, self.position = engine, settings, job, position
        self.sqlite = engine.dialect.name == "sqlite"

    def __call__(self, done: Any) -> None:
        figures = {"bytes_read": self.position(), "rows_read": done.rows,
                   "rows_accepted": done.accepted, "rows_rejected": done.rejected}
        if self.sqlite:
            if _signal(self.settings.upload_dir, self.job, "cancel").exists():
                raise Cancelled
            path = _signal(self.settings.upload_dir, self.job, "progress")
            temporary = path.with_suffix(".progress-new")
            temporary.write_text(json.dumps(figures))
            os.replace(temporary, path)
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            cancel = connection.execute(
                update(ImportJob).where(ImportJob.id == self.job.id,
                                        ImportJob.worker == self.settings.worker,
                                        ImportJob.status == "importing")
                .values(lease_until=utcnow() + self.settings.lease, **figures)
                .returning(ImportJob.cancel_requested)).scalar()
        if cancel is None:
            raise LeaseLost
        if cancel:
            raise Cancelled


def run(factory: sessionmaker[Session], settings: WorkerSettings, job_id: int,
        on_progress: Callable[[Any], None] | None = None) -> str:
    """Import a claimed job's file in one transaction; the job's final status."""
    from surveys.coverage import uploads
    from surveys.coverage.events import imported

    engine = factory.kw["bind"]
    with factory() as session:
        job = session.get(ImportJob, job_id)
        assert job is not None
        upload = session.get(CoverageUpload, job.upload_id)
        assert upload is not None
        path = Path(settings.upload_dir) / job.path
        outcome: tuple[str, dict[str, Any] | None]
        try:
            with open(path, "rb") as stream:
                reporter = _Reporter(engine, settings, job, stream.tell)

                def report(done: Any) -> None:
                    reporter(done)
                    if on_progress is not None:
                        on_progress(done)

                uploads.import_rows(session, upload, stream, max_village_km=settings.max_village_km,
                                    gzip_max_ratio=settings.gzip_max_ratio, progress=report)
                job.bytes_read, job.rows_read = job.bytes_total, upload.rows
                job.rows_accepted, job.rows_rejected = upload.accepted, upload.rejected
                _finish(job, upload, "done", None)
                imported(session, upload)
                session.commit()
                outcome = ("done", None)
        except LeaseLost:
            session.rollback()
            log.warning("import job %s: lease lost to another worker", job_id)
            return "lost"
        except Cancelled:
            session.rollback()
            outcome = ("cancelled", None)
        except Problem as problem:
            session.rollback()
            outcome = ("failed", problem_error(problem))
        except FileNotFoundError:
            session.rollback()
            outcome = ("failed", _error(Text("Tệp đã nhận không còn trên máy chủ.",
                                              "The received file is no longer on the server.")))
        except Exception:
            session.rollback()
            log.exception("import job %s failed", job_id)
            outcome = ("failed", _error(Text(
                "Lỗi máy chủ khi nhập tệp; không lưu gì. Hãy báo quản trị viên.",
                "Server error while importing; nothing was stored. Tell an administrator.")))
        if outcome[0] != "done":
            job = session.get(ImportJob, job_id)
            upload = session.get(CoverageUpload, job.upload_id) if job else None
            if job is None or upload is None:  # the upload was deleted meanwhile
                return outcome[0]
            _finish(job, upload, *outcome)
            imported(session, upload, error=outcome[1])
            session.commit()
        _clean(settings.upload_dir, job, keep_file=False)
        return outcome[0]


def work_once(factory: sessionmaker[Session], settings: WorkerSettings, *,
              now: datetime | None = None, on_progress: Callable[[Any], None] | None = None
              ) -> tuple[int, str] | None:
    """Take one job and import it: (job id, final status), or None when there was none to take."""
    engine = factory.kw["bind"]
    with _single_writer(settings, engine.dialect.name == "sqlite") as mine:
        if not mine:
            return None
        with factory() as session:
            job = claim(session, settings, now)
            if job is None:
                return None
            job_id = job.id
        return job_id, run(factory, settings, job_id, on_progress)


def pending(session: Session) -> int:
    return session.scalar(select(text("count(*)")).select_from(ImportJob).where(
        ImportJob.status.in_(("queued", "importing")))) or 0
