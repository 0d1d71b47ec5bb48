"""Plan targets are created, changed and removed here, one use case each:
`(session, actor, input) -> result`. Each checks the actor may write the target's commune
(surveys/administration/access.py), changes the target through surveys/indicators/targets.py and
records target.create / target.update / target.delete in the audit log with the values before and
after. The page (views/targets.py), the API (views/api_indicators.py) and any command call these;
they never commit (the caller's one transaction keeps the change and its audit event together).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from surveys import audit
from surveys.administration.access import area_for, commune_for, editable_target
from surveys.errors import Problem, Text
from surveys.indicators import targets
from surveys.models import AuditEvent, Target


def record_change(session: Session, actor: audit.Actor, action: str, target: Target,
                  before: dict[str, Any] | None = None) -> AuditEvent:
    """target.create / target.update / target.delete with the values before and after."""
    details: dict[str, Any] = {}
    if before is not None:
        details["before"] = before
    if action != "target.delete":
        details["after"] = targets.target_json(target)
    return audit.record(session, action, actor=actor.user, actor_label=actor.label,
                        commune_id=target.commune_id, target_type="target", target_id=target.id,
                        details=details)


def create_target(session: Session, actor: audit.Actor, commune_slug: object,
                  raw: Mapping[str, Any]) -> Target:
    """A new target of the commune (its staff, or an admin), or, when `raw` names an `area`, of a
    province or group of communes (staff of that level, or an admin)."""
    if "area" in raw:
        if "commune" in raw:
            raise Problem("422.1", errors={"area": Text("Chọn area hoặc commune, không cả hai.",
                                                        "Give area or commune, not both.")})
        place = area_for(session, actor.user, raw["area"], write=True).place
    else:
        place = commune_for(session, actor.user, commune_slug, write=True)
    target = targets.create_target(session, place, raw)
    record_change(session, actor, "target.create", target)
    return target


def update_target(session: Session, actor: audit.Actor, target_id: int, raw: object,
                  *, commune_slug: str | None = None, area_slug: str | None = None) -> Target:
    """Change some fields of a target (`raw`: a JSON object). With the commune (or province or
    group: `area_slug`) of a page's URL, that place's permission is checked first and the target
    must belong to it (404 otherwise)."""
    target = editable_target(session, actor.user, target_id, commune_slug=commune_slug,
                             area_slug=area_slug)
    if not isinstance(raw, Mapping):
        raise Problem("422.1", errors={"body": Text("Cần một đối tượng JSON.", "Send a JSON object.")})
    if "commune" in raw or "area" in raw:
        raise Problem("422.1", errors={"commune" if "commune" in raw else "area": Text(
            "Không đổi được địa bàn của chỉ tiêu.", "A target cannot move to another place.")})
    before = targets.target_json(target)
    targets.update_target(session, target, raw)
    record_change(session, actor, "target.update", target, before)
    return target


def delete_target(session: Session, actor: audit.Actor, target_id: int, *,
                  commune_slug: str | None = None, area_slug: str | None = None) -> Target:
    """Remove a target; the audit event keeps its values. Returns the removed target."""
    target = editable_target(session, actor.user, target_id, commune_slug=commune_slug,
                             area_slug=area_slug)
    record_change(session, actor, "target.delete", target, targets.target_json(target))
    session.delete(target)
    session.flush()
    return target
