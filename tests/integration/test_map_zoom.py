"""Maps at every zoom: the hexagons at resolutions 6 to 10 (and over many communes at once) are
exactly what the raw measurements and households give, by the rules of docs/maps.md, as uploads
are imported and deleted and households come in. The reference below reads the raw rows and
applies the rules itself; the map reads the rollups (summaries, households per cell)."""

from __future__ import annotations

import io
import math
import random
from datetime import UTC, datetime
from typing import Any

import h3
import pytest
from sqlalchemy import select

from surveys.coverage.classify import CLASSES, USABLE
from surveys.coverage.hexes import area_cells, area_hexes, commune_hexes
from surveys.coverage.rollups import median_of, speed_bin
from surveys.coverage.uploads import delete_upload, import_upload
from surveys.models import Commune, CoverageUpload, Measurement, Submission
from tests.factories import (
    auth,
    household_answers,
    make_commune,
    make_partner,
    make_user,
    role_tokens,
    submission_payload,
)

BOUNDARY = {"type": "Polygon", "coordinates": [[[106.93, 16.73], [106.99, 16.73], [106.99, 16.79],
                                                [106.93, 16.79], [106.93, 16.73]]]}
OTHER = {"type": "Polygon", "coordinates": [[[106.99, 16.73], [107.05, 16.73], [107.05, 16.79],
                                             [106.99, 16.79], [106.99, 16.73]]]}
HEADER = "measured_at,lat,lon,operator,technology,rsrp_dbm,download_mbps,upload_mbps\n"
GENERATIONS = ("2g", "3g", "4g", "5g")
FIRST_USABLE = min(CLASSES.index(c) for c in USABLE)


def _drive(rng: random.Random, month: int, count: int) -> bytes:
    rows = []
    for i in range(count):
        lat, lon = rng.uniform(16.735, 16.785), rng.uniform(106.935, 107.045)
        technology = rng.choice(GENERATIONS)
        rsrp = "" if technology in ("2g", "3g") and rng.random() < 0.5 else str(rng.randint(-125, -70))
        down = "" if rng.random() < 0.1 else f"{rng.choice((0.05, 0.3, 2.0, 15.0, 80.0)):.2f}"
        rows.append(f"2026-{month:02d}-{10 + i % 15:02d} 08:{i % 60:02d}:00,{lat:.5f},{lon:.5f},"
                    f"{rng.choice(('viettel', 'vinaphone', 'mobifone'))},{technology},{rsrp},"
                    f"{down},{rng.choice(('', '1.5', '12.0'))}\n")
    return (HEADER + "".join(rows)).encode()


@pytest.fixture
def zoom(client, db):
    commune = make_commune(db)
    commune.boundary = BOUNDARY
    other = make_commune(db, "cam-thuy", name="Xã Cam Thủy", villages=(("thon-9", "Thôn 9", 40),))
    other.boundary = OTHER
    partner = make_partner(db)
    uploader = make_user(db, "viettel-up", role="partner", partner=partner)
    tokens = role_tokens(db, commune, partner_user=uploader)
    rng = random.Random(16)
    uploads = []
    for month in (10, 11):
        result = import_upload(db, partner, uploader, f"drive-{month}.csv",
                               io.BytesIO(_drive(rng, month, 300)), format_name=None,
                               now=datetime(2026, 11, 30, tzinfo=UTC))
        uploads.append(result.upload.id)
    db.commit()
    for i in range(24):
        point = {"lat": rng.uniform(16.74, 16.78), "lon": rng.uniform(106.94, 106.98),
                 "accuracy_m": 8.0}
        payload = submission_payload(
            village=rng.choice(("thon-1", "thon-2")), location=point,
            answers=household_answers(mobile_best_technology=rng.choice(("none", *GENERATIONS))),
            collected_at=datetime(2026, 10 + i % 2, 20, 3, tzinfo=UTC))
        response = client.post("/api/v1/submissions", json=payload, headers=auth(tokens["surveyor"]))
        assert response.status_code == 201, response.json
    return {"tokens": tokens, "uploads": uploads, "communes": [commune.id, other.id]}


