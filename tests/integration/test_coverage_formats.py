"""Formats 2–4 (OpenCelliD, Ookla tiles, G-NetTrack Pro) through the upload API, with the quirks of
real exports: no header, sentinels, `-` for missing, repeated headers, 5G NSA rows, tiles dated
by their file's name."""

from __future__ import annotations

import io
from pathlib import Path

import h3
import pytest
from sqlalchemy import select

from surveys.coverage.formats import detect
from surveys.coverage.formats.ookla import tile_centre, tile_of
from surveys.coverage.rollups import disc_cells
from surveys.models import CoverageRollup, Measurement
from tests.integration.test_coverage_uploads import (
    error_rows,
    partners,
    rollup_state,
    summed_over_operators_and_months,
    totals_state,
    upload,
)

__all__ = ["partners"]  # the fixture, shared
DATA = Path(__file__).parents[1] / "data" / "coverage"


def counts(body: dict) -> tuple:  # type: ignore[type-arg]
    return body["rows"], body["accepted"], body["rejected"], body["duplicates"], body["warnings"]


@pytest.mark.parametrize(("name", "expected"), [
    ("opencellid-452.csv", "opencellid"), ("opencellid-header.csv", "opencellid"),
    ("2026-07-01_performance_mobile_tiles.csv", "ookla"),
    ("ookla-fixed-tiles.geojson", "ookla-geojson"), ("gnettrack-cam-lo.txt", "gnettrack"),
    ("cam-lo-drive.csv", "phusong-csv"), ("nghia-hanh-points.geojson", "geojson")])
def test_each_format_is_detected_from_its_start(name, expected):
    found = detect(io.BytesIO((DATA / name).read_bytes()))
    assert found is not None and found.name == expected


def test_opencellid_without_header(client, db, partners):
    body = upload(client, partners["viettel"], "opencellid-452.csv").json
    assert body["format"] == "opencellid"
    assert counts(body) == (8, 4, 4, 0, 1)
    table = error_rows(client, body["errors_url"], partners["viettel"])
    assert {(r["line"], r["code"]) for r in table} == {
        ("4", "no_range"), ("5", "no_gps_fix"), ("6", "unknown_operator"),
        ("7", "future_timestamp"), ("8", "too_few_cells")}
    # Vietnamese by default.
    assert next(r["reason"] for r in table if r["line"] == "5").startswith("tọa độ sai")
    cells = {m.source: m for m in db.scalars(select(Measurement))}
    lte = cells["opencellid 452-4-10201-26543104"]
    assert (lte.technology, lte.operator, lte.rsrp_dbm, lte.signal_class, lte.footprint_m) == (
        "4g", "viettel", -95.0, "good", 1200.0)
    assert lte.measured_at.year == 2025  # `updated`, Unix seconds
    # Sectors of one mast share position and time: both are kept.
    assert cells["opencellid 452-4-10201-26543105"].rsrp_dbm is None  # 0 = unknown
    gsm = cells["opencellid 452-1-3021-17213"]
    assert (gsm.technology, gsm.operator, gsm.rsrp_dbm) == ("2g", "mobifone", None)
    assert cells["opencellid 452-99-771-4401"].operator == "unknown"


def test_opencellid_discs_in_rollups_and_delete(client, db, partners):
    body = upload(client, partners["viettel"], "opencellid-452.csv").json
    state = rollup_state(db)
    assert all(v[0] == 0 for v in state.values())  # estimated discs are not measurements
    lte_centre = h3.latlng_to_cell(16.7801, 106.9512, 10)
    for resolution in (7, 8, 9, 10):
        rows = {k[0]: v for k, v in state.items()
                if k[1:3] == ("viettel", "4g") and k[4] == resolution}
        expected = set(disc_cells(lte_centre, 1200)) & {
            c for c in rows if h3.get_resolution(c) == resolution}
        assert set(rows) == expected and expected
        centre = h3.cell_to_parent(lte_centre, resolution)
        assert rows[centre][1] == 2  # two sectors of one mast reach the mast's own cell
    # A disc covers the cells whose centres lie within its range.
    res9 = {k[0] for k in state if k[1:3] == ("viettel", "4g") and k[4] == 9}
    lat, lon = h3.cell_to_latlng(lte_centre)
    assert all(h3.great_circle_distance((lat, lon), h3.cell_to_latlng(c), unit="m") <= 1200
               for c in res9)
    assert 30 <= len(res9) <= 60  # π·1.2² km² over 0.105 km² cells ≈ 43
    # The discs reach the cells' totals as they reach the detailed rows, at every resolution.
    assert totals_state(db) == summed_over_operators_and_months(state)
    from tests.factories import auth
    assert client.delete(f"/api/v1/coverage/uploads/{body['id']}",
                         headers=auth(partners["viettel"])).status_code == 204
    assert rollup_state(db) == {} and totals_state(db) == {}


