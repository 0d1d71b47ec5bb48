"""Each target stored at a province's or group's own level against all the area's data, as a
commune's targets page shows its own (report.target_statuses): target id → status and progress.
The area's data is what its dashboard starts from (areas.area_data: every village of every commune,
stratified); the statuses are computed as the dashboard's (report.statuses_of).
Takes a Session; never imports Flask, never commits."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from surveys.indicators.areas import area_data, area_targets
from surveys.indicators.report import statuses_of
from surveys.indicators.results import TargetStatus
from surveys.places.areas import Area


def area_target_statuses(session: Session, area: Area, *, today: date, minimum: int,
                         h3_resolution: int) -> dict[int, TargetStatus]:
    targets = area_targets(session, area)
    if not targets:
        return {}
    data = area_data(session, area, period=None, h3_resolution=h3_resolution,
                     codes=sorted({t.indicator for t in targets}))
    return statuses_of(session, targets, data.summary, data.sizes, today=today, minimum=minimum,
                       h3_resolution=h3_resolution)
