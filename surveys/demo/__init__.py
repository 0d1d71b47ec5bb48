"""Demo data: the five communes whose plans are in the seeds, the province of Hà Tĩnh with its 69
communes and the group of the former Cẩm Xuyên district, synthetic villages, users, households.

Everything here is marked `is_demo` and is loaded only when ALLOW_DEMO_DATA is on (the CLI checks).
Commune boundaries are real (surveys/data/NOTICE.md); villages, their positions and household counts,
and every household answer are synthetic. Households are generated as API payloads and pass through
the same parse/record service as real submissions, so demo data obeys every rule of the survey.
Partner coverage measurements come with the coverage-upload work; only households are generated now.

Loading is idempotent. Communes, villages, partners and users are looked up by slug or username
before being created. Households have deterministic instance_ids (uuid5 of commune/village/index), so
the service itself refuses duplicates; a village whose demo households are already stored is skipped
as a whole, because their collected_at is relative to the day they were generated (a re-send made
on another day would differ in content: a conflict, not a replay).

Modules: places (communes, the province, villages), people (partners, users, targets), households
(synthetic answers), tally (the report).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from surveys.demo.households import (
    NAMESPACE,
    _answers,
    _village_payloads,
    instance_id,
    load_households,
)
from surveys.demo.people import DEMO_PASSWORD, DEMO_USERS, PARTNERS, DemoUser, load_people, load_targets
from surveys.demo.places import (
    ALL_COMMUNES,
    COMMUNES,
    HA_TINH_COMMUNES,
    DemoCommune,
    Profile,
    commune_geometry,
    load_commune,
    load_province,
    stored_boundary,
    village_factors,
    village_sites,
)
from surveys.demo.tally import Tally
from surveys.models import utcnow
from surveys.places import boundary_cells

__all__ = ["ALL_COMMUNES", "COMMUNES", "DEMO_PASSWORD", "DEMO_USERS", "HA_TINH_COMMUNES",
           "NAMESPACE", "PARTNERS", "DemoCommune", "DemoUser", "Profile", "_answers",
           "_village_payloads", "commune_geometry", "instance_id", "load_demo", "stored_boundary",
           "village_factors", "village_sites"]


def load_demo(session: Session, *, with_data: bool = False, seed: int = 2026,
              now: datetime | None = None) -> str:
    """Load (or complete) the demo and return a short report. Never commits: the caller does."""
    tally = Tally()
    communes = [load_commune(session, demo, tally) for demo in COMMUNES]
    in_province = load_province(session, tally)
    communes += [load_commune(session, demo, tally, counted=demo.slug not in in_province)
                 for demo in HA_TINH_COMMUNES]
    boundary_cells.store_communes(session, communes)  # the province's import stored its own
    load_people(session, tally)
    load_targets(session, {c.slug: c for c in communes}, tally)
    if with_data:
        now = now or utcnow()
        for demo, commune in zip(ALL_COMMUNES, communes, strict=True):
            if commune.is_demo:
                load_households(session, demo, commune, seed, now, tally)
    return tally.report(DEMO_PASSWORD, (u.username for u in DEMO_USERS))
