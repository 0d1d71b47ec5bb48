"""An area's coverage hexagons, for now by merging each commune's (`hexes.commune_hexes`).

Each H3 cell appears once. A cell on the border of two communes is read from the same coverage
rollups by both (measurements belong to cells, not communes), so its measurement fields are taken
once; its households are those of both communes added up, and the best technology is the better of
the two answers (households of either commune may have shown it). The lead will switch this to the
fast multi-commune function of issue 16's other half; the answer keeps this shape.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from surveys.coverage.hexes import GENERATIONS, commune_hexes
from surveys.models import Commune


def _rank(technology: str | None) -> int:
    return GENERATIONS.index(technology) if technology in GENERATIONS else -1


def merged_hexes(session: Session, communes: list[Commune], **filters: Any) -> list[dict[str, Any]]:
    """`commune_hexes` of every commune, each cell once (sorted by cell), with the same keys."""
    cells: dict[str, dict[str, Any]] = {}
    for commune in communes:
        for cell in commune_hexes(session, commune, **filters):
            seen = cells.get(cell["h3"])
            if seen is None:
                cells[cell["h3"]] = dict(cell)
                continue
            if cell["households"] is not None:
                seen["households"] = (seen["households"] or 0) + cell["households"]
            if _rank(cell["best_technology"]) > _rank(seen["best_technology"]):
                seen["best_technology"] = cell["best_technology"]
            seen["gap"] = bool(seen["households"]) and seen["best_technology"] not in ("4g", "5g")
    return [cells[key] for key in sorted(cells)]
