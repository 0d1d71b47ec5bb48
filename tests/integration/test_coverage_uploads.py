"""Partner uploads through /api/v1/coverage/uploads: counts, errors by line, rollups, delete."""

from __future__ import annotations

import csv
import io
import math
from datetime import timedelta
from pathlib import Path

import h3
import pytest
from sqlalchemy import func, select

from surveys.coverage import rollups, totals
from surveys.coverage.classify import CLASSES
from surveys.coverage.spatial import ROLLUP_RESOLUTIONS
from surveys.models import Commune, CoverageCellTotal, CoverageRollup, Measurement
from tests.factories import auth, make_partner, make_token, make_user

DATA = Path(__file__).parents[1] / "data" / "coverage"


@pytest.fixture
def partners(runner, db):
    assert runner.invoke(args=["load-demo"]).exit_code == 0  # real boundaries to assign to
    from surveys.models import Partner

    viettel = db.scalar(select(Partner).where(Partner.slug == "viettel"))
    tokens = {"viettel": make_token(db, make_user(db, "viettel-up", role="partner",
                                                  partner=viettel)),
              "vnpt": make_token(db, make_user(db, "vnpt-up", role="partner",
                                               partner=make_partner(db, "vnpt-lab", "VNPT Lab"))),
              "staff": make_token(db, make_user(db, "staff-x", role="staff",
                                                commune=db.scalar(select(Commune))))}
    db.commit()
    return tokens


def upload(client, token, name, **form):
    data = {"file": (io.BytesIO((DATA / name).read_bytes()), name), **form}
    return client.post("/api/v1/coverage/uploads", data=data, headers=auth(token),
                       content_type="multipart/form-data")


def rollup_state(db, *, every: bool = False) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """The detailed rollups (or, with every=True, those of all operators and months): each key's
    rows summed, as every reader sums them."""
    db.expire_all()
    rows = db.scalars(select(CoverageRollup).where(
        (CoverageRollup.operator == rollups.ANY) if every else (CoverageRollup.operator != rollups.ANY)))
    state: dict = {}  # type: ignore[type-arg]
    for r in rows:
        key = (r.h3_cell, r.operator, r.technology, r.period, r.resolution)
        n, estimated, classes, *histograms = state.get(
            key, (0, 0, [0] * 5, {}, {}, {}) + (({},) if every else ()))
        for mine, theirs in zip(histograms, (r.rsrp, r.down, r.up)
                                + ((r.operators,) if every else ()), strict=True):
            for k, v in theirs.items():
                mine[k] = mine.get(k, 0) + v
        state[key] = (n + r.n, estimated + r.estimated,
                      [a + b for a, b in zip(classes, r.classes, strict=True)], *histograms)
    return state


def summed_over_operators_and_months(detailed: dict) -> dict:  # type: ignore[type-arg]
    """What the rows of all operators and months must hold, from the detailed rows."""
    every: dict = {}  # type: ignore[type-arg]
    for (cell, operator, technology, _period, resolution), values in detailed.items():
        key = (cell, rollups.ANY, technology, rollups.ANY, resolution)
        n, estimated, classes, rsrp, down, up, operators = every.get(
            key, (0, 0, [0] * 5, {}, {}, {}, {}))
        classes = [a + b for a, b in zip(classes, values[2], strict=True)]
        for mine, theirs in ((rsrp, values[3]), (down, values[4]), (up, values[5])):
            for k, v in theirs.items():
                mine[k] = mine.get(k, 0) + v
        operators[operator] = operators.get(operator, 0) + values[0] + values[1]
        every[key] = (n + values[0], estimated + values[1], classes, rsrp, down, up, operators)
    return every


def totals_state(db) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """The cells' totals in the shape of `summed_over_operators_and_months`."""
    db.expire_all()
    return {(t.h3_cell, rollups.ANY, t.technology, rollups.ANY, t.resolution):
            (t.n, t.estimated, t.classes, t.rsrp, t.down, t.up, t.operators)
            for t in db.scalars(select(CoverageCellTotal))}