def test_opencellid_with_header_and_crlf(client, db, partners):
    body = upload(client, partners["vnpt"], "opencellid-header.csv").json
    assert counts(body) == (2, 2, 0, 0, 0)
    technologies = sorted((m.technology, m.operator) for m in db.scalars(select(Measurement)))
    assert technologies == [("4g", "vietnamobile"), ("5g", "viettel")]


def test_ookla_tiles_csv(client, db, partners):
    body = upload(client, partners["viettel"], "2026-07-01_performance_mobile_tiles.csv").json
    assert body["format"] == "ookla"
    assert counts(body) == (6, 3, 3, 0, 0)
    table = error_rows(client, body["errors_url"], partners["viettel"], "en")
    assert {(r["line"], r["code"]) for r in table} == {
        ("5", "bad_quadkey"), ("6", "no_tests"), ("7", "no_main_value")}
    tiles = {m.source: m for m in db.scalars(select(Measurement))}
    tile = tiles["ookla 1322112222201301"]
    assert (tile.technology, tile.operator, tile.download_mbps, tile.upload_mbps,
            tile.latency_ms) == ("mobile", "unknown", 48.213, 11.032, 24.0)
    assert (tile.lat, tile.lon) == pytest.approx(tile_centre(*tile_of("1322112222201301")))
    assert 400 < tile.accuracy_m < 450  # half the diagonal of a ~600 m tile
    assert tile.measured_at.strftime("%Y-%m-%d") == "2026-07-01"  # the quarter, from the name
    periods = {k[3] for k in rollup_state(db)}
    assert periods == {"2026-07"}


def test_ookla_tiles_geojson_named_without_quarter(client, db, partners):
    body = upload(client, partners["viettel"], "ookla-fixed-tiles.geojson").json
    assert body["format"] == "ookla-geojson"
    assert counts(body) == (3, 2, 1, 0, 1)
    table = error_rows(client, body["errors_url"], partners["viettel"])
    assert {(r["line"], r["code"], r["severity"]) for r in table} == {
        ("1", "tile_period_from_upload", "warning"), ("3", "bad_quadkey", "error")}
    assert {m.technology for m in db.scalars(select(Measurement))} == {"fixed"}


def test_quadkeys():
    assert tile_of("0000000000000000") == (0, 0)
    assert tile_of("3333333333333333") == (65535, 65535)
    lat, lon = tile_centre(*tile_of("1322112222201301"))
    assert (lat, lon) == pytest.approx((16.7809, 106.9492), abs=1e-3)
    for bad in ("123", "1322112222201304", "132211222220130a"):
        with pytest.raises(ValueError):
            tile_of(bad)


def test_gnettrack_log(client, db, partners):
    body = upload(client, partners["viettel"], "gnettrack-cam-lo.txt").json
    assert body["format"] == "gnettrack"
    # 7 lines of data and a repeated header; the 5G NSA line is two measurements.
    assert counts(body) == (7, 5, 2, 0, 1)
    table = error_rows(client, body["errors_url"], partners["viettel"], "en")
    assert {(r["line"], r["column"], r["code"]) for r in table} == {
        ("5", "Latitude", "missing_coordinate"), ("7", "Level", "out_of_range"),
        ("8", "Level", "no_main_value")}
    rows = sorted(db.scalars(select(Measurement)), key=lambda m: (m.measured_at, m.technology))
    plain, anchor, nr, hspa, vina = rows
    assert (plain.technology, plain.rsrp_dbm, plain.rsrq_db, plain.sinr_db,
            plain.download_mbps, plain.upload_mbps, plain.signal_class) == (
        "4g", -92.0, -9.0, 12.0, 25.43, 5.2, "good")
    assert plain.measured_at.strftime("%Y-%m-%d %H:%M:%S") == "2026-11-20 02:15:01"  # UTC+7
    assert (anchor.technology, anchor.rsrp_dbm, anchor.download_mbps) == ("4g", -95.0, None)
    assert (nr.technology, nr.rsrp_dbm, nr.rsrq_db, nr.sinr_db, nr.download_mbps,
            nr.signal_class) == ("5g", -84.0, -11.0, 17.0, 182.3, "moderate")
    assert (hspa.technology, hspa.rsrp_dbm, hspa.download_mbps) == ("3g", None, 3.2)
    assert (vina.operator, vina.rsrp_dbm, vina.download_mbps) == ("vinaphone", None, 0.0)
    assert all(m.operator in ("viettel", "vinaphone") for m in rows)


def test_cli_import_names_the_format(runner, db, partners, tmp_path):
    source = tmp_path / "tiles.csv"  # renamed: the quarter and layer are then assumed
    source.write_bytes((DATA / "2026-07-01_performance_mobile_tiles.csv").read_bytes())
    result = runner.invoke(args=["coverage", "import", str(source), "--partner", "viettel",
                                 "--format", "ookla"])
    assert result.exit_code == 0, result.output
    db.expire_all()
    assert len(db.scalars(select(CoverageRollup)).all()) > 0
    assert {m.technology for m in db.scalars(select(Measurement))} == {"mobile"}
