"""The partners' usable coverage behind the area indicators (area_4g, area_5g) is the same whether
it is read from the map's summaries (all months: one row per cell) or summed from the uploads'
monthly rollups (a period): one rule, two stores."""

from __future__ import annotations

import io
import random

import h3

from surveys.coverage.totals import usable_cells
from tests.factories import auth, make_commune, make_partner, make_token, make_user

TECHNOLOGIES = ("2g", "3g", "4g", "4g", "5g", "5g")


def test_usable_cells_from_the_summaries_equal_the_monthly_rollups(client, db):
    make_commune(db)
    partner = make_partner(db)
    token = make_token(db, make_user(db, "vt", role="partner", partner=partner))
    db.commit()
    rng = random.Random(16)
    # A handful of populated cells; in each, 4G and 5G measurements from poor to great, so that
    # some cells tip either way, and 2G/3G rows with speeds (which carry no class).
    centres = [(16.75 + rng.uniform(-0.02, 0.02), 106.95 + rng.uniform(-0.02, 0.02))
               for _ in range(12)]
    for number in range(3):
        lines = ["measured_at,lat,lon,operator,technology,rsrp_dbm,download_mbps\n"]
        for i in range(150):
            lat, lon = rng.choice(centres)
            technology = rng.choice(TECHNOLOGIES)
            rsrp = "" if technology in ("2g", "3g") else str(rng.randint(-125, -70))
            lines.append(f"2026-0{5 + number}-{1 + i % 28:02d} 10:{i % 60:02d},"
                         f"{lat + rng.gauss(0, 0.0005):.6f},{lon + rng.gauss(0, 0.0005):.6f},"
                         f"viettel,{technology},{rsrp},{rng.uniform(0.01, 80):.2f}\n")
        response = client.post("/api/v1/coverage/uploads", headers=auth(token),
                               content_type="multipart/form-data",
                               data={"file": (io.BytesIO("".join(lines).encode()),
                                              f"drive-{number}.csv")})
        assert response.status_code == 201, response.json
    cells = {h3.latlng_to_cell(lat, lon, 8) for lat, lon in centres}
    cells |= {neighbour for cell in cells for neighbour in h3.grid_disk(cell, 1)}
    cells |= {h3.cell_to_parent(cell, 7) for cell in cells}  # the summaries are read by block
    every = usable_cells(db, cells)
    summed = usable_cells(db, cells, first_period="2000-01", last_period="2999-12")
    assert every == summed
    assert set(every) == {"4g", "5g"}  # both tip somewhere, and 2G/3G never count
    assert 0 < len(every["5g"]) < len(cells)
    some = set(sorted(cells)[::2])  # their blocks hold other cells with data, which must not count
    assert usable_cells(db, some) == usable_cells(db, some, first_period="2000-01",
                                                  last_period="2999-12") != every