def error_rows(client, url, token, language=None):
    headers = {**auth(token), **({"Accept-Language": language} if language else {})}
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_drive_test_counts_and_errors_by_line(client, db, partners):
    response = upload(client, partners["viettel"], "cam-lo-drive.csv")
    assert response.status_code == 201, response.json
    body = response.json
    assert body["format"] == "phusong-csv"
    assert (body["rows"], body["accepted"], body["rejected"], body["duplicates"],
            body["warnings"]) == (14, 7, 6, 1, 3)
    table = error_rows(client, body["errors_url"], partners["viettel"], "en")
    by_line = {(int(r["line"]), r["severity"]): r for r in table}
    assert by_line[(8, "error")]["reason"] == "bad coordinate"
    assert by_line[(10, "error")]["reason"] == "outside Vietnam"
    assert by_line[(11, "error")]["column"] == "technology"
    assert by_line[(12, "error")]["reason"] == "timestamp in the future"
    assert by_line[(13, "warning")]["column"] == "rsrp_dbm"
    assert by_line[(13, "error")]["reason"] == "no usable signal (RSRP) or download speed"
    assert by_line[(14, "error")]["column"] == "measured_at"
    assert [r["code"] for r in table if r["line"] == "8"] == ["bad_coordinate"]
    assert by_line[(7, "warning")]["value"] == "-204"  # sentinel dropped, row kept
    assert by_line[(15, "warning")]["column"] == "download_mbps"

    stored = {m.measured_at.strftime("%H:%M:%S"): m for m in db.scalars(select(Measurement))}
    assert stored["01:01:10"].signal_class == "great" and stored["01:01:10"].operator == "viettel"
    assert stored["01:02:10"].technology == "5g" and stored["01:02:10"].signal_class == "good"
    assert stored["01:02:40"].operator == "vinaphone"  # from MCC 452 / MNC 02
    assert stored["01:03:40"].rsrq_db is None and stored["01:03:40"].signal_class == "none"
    assert stored["01:03:40"].environment == "indoor"
    cam_lo = db.scalar(select(Commune).where(Commune.slug == "cam-lo"))
    assert stored["01:01:10"].commune_id == cam_lo.id
    assert stored["01:04:40"].commune_id is None  # Hà Nội: kept, unassigned


def expected_rollups(db) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """The rollups recomputed from the stored rows the plainest way, for comparison."""
    expected: dict = {}  # type: ignore[type-arg]
    for m in db.scalars(select(Measurement)):
        period = (m.measured_at + timedelta(hours=7)).strftime("%Y-%m")
        for resolution in ROLLUP_RESOLUTIONS:
            key = (h3.cell_to_parent(m.h3_cell, resolution), m.operator, m.technology, period,
                   resolution)
            n, estimated, classes, rsrp, down, up = expected.get(
                key, (0, 0, [0] * 5, {}, {}, {}))
            if m.signal_class:
                classes[CLASSES.index(m.signal_class)] += 1
            for histogram, value in ((rsrp, m.rsrp_dbm and math.floor(m.rsrp_dbm / 2)),
                                     (down, m.download_mbps and rollups.speed_bin(m.download_mbps)),
                                     (up, m.upload_mbps and rollups.speed_bin(m.upload_mbps))):
                if value is not None:
                    histogram[str(value)] = histogram.get(str(value), 0) + 1
            expected[key] = (n + 1, estimated, classes, rsrp, down, up)
    return expected


def test_rollups_are_exact_and_delete_restores_them(client, db, partners):
    assert rollup_state(db) == {}
    first = upload(client, partners["viettel"], "cam-lo-drive.csv").json
    after_first = rollup_state(db)
    assert after_first == expected_rollups(db)
    assert rollup_state(db, every=True) == summed_over_operators_and_months(after_first)
    assert totals_state(db) == summed_over_operators_and_months(after_first)
    # Base resolution 10: one count per stored measurement; every resolution holds the same total.
    for resolution in ROLLUP_RESOLUTIONS:
        assert sum(v[0] for k, v in after_first.items() if k[4] == resolution) == 7
    second = upload(client, partners["vnpt"], "kon-chieng-semicolon.csv").json
    assert second["accepted"] == 2
    assert rollup_state(db) == expected_rollups(db)
    assert client.delete(f"/api/v1/coverage/uploads/{first['id']}",
                         headers=auth(partners["viettel"])).status_code == 204
    only_second = rollup_state(db)
    assert only_second == expected_rollups(db)
    assert rollup_state(db, every=True) == summed_over_operators_and_months(only_second)
    assert totals_state(db) == summed_over_operators_and_months(only_second)
    assert sum(v[0] for v in only_second.values()) == 2 * len(ROLLUP_RESOLUTIONS)
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Measurement)) == 2
    assert client.delete(f"/api/v1/coverage/uploads/{second['id']}",
                         headers=auth(partners["vnpt"])).status_code == 204
    assert rollup_state(db) == {} and rollup_state(db, every=True) == {}
    assert totals_state(db) == {}


