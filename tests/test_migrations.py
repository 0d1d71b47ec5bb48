"""Migrations: from empty to head matches the models; down to base and up again works."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from surveys import migrate
from surveys.db import Base, make_engine


@pytest.fixture
def empty_database_url(tmp_path) -> Iterator[str]:
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"phusong_mig_{uuid.uuid4().hex[:8]}"
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_matches_models_and_round_trips(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == [], diff

    migrate.upgrade(engine)  # init-db twice is safe
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert "submissions" in inspect(engine).get_table_names()
    engine.dispose()


def test_init_db_command_is_idempotent(runner) -> None:
    first = runner.invoke(args=["init-db"])
    second = runner.invoke(args=["init-db"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "already at the latest revision" in second.output


def test_revision_files_are_date_named() -> None:
    names = [p.name for p in migrate.MIGRATIONS.joinpath("versions").glob("*.py")]
    assert names and all(n[:4].isdigit() and n[4] == "_" for n in names), names


def test_write_path_keys_are_filled_for_stored_rows(empty_database_url: str) -> None:
    """20261203_01 fills the keys of the households and boundaries stored before it."""
    engine = make_engine(empty_database_url)
    migrate.upgrade(engine, "20261130_06")
    boundary = '{"type": "Polygon", "coordinates": [[[1, 1], [2, 1], [2, 2], [1, 1]]]}'
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO communes (id, slug, name, province, boundary, is_demo, created_at) "
            "VALUES (1, 'cam-lo', 'Cam Lộ', 'Quảng Trị', :b, false, CURRENT_TIMESTAMP)"),
            {"b": boundary})
        connection.execute(text(
            "INSERT INTO villages (id, commune_id, slug, name, is_demo) "
            "VALUES (1, 1, 'thon-1', 'Thôn 1', false)"))
        connection.execute(text(
            "INSERT INTO users (id, username, password_hash, role, commune_id, active, created_at) "
            "VALUES (1, 'sv', 'x', 'surveyor', 1, true, CURRENT_TIMESTAMP)"))
        for row_id, answers, lat in ((1, '{"household_code": "CL-T1 017"}', 16.7512),
                                     (2, '{"consent": "no"}', None)):
            connection.execute(text(
                "INSERT INTO submissions (id, instance_id, survey, survey_version, commune_id, "
                "village_id, surveyor_id, collected_at, received_at, lat, lon, location_source, "
                "answers, content_hash, review_status, flags, flag_details) VALUES (:i, :u, "
                "'household', '1', 1, 1, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, :lat, :lon, "
                "'gps', :a, 'h', 'received', '[]', '{}')"),
                {"i": row_id, "u": f"u{row_id}", "lat": lat, "lon": lat and 106.9531,
                 "a": answers})
    migrate.upgrade(engine)
    from surveys.places.lookup_keys import boundary_fingerprint, grid_square

    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT id, household_key, location_square FROM submissions ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [(1, "clt1017", grid_square(16.7512, 106.9531)),
                                            (2, None, None)]
        stored = connection.execute(text("SELECT boundary_hash FROM communes")).scalar_one()
        assert stored == boundary_fingerprint(
            {"type": "Polygon", "coordinates": [[[1, 1], [2, 1], [2, 2], [1, 1]]]})
    engine.dispose()


def test_map_summaries_and_household_cells_are_filled_for_stored_rows(
        empty_database_url: str) -> None:
    """20261204_31 recounts the stored uploads (now with resolution 6), fills the map's summaries
    and counts the stored households per cell of every map resolution."""
    import h3

    engine = make_engine(empty_database_url)
    migrate.upgrade(engine, "20261203_03")
    lat, lon = 16.7512, 106.9531
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO communes (id, slug, name, province, is_demo, created_at) "
            "VALUES (1, 'cam-lo', 'Cam Lộ', 'Quảng Trị', false, CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO villages (id, commune_id, slug, name, is_demo) "
            "VALUES (1, 1, 'thon-1', 'Thôn 1', false)"))
        connection.execute(text(
            "INSERT INTO users (id, username, password_hash, role, commune_id, active, created_at) "
            "VALUES (1, 'sv', 'x', 'surveyor', 1, true, CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO submissions (id, instance_id, survey, survey_version, commune_id, "
            "village_id, surveyor_id, collected_at, received_at, lat, lon, location_source, "
            "answers, content_hash, review_status, flags, flag_details) VALUES (1, 'u1', "
            "'household', '1', 1, 1, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, :lat, :lon, 'gps', "
            "'{\"consent\": \"yes\", \"mobile_best_technology\": \"4g\"}', 'h', 'received', '[]', "
            "'{}')"), {"lat": lat, "lon": lon})
        connection.execute(text(
            "INSERT INTO partners (id, slug, name, created_at) "
            "VALUES (1, 'viettel', 'Viettel', CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO coverage_uploads (id, partner_id, filename, format, content_sha256, "
            "size_bytes, rows, accepted, rejected, duplicates, warnings, created_at, status) "
            "VALUES (1, 1, 'a.csv', 'phusong-csv', 'x', 1, 1, 1, 0, 0, 0, CURRENT_TIMESTAMP, "
            "'done')"))
        connection.execute(text(
            "INSERT INTO measurements (upload_id, measured_at, lat, lon, operator, technology, "
            "rsrp_dbm, download_mbps, upload_mbps, signal_class, h3_cell, commune_id, dedupe_key) "
            "VALUES (1, CURRENT_TIMESTAMP, :lat, :lon, 'viettel', '4g', -84, 62.5, 21.3, 'great', "
            ":cell, 1, 'k1')"), {"lat": lat, "lon": lon, "cell": h3.latlng_to_cell(lat, lon, 10)})
    migrate.upgrade(engine)
    with engine.connect() as connection:
        households = connection.execute(text(
            "SELECT resolution, h3_cell, households, with_4g, with_5g FROM household_hex_counts "
            "ORDER BY resolution")).all()
        assert [tuple(r) for r in households] == [
            (r, h3.latlng_to_cell(lat, lon, r), 1, 1, 0) for r in range(6, 11)]
        summaries = connection.execute(text(
            "SELECT resolution, view, n, usable, signal_class, operators "
            "FROM coverage_cell_summaries ORDER BY resolution, view")).all()
        assert [tuple(r) for r in summaries] == [
            (r, view, 1, 0b0100, "great", "viettel") for r in range(6, 11) for view in ("*", "4g")]
        rollups = connection.execute(text(
            "SELECT DISTINCT resolution FROM coverage_rollups ORDER BY resolution")).scalars().all()
        assert rollups == [6, 7, 8, 9, 10]
    engine.dispose()


def test_indicator_rollups_over_all_months_are_the_monthly_rows_summed(
        empty_database_url: str) -> None:
    """20261205_01 fills the all-time rows from the monthly rows already stored."""
    engine = make_engine(empty_database_url)
    migrate.upgrade(engine, "20261204_31")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO communes (id, slug, name, province, is_demo, created_at) "
            "VALUES (1, 'cam-lo', 'Cam Lộ', 'Quảng Trị', false, CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO villages (id, commune_id, slug, name, is_demo) "
            "VALUES (1, 1, 'thon-1', 'Thôn 1', false), (2, 1, 'thon-2', 'Thôn 2', false)"))
        for village, period, count in ((1, "2026-08", 3), (1, "2026-09", 2), (2, "2026-09", 4)):
            connection.execute(text(
                "INSERT INTO indicator_moments (village_id, period, code, commune_id, count, sum_y, "
                "sum_x, sum_yy, sum_xx, sum_xy, positive) VALUES (:v, :p, 'hh_fiber', 1, :n, 1, "
                ":n, 1, :n, 1, :n)"), {"v": village, "p": period, "n": count})
            connection.execute(text(
                "INSERT INTO household_cells (village_id, period, h3_cell, commune_id, households, "
                "with_4g, with_5g, with_3g, with_2g) VALUES (:v, :p, '88xx', 1, :n, 1, 0, :n, :n)"),
                {"v": village, "p": period, "n": count})
    migrate.upgrade(engine)
    with engine.connect() as connection:
        moments = connection.execute(text(
            "SELECT village_id, code, commune_id, count, sum_y, sum_x, positive "
            "FROM indicator_moment_totals ORDER BY village_id")).all()
        assert [tuple(r) for r in moments] == [(1, "hh_fiber", 1, 5.0, 2.0, 5.0, 5.0),
                                               (2, "hh_fiber", 1, 4.0, 1.0, 4.0, 4.0)]
        cells = connection.execute(text(
            "SELECT village_id, h3_cell, commune_id, households, with_4g, with_5g, with_3g "
            "FROM household_cell_totals ORDER BY village_id")).all()
        assert [tuple(r) for r in cells] == [(1, "88xx", 1, 5, 2, 0, 5), (2, "88xx", 1, 4, 1, 0, 4)]
    engine.dispose()


def test_boundary_cells_are_filled_for_stored_communes(empty_database_url: str) -> None:
    """20261205_21 works out the cells of every stored commune boundary at resolutions 6–10."""
    import json

    from surveys.places import boundary_cells
    from surveys.places.lookup_keys import boundary_fingerprint

    engine = make_engine(empty_database_url)
    migrate.upgrade(engine, "20261204_31")
    boundary = {"type": "Polygon", "coordinates": [[
        [106.930, 16.730], [106.985, 16.738], [106.992, 16.781], [106.930, 16.730]]]}
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO communes (id, slug, name, province, boundary, boundary_hash, is_demo, "
            "created_at) VALUES (1, 'cam-lo', 'Cam Lộ', 'Quảng Trị', :b, :h, false, "
            "CURRENT_TIMESTAMP), (2, 'no-boundary', 'X', 'Y', NULL, NULL, false, "
            "CURRENT_TIMESTAMP)"), {"b": json.dumps(boundary), "h": boundary_fingerprint(boundary)})
    migrate.upgrade(engine)
    import h3

    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT boundary_hash, resolution, rule, cells FROM boundary_cells "
            "ORDER BY resolution")).all()
    expected = boundary_cells.compute_all(boundary)
    assert [(h, r, rule) for h, r, rule, _ in rows] == [
        (boundary_fingerprint(boundary), r, boundary_cells.RULE) for r in range(6, 11)]
    assert {r: frozenset(h3.uncompact_cells(boundary_cells.decode(cells), r))
            for _, r, _, cells in rows} == expected
    engine.dispose()


def test_cell_month_totals_are_the_uploads_detailed_rows_summed(empty_database_url: str) -> None:
    """20261206_11 fills the month totals from the detailed rollup rows already stored: each
    operator's rows summed over the uploads per month and over all months, the rows of all
    operators left out; the same rows as the application's own refill."""
    from sqlalchemy.orm import Session

    from surveys.coverage.month_totals import refill_month_totals

    engine = make_engine(empty_database_url)
    migrate.upgrade(engine, "20261205_21")

    def as_json(parameter: str) -> str:
        return parameter if engine.dialect.name == "sqlite" else f"CAST({parameter} AS jsonb)"

    rows = (  # upload, cell, operator, technology, period, n, estimated, classes, rsrp, down
        (1, "8a416154c0cffff", "viettel", "4g", "2026-09", 2, 0, "[0,1,0,1,0]",
         '{"-50":1,"-45":1}', '{"20":2}'),
        (2, "8a416154c0cffff", "viettel", "4g", "2026-09", 1, 0, "[0,0,0,1,0]", '{"-45":1}',
         '{"21":1}'),
        (1, "8a416154c0cffff", "viettel", "4g", "2026-10", 1, 0, "[1,0,0,0,0]", '{"-60":1}', "{}"),
        (2, "8a416154c0cffff", "vinaphone", "3g", "2026-10", 0, 3, "[0,0,0,0,0]", "{}", "{}"),
        (1, "8a416154c0cffff", "*", "4g", "*", 3, 0, "[1,1,0,1,0]", '{"-50":1,"-45":1,"-60":1}',
         '{"20":2}'),
    )
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO partners (id, slug, name, created_at) "
            "VALUES (1, 'viettel', 'Viettel', CURRENT_TIMESTAMP)"))
        for upload in (1, 2):
            connection.execute(text(
                "INSERT INTO coverage_uploads (id, partner_id, filename, format, content_sha256, "
                "size_bytes, rows, accepted, rejected, duplicates, warnings, created_at, status) "
                "VALUES (:id, 1, 'a.csv', 'phusong-csv', :sha, 1, 1, 1, 0, 0, 0, "
                "CURRENT_TIMESTAMP, 'done')"), {"id": upload, "sha": str(upload)})
        for upload, cell, operator, technology, period, n, estimated, classes, rsrp, down in rows:
            connection.execute(text(
                "INSERT INTO coverage_rollups (upload_id, h3_cell, operator, technology, period, "
                f"resolution, n, estimated, classes, rsrp, down, up) VALUES (:u, :c, :o, :t, :p, "
                f"10, :n, :e, {as_json(':classes')}, {as_json(':rsrp')}, {as_json(':down')}, "
                f"{as_json(':up')})"),
                {"u": upload, "c": cell, "o": operator, "t": technology, "p": period, "n": n,
                 "e": estimated, "classes": classes, "rsrp": rsrp, "down": down, "up": "{}"})
    migrate.upgrade(engine)

    def stored() -> list[tuple[object, ...]]:
        with engine.connect() as connection:
            return [(cell, technology, operator, period, resolution, n, estimated,
                     json.loads(classes) if isinstance(classes, str) else classes,
                     json.loads(rsrp) if isinstance(rsrp, str) else rsrp,
                     json.loads(down) if isinstance(down, str) else down,
                     json.loads(up) if isinstance(up, str) else up)
                    for cell, technology, operator, period, resolution, n, estimated, classes,
                    rsrp, down, up in connection.execute(text(
                        "SELECT h3_cell, technology, operator, period, resolution, n, estimated, "
                        "classes, rsrp, down, up FROM coverage_cell_month_totals "
                        "ORDER BY technology, operator, period"))]

    cell = "8a416154c0cffff"
    migrated = stored()
    assert migrated == [
        (cell, "3g", "vinaphone", "*", 10, 0, 3, [0] * 5, {}, {}, {}),
        (cell, "3g", "vinaphone", "2026-10", 10, 0, 3, [0] * 5, {}, {}, {}),
        (cell, "4g", "viettel", "*", 10, 4, 0, [1, 1, 0, 2, 0], {"-50": 1, "-45": 2, "-60": 1},
         {"20": 2, "21": 1}, {}),
        (cell, "4g", "viettel", "2026-09", 10, 3, 0, [0, 1, 0, 2, 0], {"-50": 1, "-45": 2},
         {"20": 2, "21": 1}, {}),
        (cell, "4g", "viettel", "2026-10", 10, 1, 0, [1, 0, 0, 0, 0], {"-60": 1}, {}, {}),
    ]
    with Session(engine) as session:
        refill_month_totals(session)
        session.commit()
    assert stored() == migrated
    engine.dispose()