def _reference(db, communes: list[Commune], resolution: int,
               technology: str | None = None) -> list[dict[str, Any]]:
    """The hexagons computed from the raw measurements and households with the rules of
    docs/maps.md, without any rollup."""
    ids = [c.id for c in communes]
    households: dict[str, list[str | None]] = {}
    for lat, lon, answers in db.execute(select(Submission.lat, Submission.lon, Submission.answers)
                                        .where(Submission.commune_id.in_(ids),
                                               Submission.survey == "household",
                                               Submission.review_status.not_in(
                                                   ("rejected", "superseded")),
                                               Submission.lat.is_not(None))):
        if answers.get("consent") == "yes":
            households.setdefault(h3.latlng_to_cell(lat, lon, resolution), []).append(
                answers.get("mobile_best_technology"))
    cells = area_cells(db, communes, resolution) | set(households)
    technologies = (technology,) if technology else (*GENERATIONS, "mobile")
    measured: dict[str, list[Measurement]] = {}
    for m in db.scalars(select(Measurement).where(Measurement.technology.in_(technologies))):
        parent = h3.cell_to_parent(m.h3_cell, resolution)
        if parent in cells:
            measured.setdefault(parent, []).append(m)
    wanted = GENERATIONS[GENERATIONS.index(technology):] if technology else GENERATIONS
    result = []
    for cell in sorted(set(measured) | set(households)):
        rows, reports = measured.get(cell, []), households.get(cell, [])
        classes = [0] * len(CLASSES)
        rsrp: dict[int, int] = {}
        down: dict[int, int] = {}
        up: dict[int, int] = {}
        for m in rows:
            if m.signal_class:
                classes[CLASSES.index(m.signal_class)] += 1
            if m.rsrp_dbm is not None and m.technology in ("4g", "5g"):
                key = math.floor(m.rsrp_dbm / 2)
                rsrp[key] = rsrp.get(key, 0) + 1
            for histogram, value in ((down, m.download_mbps), (up, m.upload_mbps)):
                if value is not None:
                    histogram[speed_bin(value)] = histogram.get(speed_bin(value), 0) + 1

        def usable(generation: str) -> bool:
            mine = [m for m in rows if m.technology == generation]  # noqa: B023
            if not mine:
                return False
            if generation in ("4g", "5g"):
                good = sum(1 for m in mine if m.signal_class and
                           CLASSES.index(m.signal_class) >= FIRST_USABLE)
                return good > 0 and 2 * good >= sum(1 for m in mine if m.signal_class)
            fast = sum(1 for m in mine if m.download_mbps is not None and
                       speed_bin(m.download_mbps) >= speed_bin(0.1))
            return 2 * fast >= len(mine)

        best = None
        for generation in reversed(wanted):
            newer = GENERATIONS[GENERATIONS.index(generation):]
            if usable(generation) or sum(r in newer for r in reports) > 0.5 * len(reports):
                best = technology or generation
                break
        total = sum(classes)
        signal_class = next((CLASSES[i] for i in range(len(CLASSES) - 1, -1, -1)
                             if 2 * sum(classes[i:]) >= total), None) if total else None
        result.append({
            "h3": cell, "n": len(rows), "estimated": 0, "households": len(reports),
            "best_technology": best, "signal_class": signal_class,
            "median_rsrp_dbm": median_of(rsrp, "rsrp"),
            "median_download_mbps": median_of(down, "speed"),
            "median_upload_mbps": median_of(up, "speed"),
            "operators": sorted({m.operator for m in rows}),
            "gap": bool(reports) and best not in ("4g", "5g")})
    return result


def _check_every_zoom(db, communes: list[Commune]) -> None:
    for resolution in (6, 7, 8, 9, 10):
        for technology in (None, "4g", "5g"):
            expected = _reference(db, communes, resolution, technology)
            if len(communes) == 1:
                found = commune_hexes(db, communes[0], resolution=resolution, technology=technology)
            else:
                found = area_hexes(db, communes, resolution=resolution, technology=technology)
            assert found == expected, (resolution, technology)
            assert len({c["h3"] for c in found}) == len(found)  # each cell once


def test_every_resolution_equals_the_raw_rows_before_and_after_a_delete(zoom, db):
    commune = db.scalar(select(Commune).where(Commune.slug == "cam-lo"))
    assert sum(c["n"] for c in commune_hexes(db, commune, resolution=6)) > 0
    _check_every_zoom(db, [commune])
    delete_upload(db, db.get(CoverageUpload, zoom["uploads"][0]))
    db.commit()
    _check_every_zoom(db, [commune])
    delete_upload(db, db.get(CoverageUpload, zoom["uploads"][1]))
    db.commit()
    assert all(c["n"] == 0 for c in commune_hexes(db, commune, resolution=10))
    _check_every_zoom(db, [commune])


def test_many_communes_at_once_each_cell_once(zoom, db):
    communes = list(db.scalars(select(Commune).where(Commune.id.in_(zoom["communes"]))
                               .order_by(Commune.id)))
    _check_every_zoom(db, communes)
    delete_upload(db, db.get(CoverageUpload, zoom["uploads"][1]))
    db.commit()
    _check_every_zoom(db, communes)


def test_a_rejected_household_leaves_every_zoom(client, zoom, db):
    commune = db.scalar(select(Commune).where(Commune.slug == "cam-lo"))
    first = db.scalar(select(Submission.id).where(Submission.survey == "household")
                      .order_by(Submission.id))
    assert client.patch(f"/api/v1/submissions/{first}", headers=auth(zoom["tokens"]["staff"]),
                        json={"review_status": "rejected", "reason": "trùng"}).status_code == 200
    db.expire_all()
    _check_every_zoom(db, [commune])


def test_resolution_6_through_the_api(client, zoom):
    response = client.get("/api/v1/coverage/hexes", headers=auth(zoom["tokens"]["staff"]),
                          query_string={"commune": "cam-lo", "resolution": "6"})
    assert response.status_code == 200 and response.json["resolution"] == 6
    assert {h3.get_resolution(f["id"]) for f in response.json["features"]} == {6}


def test_the_collector_is_paused_while_a_map_is_built_and_back_after(zoom, db, monkeypatch):
    """area_hexes makes tens of thousands of lasting objects at resolution 10: the cyclic
    collector is off meanwhile (hexes.py), on again after, even when the read fails."""
    import gc

    from surveys.coverage import hexes

    seen = []
    real_load = hexes.household_hexes.load

    def load(*args, **kwargs):
        seen.append(gc.isenabled())
        return real_load(*args, **kwargs)

    monkeypatch.setattr(hexes.household_hexes, "load", load)
    commune = db.scalar(select(Commune).where(Commune.slug == "cam-lo"))
    assert gc.isenabled()
    assert commune_hexes(db, commune, resolution=10)
    assert seen == [False] and gc.isenabled()

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(hexes.household_hexes, "load", broken)
    with pytest.raises(RuntimeError):
        commune_hexes(db, commune, resolution=10)
    assert gc.isenabled()
