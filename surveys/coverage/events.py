"""The `coverage.imported` webhook: when a queued import ends, each commune its measurements fall
in is told (through its webhooks that asked for the event), in the import's own transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys import webhooks
from surveys.models import CoverageUpload, Measurement, Partner


def imported(session: Session, upload: CoverageUpload, error: dict[str, Any] | None = None) -> int:
    """Queue coverage.imported for the communes the upload's stored rows fall in; how many. A
    failed or cancelled import stored nothing, so no commune is concerned (its status and reason
    are at GET /api/v1/coverage/uploads/ID)."""
    if upload.status != "done":
        return 0
    partner = session.get(Partner, upload.partner_id)
    data = {"upload": upload.id, "partner": partner.slug if partner else None,
            "filename": upload.filename, "format": upload.format, "status": upload.status,
            "rows": upload.rows, "accepted": upload.accepted, "rejected": upload.rejected,
            "duplicates": upload.duplicates, "warnings": upload.warnings}
    communes = session.scalars(select(Measurement.commune_id).where(
        Measurement.upload_id == upload.id, Measurement.commune_id.is_not(None)).distinct()).all()
    for commune_id in sorted(c for c in communes if c is not None):
        webhooks.enqueue(session, commune_id, "coverage.imported", data)
    return len(communes)
