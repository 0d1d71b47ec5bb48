"""One indicator for every village of a commune, as GeoJSON for the map's village layer.

The commune's summary is read once from the indicator rollups (surveys/indicators/rollups.py);
each village's estimate comes from its share of it, the one `indicator_table(village=...)` would
give (same strata, measured coverage and status rules) without one table per village.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.indicators import CATALOGUE
from surveys.indicators.report import Period, current_target, indicator_row, measured_coverage, place_summary
from surveys.indicators.rollups import estimate_summary
from surveys.indicators.targets import targets_for
from surveys.models import Commune, Target, Village


def below(value: float | None, target: Target | None) -> bool:
    """The village's estimate does not reach the target now in force (a point comparison; the
    status says whether the interval allows a conclusion)."""
    if value is None or target is None or target.value is None:
        return False
    return value <= target.value if target.comparator == ">" else value < target.value


def village_indicator_map(session: Session, commune: Commune, code: str, *,
                          period: Period | None, today: date, minimum: int,
                          h3_resolution: int) -> dict[str, Any]:
    """A GeoJSON FeatureCollection: one Feature per village (a Point at its centroid, or no
    geometry when it has none) with the indicator's value, interval, n, status and
    below_target."""
    indicator = CATALOGUE[code]
    villages = list(session.scalars(select(Village).where(Village.commune_id == commune.id)
                                    .order_by(Village.name, Village.id)))
    sizes = {v.id: v.household_count for v in villages}
    summary = place_summary(session, commune.id, period=period, h3_resolution=h3_resolution)
    measured = (measured_coverage(session, summary, period, h3_resolution)
                if indicator.kind == "area" else None)
    targets = [t for t in targets_for(session, commune.id) if t.indicator == code]
    target = current_target(targets, today)
    features = []
    for village in villages:
        group = summary.only(village.id)
        result = estimate_summary(indicator, group, sizes, h3_resolution=h3_resolution,
                                  measured=measured)
        row = indicator_row(code, result, target, None, today, minimum, targets)
        geometry = (None if village.lat is None or village.lon is None
                    else {"type": "Point", "coordinates": [village.lon, village.lat]})
        features.append({"type": "Feature", "geometry": geometry, "properties": {
            "slug": village.slug, "name": village.name, "code": code,
            "value": result.value, "ci_low": result.ci_low, "ci_high": result.ci_high,
            "n": result.n, "households": group.households,
            "status": row["status"], "target": row["target"], "comparator": row["comparator"],
            "target_year": row["target_year"], "below_target": below(result.value, target),
            "census": row["census"], "gap": row["gap"], "points_per_year": row["points_per_year"]}})
    return {"type": "FeatureCollection", "commune": commune.slug, "code": code,
            "period": period.label if period else None, "features": features}