def test_cell_operator_summaries_are_filled_from_the_month_totals(empty_database_url: str) -> None:
    """20261207_31 fills each cell's summaries per operator and view from its month totals of all
    months (a month's own rows left out): the same rows as the application's own refill."""
    from sqlalchemy.orm import Session

    from surveys.coverage import operator_views

    engine = make_engine(empty_database_url)
    migrate.upgrade(engine, "20261206_11")

    def as_json(parameter: str) -> str:
        return parameter if engine.dialect.name == "sqlite" else f"CAST({parameter} AS jsonb)"

    cell, other = "8a416154c0cffff", "89416154c0fffff"  # resolutions 10 and 9
    rows = (  # cell, technology, operator, period, n, estimated, classes, rsrp, down
        (cell, "4g", "viettel", "*", 3, 0, "[0,1,0,1,1]", '{"-50":1,"-45":1,"-60":1}',
         '{"20":2,"5":1}'),
        (cell, "4g", "viettel", "2026-09", 1, 0, "[1,0,0,0,0]", '{"-60":1}', '{"5":1}'),
        (cell, "2g", "viettel", "*", 2, 0, "[0,0,0,0,0]", "{}", '{"-20":1,"-10":1}'),
        (cell, "mobile", "viettel", "*", 1, 0, "[0,0,0,0,0]", "{}", '{"30":1}'),
        (cell, "5g", "vinaphone", "*", 0, 4, "[0,0,0,0,0]", "{}", "{}"),
        (other, "fixed", "viettel", "*", 5, 0, "[0,0,0,0,0]", "{}", '{"25":5}'),
    )
    with engine.begin() as connection:
        for c, technology, operator, period, n, estimated, classes, rsrp, down in rows:
            connection.execute(text(
                "INSERT INTO coverage_cell_month_totals (h3_cell, technology, operator, period, "
                f"resolution, n, estimated, classes, rsrp, down, up) VALUES (:c, :t, :o, :p, "
                f"{int(c[1], 16)}, :n, :e, {as_json(':classes')}, {as_json(':rsrp')}, "
                f"{as_json(':down')}, {as_json(':up')})"),
                {"c": c, "t": technology, "o": operator, "p": period, "n": n, "e": estimated,
                 "classes": classes, "rsrp": rsrp, "down": down, "up": "{}"})
    migrate.upgrade(engine)

    def stored() -> list[tuple[object, ...]]:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(
                "SELECT h3_cell, operator, view, resolution, n, estimated, usable, signal_class, "
                "median_rsrp_dbm, median_download_mbps, median_upload_mbps, operators "
                "FROM coverage_cell_operator_summaries ORDER BY h3_cell, operator, view"))]

    migrated = stored()
    assert migrated == [  # nothing for a cell with only fixed broadband, nor from 2026-09's row
        # 2G: half of its downloads reach 0.1 Mbps (bin -14 and up): usable; 4G: 2 of 3 good
        (cell, "viettel", "*", 10, 6, 0, 0b0101, "good", -99.0, 2.59, None, "viettel"),
        (cell, "viettel", "4g", 10, 3, 0, 0b0100, "good", -99.0, 34.9, None, "viettel"),
        (cell, "vinaphone", "*", 10, 0, 4, 0, None, None, None, None, "vinaphone"),
        (cell, "vinaphone", "5g", 10, 0, 4, 0, None, None, None, None, "vinaphone"),
    ]
    with Session(engine) as session:
        operator_views.refill(session)
        session.commit()
    assert stored() == migrated
    engine.dispose()