def test_rollups_written_in_many_flushes_are_still_exact(client, db, partners, monkeypatch):
    """A large import writes its tallies several times (FLUSH_KEYS): a key may then have several
    rows of one upload, and the sums must not change."""
    from surveys.coverage import uploads

    monkeypatch.setattr(uploads, "BATCH", 2)
    monkeypatch.setattr(rollups, "FLUSH_KEYS", 3)
    monkeypatch.setattr(rollups, "KEPT_KEYS", 2)
    monkeypatch.setattr(totals, "_TOTALS_CHUNK", 2)  # the totals summed in many chunks too
    first = upload(client, partners["viettel"], "cam-lo-drive.csv").json
    assert first["accepted"] == 7
    db.expire_all()
    rows = db.scalar(select(func.count()).select_from(CoverageRollup))
    state = rollup_state(db)
    assert state == expected_rollups(db)
    assert rows > len(state) + len(rollup_state(db, every=True))  # flushed in parts indeed
    assert rollup_state(db, every=True) == summed_over_operators_and_months(state)
    assert totals_state(db) == summed_over_operators_and_months(state)
    assert client.delete(f"/api/v1/coverage/uploads/{first['id']}",
                         headers=auth(partners["viettel"])).status_code == 204
    assert rollup_state(db) == {} and rollup_state(db, every=True) == {}
    assert totals_state(db) == {}


def test_cell_totals_sum_uploads_that_cover_the_same_cells(client, db, partners):
    """Two partners drive the same road: one total per cell and technology holds both uploads,
    and deleting either leaves exactly the other's."""
    original = (DATA / "cam-lo-drive.csv").read_text(encoding="utf-8")
    # The same route a day later, through the VNPT lab's token: other content, the same cells.
    later = original.replace("2026-11-18 ", "2026-11-19 ")
    viettel = upload(client, partners["viettel"], "cam-lo-drive.csv").json
    alone = totals_state(db)
    vnpt = client.post("/api/v1/coverage/uploads", headers=auth(partners["vnpt"]),
                       data={"file": (io.BytesIO(later.encode()), "cam-lo-day-2.csv")},
                       content_type="multipart/form-data").json
    assert vnpt["accepted"] == viettel["accepted"] == 7
    both = totals_state(db)
    assert set(both) == set(alone)  # the same cells: no second row for any of them
    assert both == summed_over_operators_and_months(rollup_state(db))
    assert all(both[key][0] == 2 * alone[key][0] for key in alone)
    assert client.delete(f"/api/v1/coverage/uploads/{viettel['id']}",
                         headers=auth(partners["viettel"])).status_code == 204
    assert totals_state(db) == alone == summed_over_operators_and_months(rollup_state(db))
    assert client.delete(f"/api/v1/coverage/uploads/{vnpt['id']}",
                         headers=auth(partners["vnpt"])).status_code == 204
    assert totals_state(db) == {} and rollup_state(db) == {}


def test_rebuild_refills_the_cell_totals(client, db, partners, runner):
    upload(client, partners["viettel"], "cam-lo-drive.csv")
    before = totals_state(db)
    db.execute(CoverageCellTotal.__table__.delete())
    db.commit()
    assert totals_state(db) == {}
    result = runner.invoke(args=["coverage", "rebuild-rollups"])
    assert result.exit_code == 0, result.output
    assert totals_state(db) == before != {}


def test_same_file_twice_stores_nothing_new(client, db, partners):
    first = upload(client, partners["viettel"], "cam-lo-drive.csv")
    again = upload(client, partners["viettel"], "cam-lo-drive.csv")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"]
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Measurement)) == 7


def test_semicolons_decimal_commas_bom_and_dashes(client, db, partners):
    body = upload(client, partners["viettel"], "kon-chieng-semicolon.csv").json
    assert (body["rows"], body["accepted"], body["rejected"]) == (3, 2, 1)
    rows = sorted(db.scalars(select(Measurement)), key=lambda m: m.measured_at)
    assert rows[0].rsrp_dbm == -101.5 and rows[0].download_mbps == 12.4
    assert rows[0].lat == pytest.approx(13.7712) and rows[0].environment == "outdoor"
    assert rows[0].source == "đo tại nhà văn hoá"
    assert rows[1].operator == "vinaphone" and rows[1].rsrp_dbm is None
    assert rows[1].technology == "3g" and rows[1].environment == "indoor"


def test_geojson_points(client, db, partners):
    body = upload(client, partners["viettel"], "nghia-hanh-points.geojson").json
    assert (body["format"], body["rows"], body["accepted"], body["rejected"]) == (
        "geojson", 3, 2, 1)
    operators = sorted(m.operator for m in db.scalars(select(Measurement)))
    assert operators == ["mobifone", "viettel"]


def test_all_bad_stores_nothing_and_says_why(client, db, partners):
    bad = "measured_at,lat,lon,technology,rsrp_dbm\n2026-11-18 08:00,95,106.9,LTE,-90\n"
    response = client.post("/api/v1/coverage/uploads", headers=auth(partners["viettel"]),
                           content_type="multipart/form-data",
                           data={"file": (io.BytesIO(bad.encode()), "bad.csv")})
    assert response.status_code == 422
    assert "file" in response.json["errors"]
    assert response.json["details"][0]["line"] == 2
    assert client.get("/api/v1/coverage/uploads", headers=auth(partners["viettel"])
                      ).json["uploads"] == []


