"""The map keeps its edges: every measurement and located household inside the commune is in one of
its hexagons (cells that overlap the boundary, not only those whose centre lies inside)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import h3
import pytest
from shapely.geometry import shape

from surveys.coverage.hexes import commune_cells
from surveys.coverage.uploads import import_upload
from tests.factories import (
    auth,
    household_answers,
    make_commune,
    make_partner,
    make_user,
    role_tokens,
    submission_payload,
)

# An irregular commune (a bent pentagon ~6 km across): its edges cut H3 cells at every angle.
BOUNDARY = {"type": "Polygon", "coordinates": [[
    [106.930, 16.730], [106.985, 16.738], [106.992, 16.781], [106.955, 16.797], [106.927, 16.770],
    [106.930, 16.730]]]}
POINTS = 240


def along_the_edge(inset_deg: float = 0.00012) -> list[tuple[float, float]]:
    """Points about 13 m inside the boundary, evenly along it."""
    ring = shape(BOUNDARY).buffer(-inset_deg).exterior
    points = [ring.interpolate(i / POINTS, normalized=True) for i in range(POINTS)]
    assert all(shape(BOUNDARY).contains(p) for p in points)
    return [(p.y, p.x) for p in points]


@pytest.mark.parametrize("resolution", [7, 8, 9, 10])
def test_every_point_along_the_boundary_falls_in_a_cell_of_the_commune(db, resolution) -> None:
    commune = make_commune(db)
    commune.boundary = BOUNDARY
    db.flush()
    cells = commune_cells(db, commune, resolution)
    lost = [p for p in along_the_edge() if h3.latlng_to_cell(*p, resolution) not in cells]
    assert lost == []
    # ...and only cells at the commune: each overlaps it or lies within one of its own edges of it
    # (the parent of an overlapping finer cell, as H3's children spill over their parent's edge).
    polygon, edge = shape(BOUNDARY), h3.average_hexagon_edge_length(resolution, unit="m") / 111_000
    assert all(shape(h3.cells_to_geo([c])).distance(polygon) < edge for c in cells)


def test_hexes_api_counts_every_measurement_and_household_near_the_boundary(client, db) -> None:
    commune = make_commune(db)
    commune.boundary = BOUNDARY
    partner = make_partner(db)
    uploader = make_user(db, "viettel-up", role="partner", partner=partner)
    tokens = role_tokens(db, commune, partner_user=uploader)
    points = along_the_edge()
    rows = "".join(f"2026-11-18 08:{i // 60:02d}:{i % 60:02d},{lat:.6f},{lon:.6f},viettel,4g,-90,30,10\n"
                   for i, (lat, lon) in enumerate(points))
    result = import_upload(db, partner, uploader, "edge.csv",
                           io.BytesIO(("measured_at,lat,lon,operator,technology,rsrp_dbm,download_mbps,"
                                       "upload_mbps\n" + rows).encode()),
                           format_name=None, now=datetime(2026, 11, 30, tzinfo=UTC))
    assert result.upload.accepted == POINTS
    db.commit()
    households = points[::40]
    for lat, lon in households:
        payload = submission_payload(answers=household_answers(household_code=None),
                                     location={"lat": lat, "lon": lon, "accuracy_m": 8.0},
                                     collected_at=datetime(2026, 11, 20, 3, tzinfo=UTC))
        sent = client.post("/api/v1/submissions", json=payload, headers=auth(tokens["surveyor"]))
        assert sent.status_code == 201, sent.json
    for resolution in (7, 8, 9, 10):
        response = client.get("/api/v1/coverage/hexes", headers=auth(tokens["staff"]),
                              query_string={"commune": "cam-lo", "resolution": resolution})
        assert response.status_code == 200, response.json
        features = response.json["features"]
        assert sum(f["properties"]["n"] for f in features) == POINTS, resolution
        assert sum(f["properties"]["households"] or 0 for f in features) == len(households)
