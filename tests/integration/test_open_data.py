"""Open data (/open/SLUG, /api/v1/open/SLUG): public, cacheable, aggregated, no personal data;
villages and hexagons with fewer surveyed households than the minimum are suppressed exactly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import h3
import pytest
from sqlalchemy import select

from surveys.coverage import rollups
from surveys.coverage.classify import signal_class
from surveys.exports.open_data import suppressed_villages
from surveys.models import Commune
from tests.factories import (
    auth,
    household_answers,
    make_commune,
    make_token,
    make_upload,
    make_user,
    submission_payload,
)

MINIMUM = 3
HERE = (16.7512, 106.9531)
THERE = (16.7800, 106.9900)  # another resolution-8 cell


def test_suppression_rule() -> None:
    assert suppressed_villages({1: 3, 2: 2, 3: 1}, 3) == {2: "fewer_households", 3: "fewer_households"}
    assert suppressed_villages({1: 10, 2: 10}, 10) == {}
    assert suppressed_villages({1: 9, 2: 10}, 10) == {1: "fewer_households", 2: "complementary"}
    assert suppressed_villages({1: 3, 2: 4, 3: 1}, 3) == {3: "fewer_households", 1: "complementary"}
    assert suppressed_villages({1: 0, 2: 5}, 3) == {1: "fewer_households"}  # nobody to reveal
    # Households in no village are hidden with the suppressed ones: commune minus villages.
    assert suppressed_villages({1: 5, 2: 6}, 3, unassigned=1) == {1: "complementary"}
    assert suppressed_villages({1: 5, 2: 6}, 3, unassigned=4) == {}


@pytest.fixture
def surveyed(app, client, db):
    app.config["OPEN_DATA_MIN_HOUSEHOLDS"] = MINIMUM
    commune = make_commune(db, villages=(("thon-1", "Thôn 1", 40), ("thon-2", "Thôn 2", 30),
                                         ("thon-3", "Thôn 3", 20)))
    token = make_token(db, make_user(db, "surveyor1", commune=commune))
    # Five 4G measurements of a partner in THERE's cell (one moderate, four good), rolled up as an
    # import does: the rollups keep their own invariants.
    counter = rollups.ContributionCounter()
    there = h3.cell_to_center_child(h3.latlng_to_cell(*THERE, 8), 10)
    for rsrp in (-100, -90, -90, -90, -90):
        counter.add(there, "viettel", "4g", datetime(2026, 5, 10, tzinfo=UTC),
                    signal_class("4g", rsrp), rsrp, None, None)
    rollups.finish_upload(db, make_upload(db).id, counter)
    db.commit()
    ids = []
    # exactly the minimum in thon-1 (HERE), one fewer in thon-2 (THERE), one in thon-3 (HERE)
    for village, count, (lat, lon) in (("thon-1", MINIMUM, HERE), ("thon-2", MINIMUM - 1, THERE),
                                       ("thon-3", 1, HERE)):
        for _ in range(count):
            payload = submission_payload(village=village, answers=household_answers(
                household_code="SECRET-CODE"), location={"lat": lat, "lon": lon, "accuracy_m": 8},
                collected_at=datetime(2026, 5, 10, 3, tzinfo=UTC))
            response = client.post("/api/v1/submissions", json=payload, headers=auth(token))
            assert response.status_code == 201
            ids.append(payload["instance_id"])
    return ids


def test_villages_at_the_threshold(client, surveyed) -> None:
    response = client.get("/api/v1/open/cam-lo")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    data = response.json
    assert data["minimum_households"] == MINIMUM and data["households"] == 2 * MINIMUM
    villages = {v["slug"]: v for v in data["villages"]}
    assert villages["thon-1"]["suppressed"] is False and villages["thon-1"]["households"] == MINIMUM
    fiber = {i["code"]: i for i in villages["thon-1"]["indicators"]}["hh_fiber"]
    assert (fiber["value"], fiber["n"]) == (100.0, MINIMUM)
    for slug in ("thon-2", "thon-3"):  # below the minimum: listed, without any number
        assert villages[slug] == {"slug": slug, "name": villages[slug]["name"], "suppressed": True,
                                  "reason": "fewer_households"}
    commune = {i["code"]: i for i in data["indicators"]}
    assert commune["hh_fiber"]["n"] == 2 * MINIMUM and commune["hh_fiber"]["value"] == 100.0


def test_hexes_below_the_minimum_keep_partner_fields_only(client, surveyed) -> None:
    cells = {c["h3"]: c for c in client.get("/api/v1/open/cam-lo").json["hexes"]["cells"]}
    here, there = h3.latlng_to_cell(*HERE, 8), h3.latlng_to_cell(*THERE, 8)
    # No household count in any cell (a cell's count minus a village's would count the households
    # of other villages in it): `surveyed` says whether at least the minimum were located there.
    assert all("households" not in cell for cell in cells.values())
    assert cells[here]["surveyed"] is True and cells[here]["best_technology"] == "4g"
    assert cells[there]["surveyed"] is False  # MINIMUM - 1 households: not disclosed
    assert (cells[there]["n"], cells[there]["signal_class"], cells[there]["operators"]) == (
        5, "good", ["viettel"])
    assert set(cells) == {here, there}


def test_hex_with_only_a_few_households_is_left_out(app, client, surveyed) -> None:
    app.config["OPEN_DATA_MIN_HOUSEHOLDS"] = MINIMUM + 2  # now HERE (4 households) is below too
    data = client.get("/api/v1/open/cam-lo").json
    assert [c["h3"] for c in data["hexes"]["cells"]] == [h3.latlng_to_cell(*THERE, 8)]
    assert all(v["suppressed"] for v in data["villages"])


def _walk(value: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [(f"{path}.{k}", k) for k in value] + [
            item for k, v in value.items() for item in _walk(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [item for i, v in enumerate(value) for item in _walk(v, f"{path}[{i}]")]
    return [(path, value)]


def test_no_personal_data_anywhere(client, surveyed) -> None:
    data = client.get("/api/v1/open/cam-lo").json
    found = _walk(data)
    keys = {path.rsplit(".", 1)[-1] for path, _ in found}
    assert not keys & {"instance_id", "surveyor", "username", "lat", "lon", "location", "answers",
                       "household_code", "notes", "photo", "coordinates", "accuracy_m"}
    values = {str(v) for _p, v in found}
    assert not values & {*surveyed, "surveyor1", "SECRET-CODE", str(HERE[0]), str(THERE[0])}
    page = client.get("/open/cam-lo").get_data(as_text=True)
    for secret in (*surveyed, "surveyor1", "SECRET-CODE", "16.7512"):
        assert secret not in page


def test_indicator_rows_carry_census_and_gap(client, surveyed) -> None:
    data = client.get("/api/v1/open/cam-lo").json
    by_code = {row["code"]: row for row in data["indicators"]}
    assert set(by_code["hh_fiber"]) >= {"census", "unweighted", "gap", "points_per_year"}
    assert by_code["village_4g"]["census"] is True and by_code["village_4g"]["ci_low"] is None
    assert by_code["hh_fiber"]["census"] is False


def test_page_in_vietnamese_without_login(client, surveyed) -> None:
    response = client.get("/open/cam-lo")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["Content-Language"] == "vi" and "Set-Cookie" not in response.headers
    html = response.get_data(as_text=True)
    assert '<html lang="vi">' in html and "Xã Cam Lộ" in html
    assert "Hộ dùng cáp quang (FTTH)" in html  # indicator names in Vietnamese
    assert "csrf_token" not in html and "<form" not in html
    assert html.count('class="hex ') == 2 and "Thôn 1" in html
    english = client.get("/open/cam-lo?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and "Households on fibre (FTTH)" in english
    assert client.get("/open/nowhere").status_code == 404
    assert client.get("/api/v1/open/nowhere").status_code == 404
    assert client.get("/api/v1/open/cam-lo?period=soon").status_code == 422


def test_commune_below_the_minimum_publishes_no_figures(app, client, db) -> None:
    commune = make_commune(db)
    token = make_token(db, make_user(db, "surveyor1", commune=commune))
    db.commit()
    assert client.post("/api/v1/submissions", json=submission_payload(),
                       headers=auth(token)).status_code == 201
    data = client.get("/api/v1/open/cam-lo").json
    assert data["suppressed"] is True and data["households"] is None
    assert all(i["value"] is None and i["n"] is None and i["status"] == "suppressed"
               for i in data["indicators"])
    assert data["hexes"]["cells"] == [] and all(v["suppressed"] for v in data["villages"])


def _post(client, token, village: str, when: datetime, where=HERE) -> None:
    payload = submission_payload(village=village, collected_at=when,
                                 location={"lat": where[0], "lon": where[1], "accuracy_m": 8})
    assert client.post("/api/v1/submissions", json=payload, headers=auth(token)).status_code == 201


def test_no_difference_of_published_figures_reveals_fewer_than_the_minimum(client, db, surveyed) -> None:
    """The subtraction attacks of issue 14: periods (all data minus October = November), village
    vs commune, cell vs village. Only whole ended quarters are published, villages with
    complementary suppression, cells without household counts."""
    token = make_token(db, make_user(db, "surveyor2", commune=db.scalars(select(Commune)).one()))
    db.commit()
    for _ in range(MINIMUM):  # October 2025: the minimum in thon-1
        _post(client, token, "thon-1", datetime(2025, 10, 5, 3, tzinfo=UTC))
    for _ in range(2):  # November 2025: two households of thon-2, the ones an attacker wants
        _post(client, token, "thon-2", datetime(2025, 11, 20, 3, tzinfo=UTC), THERE)
    # Months, years and quarters not yet over overlap the published quarters: refused.
    for period in ("2025-10", "2025-11", "2025", "2026", "2099-Q1"):
        response = client.get(f"/api/v1/open/cam-lo?period={period}")
        assert response.status_code == 422, period
        assert "period" in response.json["errors"]
    published = {}
    for period in (None, "2025-Q4", "2026-Q1", "2026-Q2"):
        data = client.get("/api/v1/open/cam-lo" + (f"?period={period}" if period else "")).json
        published[data["period"]] = data
    assert published["2026-Q2"] == client.get("/api/v1/open/cam-lo").json  # the latest by default
    assert set(published) == {"2025-Q4", "2026-Q1", "2026-Q2"}  # disjoint quarters, no "all data"
    for label, data in published.items():
        shown = [v for v in data["villages"] if not v["suppressed"]]
        if data["suppressed"]:
            assert data["households"] is None and shown == [], label
            continue
        hidden = data["households"] - sum(v["households"] for v in shown)
        assert hidden == 0 or hidden >= MINIMUM, (label, hidden)  # commune minus villages
        for code in {i["code"] for v in shown for i in v["indicators"]}:
            commune_n = {i["code"]: i["n"] for i in data["indicators"]}[code]
            village_n = sum({i["code"]: i["n"] for i in v["indicators"]}[code] or 0 for v in shown)
            assert commune_n is None or commune_n - village_n >= 0
        for cell in data["hexes"]["cells"]:  # cell vs village: no count to subtract
            assert "households" not in cell and isinstance(cell["surveyed"], bool)
    q4 = published["2025-Q4"]
    assert q4["households"] == MINIMUM + 2  # both months together, never one alone
    villages = {v["slug"]: v for v in q4["villages"]}
    assert villages["thon-2"]["suppressed"] and villages["thon-1"]["suppressed"]  # complementary