def test_unknown_files_and_formats(client, partners):
    junk = client.post("/api/v1/coverage/uploads", headers=auth(partners["viettel"]),
                       content_type="multipart/form-data",
                       data={"file": (io.BytesIO(b"a,b,c\n1,2,3\n"), "x.csv")})
    assert junk.status_code == 422 and "file" in junk.json["errors"]
    named = upload(client, partners["viettel"], "cam-lo-drive.csv", format="excel")
    assert named.status_code == 422 and "format" in named.json["errors"]
    missing = client.post("/api/v1/coverage/uploads", headers=auth(partners["viettel"]),
                          content_type="multipart/form-data", data={})
    assert missing.status_code == 422 and "file" in missing.json["errors"]


def test_partners_see_and_delete_only_their_own(client, partners):
    mine = upload(client, partners["viettel"], "cam-lo-drive.csv").json
    url = f"/api/v1/coverage/uploads/{mine['id']}"
    assert client.get(url, headers=auth(partners["vnpt"])).status_code == 404
    assert client.delete(url, headers=auth(partners["vnpt"])).status_code == 404
    assert client.get(f"{url}/errors", headers=auth(partners["vnpt"])).status_code == 404
    assert client.get("/api/v1/coverage/uploads", headers=auth(partners["vnpt"])
                      ).json["uploads"] == []
    assert client.get(url, headers=auth(partners["staff"])).status_code == 403
    assert upload(client, partners["staff"], "cam-lo-drive.csv").status_code == 403
    assert client.get(url, headers=auth(partners["viettel"])).status_code == 200


def test_cli_import(runner, db, partners):
    result = runner.invoke(args=["coverage", "import", str(DATA / "cam-lo-drive.csv"),
                                 "--partner", "viettel"])
    assert result.exit_code == 0, result.output
    assert "14 rows, 7 accepted, 6 rejected, 1 duplicates, 3 warnings" in result.output
    again = runner.invoke(args=["coverage", "import", str(DATA / "cam-lo-drive.csv"),
                                "--partner", "viettel"])
    assert "Already imported" in again.output
    unknown = runner.invoke(args=["coverage", "import", str(DATA / "cam-lo-drive.csv"),
                                  "--partner", "nobody"])
    assert unknown.exit_code != 0 and "No partner nobody" in unknown.output


def test_rebuild_rollups_recomputes_the_same(client, runner, db, partners):
    upload(client, partners["viettel"], "cam-lo-drive.csv")
    upload(client, partners["viettel"], "opencellid-452.csv")
    before = rollup_state(db)
    result = runner.invoke(args=["coverage", "rebuild-rollups"])
    assert result.exit_code == 0, result.output
    assert "2 uploads" in result.output
    assert rollup_state(db) == before


def test_concurrent_imports_of_the_same_cells_lose_no_count(client, db, partners, live_server):
    """Four uploads of the same road ending at once: every total holds all four (on PostgreSQL
    they take turns at the totals, whose read-merge-write would otherwise lose or clash)."""
    import json
    import threading
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    original = (DATA / "cam-lo-drive.csv").read_text(encoding="utf-8")
    upload(client, partners["viettel"], "cam-lo-drive.csv")
    alone = totals_state(db)
    barrier = threading.Barrier(4)

    def send(day: int) -> int:
        boundary = "phusong-test-boundary"
        content = original.replace("2026-11-18 ", f"2026-11-{day:02d} ").encode()
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"day-{day}.csv\"\r\nContent-Type: text/csv\r\n\r\n").encode() \
            + content + f"\r\n--{boundary}--\r\n".encode()
        token = partners["viettel"] if day % 2 else partners["vnpt"]
        request = urllib.request.Request(
            f"{live_server}/api/v1/coverage/uploads", data=body, method="POST",
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}", **auth(token)})
        barrier.wait()
        with urllib.request.urlopen(request, timeout=120) as response:
            assert json.loads(response.read())["accepted"] == 7
            return response.status

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(send, (10, 11, 12, 13))) == [201] * 4
    totals = totals_state(db)
    assert totals == summed_over_operators_and_months(rollup_state(db))
    assert set(totals) == set(alone)
    assert all(totals[key][0] == 5 * alone[key][0] for key in alone)
    # The month totals, written after the totals under the same lock, lose nothing either.
    from tests.integration.test_filtered_maps import month_totals_state, summed_uploads

    assert month_totals_state(db) == summed_uploads(db) != {}
