"""Who may do what with coverage uploads, decided once for the API, the pages and the tus routes.

Telecom partners manage their own organisation's uploads, administrators everyone's; anyone else
gets a 403 saying so, and an upload outside what the user may see is a 404 (its existence is not
revealed). The write use cases (`create_upload`, `cancel_upload`, `delete_upload`) take
`(session, user, input)`, check this first and never commit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from surveys.coverage import jobs, uploads
from surveys.errors import Problem, Text
from surveys.models import CoverageUpload, Partner, Role, User

MANAGERS_ONLY = Text("Chỉ đối tác viễn thông và quản trị viên quản lý dữ liệu đo.",
                     "Only telecom partners and admins manage measurements.")
NAME_THE_PARTNER = Text("Quản trị viên cần nêu đối tác (partner).", "Admins must name the partner.")
CHOOSE_THE_PARTNER = Text("Hãy chọn đối tác sở hữu các số đo này.",  # the upload page's words
                          "Choose the partner whose measurements these are.")


def require_manager(user: User) -> None:
    """Partners (of an organisation) and admins manage measurements; a 403 for anyone else."""
    if user.role == Role.ADMIN or (user.role == Role.PARTNER and user.partner_id is not None):
        return
    raise Problem("403.1", message=MANAGERS_ONLY)


def visible_uploads(user: User) -> Select[CoverageUpload]:
    """The uploads the user may see (a query to order and page); 403 for a non-manager."""
    require_manager(user)
    query = select(CoverageUpload)
    if user.role == Role.ADMIN:
        return query
    return query.where(CoverageUpload.partner_id == user.partner_id)


def get_visible_upload(session: Session, user: User, upload_id: int) -> CoverageUpload:
    """One upload the user may see, read, cancel or delete; 404 for any other."""
    upload = session.scalar(visible_uploads(user).where(CoverageUpload.id == upload_id))
    if upload is None:
        raise Problem("404.1")
    return upload


def uploading_partner(session: Session, user: User, partner_slug: str | None, *,
                      missing: Text = NAME_THE_PARTNER) -> Partner:
    """Whose measurements a new file holds: a partner's own organisation; the one an admin names
    (a 422 on `partner` with `missing` when none or an unknown one is named)."""
    require_manager(user)
    if user.role == Role.PARTNER and user.partner is not None:
        return user.partner
    partner = session.scalar(select(Partner).where(Partner.slug == (partner_slug or "")))
    if partner is None:
        raise Problem("422.1", errors={"partner": missing})
    return partner


def create_upload(session: Session, user: User, partner_slug: str | None, filename: str | None,
                  stream: BinaryIO | None, *, missing_partner: Text = NAME_THE_PARTNER,
                  **options: Any) -> uploads.UploadResult:
    """Import a file sent in one request for the user's (or the named) partner; `options` are
    import_upload's (format_name, max_village_km, gzip_max_ratio)."""
    partner = uploading_partner(session, user, partner_slug, missing=missing_partner)
    if stream is None or not filename:
        raise Problem("422.1", errors={"file": Text("Cần tệp trong trường file.",
                                                    "Send the file in field 'file'.")})
    return uploads.import_upload(session, partner, user, filename, stream, **options)


def cancel_upload(session: Session, user: User, upload_id: int, upload_dir: Path
                  ) -> CoverageUpload:
    """Stop a queued or importing job of an upload the user may see."""
    upload = get_visible_upload(session, user, upload_id)
    jobs.cancel(session, upload_dir, upload)
    return upload


def delete_upload(session: Session, user: User, upload_id: int, upload_dir: Path) -> CoverageUpload:
    """Delete an upload the user may see, with everything it contributed (not while importing)."""
    upload = get_visible_upload(session, user, upload_id)
    jobs.before_delete(session, upload_dir, upload)
    uploads.delete_upload(session, upload)
    return upload
