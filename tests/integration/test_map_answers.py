"""The hexes API's whole answers kept in the process (surveys/coverage/map_answers.py): a request
that nothing has changed since is answered from what was kept, byte for byte what building it
gives; every kind of write the answer is made of (an import, a delete, a household stored or
rejected, a village moved) makes the next request build it again, on both databases."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from surveys.collection.review import ReviewInput, review_submission
from surveys.coverage import cell_views, map_answers
from surveys.coverage.uploads import delete_upload, import_upload
from surveys.models import CoverageUpload, CoverageVersion, Submission, User, Village
from surveys.places.villages import update_village
from tests.factories import (
    auth,
    household_answers,
    make_commune,
    make_partner,
    make_token,
    make_user,
    role_tokens,
    submission_payload,
)

BOUNDARY = {"type": "Polygon", "coordinates": [[[106.93, 16.73], [106.99, 16.73], [106.99, 16.79],
                                                [106.93, 16.79], [106.93, 16.73]]]}
HEADER = "measured_at,lat,lon,operator,technology,rsrp_dbm,download_mbps,upload_mbps\n"
A = (16.7512, 106.9531)
FAR = (16.9000, 107.2000)  # outside the boundary, far from every village


def _rows(point: tuple[float, float], count: int, technology: str = "4g") -> bytes:
    lat, lon = point
    return (HEADER + "".join(
        f"2026-11-18 08:{i:02d}:00,{lat + i * 1e-5:.5f},{lon:.5f},viettel,{technology},-84,"
        f"62.5,21.3\n" for i in range(count))).encode()


@pytest.fixture
def kept(client, db, monkeypatch):
    map_answers.forget()
    commune = make_commune(db)
    commune.boundary = BOUNDARY
    partner = make_partner(db)
    uploader = make_user(db, "viettel-up", role="partner", partner=partner)
    tokens = role_tokens(db, commune, partner_user=uploader)
    import_upload(db, partner, uploader, "drive.csv", io.BytesIO(_rows(A, 3)), format_name=None,
                  now=datetime(2026, 11, 30, tzinfo=UTC))
    db.commit()
    built: list[int] = []
    real = map_answers.area_hexes

    def counting(*args, **kwargs):
        built.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(map_answers, "area_hexes", counting)
    yield {"tokens": tokens, "partner": partner, "uploader": uploader, "built": built,
           "commune": commune.id}
    map_answers.forget()


def _get(client, token, **params):
    response = client.get("/api/v1/coverage/hexes", query_string={"commune": "cam-lo", **params},
                          headers=auth(token))
    assert response.status_code == 200, response.json
    return response


def _n(response) -> int:
    return sum(f["properties"]["n"] for f in response.json["features"])


def _households(response) -> int:
    return sum(f["properties"]["households"] or 0 for f in response.json["features"])


def test_a_repeated_request_is_answered_from_what_was_kept(client, app, kept):
    staff = kept["tokens"]["staff"]
    first = _get(client, staff, resolution=10)
    assert len(kept["built"]) == 1 and _n(first) == 3
    engine = app.extensions["phusong.engine"]
    assert map_answers.kept_bytes(engine) == len(first.get_data())
    again = _get(client, staff, resolution=10)
    assert len(kept["built"]) == 1  # not built again
    assert again.get_data() == first.get_data() and again.headers["ETag"] == first.headers["ETag"]
    unchanged = client.get("/api/v1/coverage/hexes?commune=cam-lo&resolution=10", headers={
        **auth(staff), "If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304
    map_answers.forget()
    rebuilt = _get(client, staff, resolution=10)
    assert len(kept["built"]) == 2 and rebuilt.get_data() == first.get_data()
    # Each resolution and filter is its own answer.
    _get(client, staff, resolution=8)
    _get(client, staff, resolution=10, operator="viettel")
    _get(client, staff, resolution=10, period="2026-11")
    assert len(kept["built"]) == 5
    _get(client, staff, resolution=10, period="2026-11")
    assert len(kept["built"]) == 5


def test_an_import_and_a_delete_change_the_answer(client, db, kept):
    staff = kept["tokens"]["staff"]
    assert _n(_get(client, staff)) == 3
    result = import_upload(db, kept["partner"], kept["uploader"], "more.csv",
                           io.BytesIO(_rows(A, 4, "5g")), format_name=None,
                           now=datetime(2026, 11, 30, tzinfo=UTC))
    db.commit()
    assert _n(_get(client, staff)) == 7 and len(kept["built"]) == 2
    delete_upload(db, db.get(CoverageUpload, result.upload.id))
    db.commit()
    assert _n(_get(client, staff)) == 3 and len(kept["built"]) == 3


def test_households_stored_and_rejected_change_the_answer(client, db, kept):
    tokens = kept["tokens"]
    assert _households(_get(client, tokens["staff"])) == 0
    payload = submission_payload(village="thon-1", answers=household_answers(),
                                 location={"lat": A[0], "lon": A[1], "accuracy_m": 5.0})
    response = client.post("/api/v1/submissions", json=payload, headers=auth(tokens["surveyor"]))
    assert response.status_code == 201, response.json
    assert _households(_get(client, tokens["staff"])) == 1
    submission = db.scalars(select(Submission)).one()
    staff = db.scalars(select(User).where(User.username == "staff1")).one()
    review_submission(db, staff, submission, ReviewInput("rejected", "thử", None))
    db.commit()
    assert _households(_get(client, tokens["staff"])) == 0
    assert len(kept["built"]) == 3


def test_a_moved_village_changes_the_answer(client, db, kept):
    """A commune without a boundary shows the cells near its villages: moving one to where a
    partner measured shows those measurements."""
    bare = make_commune(db, "lang-moi", name="Xã Làng Mới", villages=(("thon-a", "Thôn A", 10),))
    village = db.scalars(select(Village).where(Village.commune_id == bare.id)).one()
    village.lat, village.lon = 17.3, 107.6  # far from every measurement
    staff = make_user(db, "staff-bare", role="staff", commune=bare)
    token = make_token(db, staff)
    import_upload(db, kept["partner"], kept["uploader"], "far.csv", io.BytesIO(_rows(FAR, 2)),
                  format_name=None, now=datetime(2026, 11, 30, tzinfo=UTC))
    db.commit()
    assert _n(_get(client, token, commune="lang-moi")) == 0
    update_village(db, village, {"name": village.name, "lat": FAR[0], "lon": FAR[1],
                                 "household_count": 10, "counts_year": 2026}, actor=staff)
    db.commit()
    assert _n(_get(client, token, commune="lang-moi")) == 2


def test_readers_outside_the_commune_never_get_the_insiders_answer(client, db, kept):
    tokens = kept["tokens"]
    payload = submission_payload(village="thon-1", answers=household_answers(),
                                 location={"lat": A[0], "lon": A[1], "accuracy_m": 5.0})
    assert client.post("/api/v1/submissions", json=payload,
                       headers=auth(tokens["surveyor"])).status_code == 201
    assert _households(_get(client, tokens["staff"])) == 1
    outside = _get(client, tokens["other_staff"])
    assert _households(outside) == 0  # one household is under the open-data minimum
    assert _households(_get(client, tokens["staff"])) == 1


def test_windows_and_unversioned_data_are_never_kept(client, app, db, kept):
    staff = kept["tokens"]["staff"]
    engine = app.extensions["phusong.engine"]
    box = f"{A[1] - 0.01},{A[0] - 0.01},{A[1] + 0.01},{A[0] + 0.01}"
    _get(client, staff, resolution=10, bbox=box)
    _get(client, staff, resolution=10, bbox=box)
    assert len(kept["built"]) == 2 and map_answers.kept_bytes(engine) == 0
    db.execute(CoverageVersion.__table__.delete())  # rows written by other means than the writers
    db.commit()
    _get(client, staff)
    _get(client, staff)
    assert len(kept["built"]) == 4 and map_answers.kept_bytes(engine) == 0


def test_what_is_kept_is_bounded(client, app, kept, monkeypatch):
    staff = kept["tokens"]["staff"]
    engine = app.extensions["phusong.engine"]
    sizes = [len(_get(client, staff, resolution=r).get_data()) for r in (8, 9, 10)]
    assert map_answers.kept_bytes(engine) == sum(sizes)
    monkeypatch.setattr(map_answers, "LIMIT_BYTES", sizes[-1] * 4)
    _get(client, staff, resolution=6)
    assert map_answers.kept_bytes(engine) <= sizes[-1] * 4
    monkeypatch.setattr(map_answers, "LIMIT_BYTES", sizes[-1] * 4 - 1)  # over a quarter: not kept
    map_answers.forget()
    _get(client, staff, resolution=10)
    assert map_answers.kept_bytes(engine) == 0


def test_every_writer_of_the_maps_coverage_gives_a_new_version(db, kept):
    """Each import and delete sets a new random coverage version in its own transaction."""
    seen = {db.scalar(select(CoverageVersion.version))}
    result = import_upload(db, kept["partner"], kept["uploader"], "again.csv",
                           io.BytesIO(_rows(A, 2, "5g")), format_name=None,
                           now=datetime(2026, 11, 30, tzinfo=UTC))
    db.commit()
    seen.add(db.scalar(select(CoverageVersion.version)))
    delete_upload(db, db.get(CoverageUpload, result.upload.id))
    db.commit()
    seen.add(db.scalar(select(CoverageVersion.version)))
    assert len(seen) == 3 and None not in seen


def test_threads_reading_while_imports_commit_never_keep_a_stale_answer(client, app, db, kept):
    """Readers in threads while imports commit (PostgreSQL: real concurrency): once the last
    import has committed, the next answer holds every measurement, whatever was kept meanwhile."""
    staff = kept["tokens"]["staff"]
    stop = threading.Event()
    errors: list[BaseException] = []

    def read() -> None:
        reader = app.test_client()
        while not stop.is_set():
            try:
                response = reader.get("/api/v1/coverage/hexes?commune=cam-lo&resolution=10",
                                      headers=auth(staff))
                assert response.status_code == 200
            except BaseException as error:  # noqa: BLE001 - reported by the test
                errors.append(error)
                return

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    try:
        for i in range(4):
            import_upload(db, kept["partner"], kept["uploader"], f"more-{i}.csv",
                          io.BytesIO(_rows((A[0] + 0.001 * (i + 1), A[1]), 2)), format_name=None,
                          now=datetime(2026, 11, 30, tzinfo=UTC))
            db.commit()
    finally:
        stop.set()
        for thread in readers:
            thread.join()
    assert not errors
    assert _n(_get(client, staff, resolution=10)) == 3 + 4 * 2


def test_after_a_household_alone_the_summaries_come_from_what_was_kept(client, db, kept,
                                                                        monkeypatch):
    """A household changes the answer but not the measurements: the answer is built again with
    the households read afresh and the cells' summaries from what the process kept
    (surveys/coverage/kept_reads.py); an import reads them again."""
    reads: list[int] = []
    real = cell_views.read

    def counting(*args, **kwargs):
        reads.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(cell_views, "read", counting)
    tokens = kept["tokens"]
    assert _households(_get(client, tokens["staff"], resolution=10)) == 0
    assert len(reads) == 1
    payload = submission_payload(village="thon-1", answers=household_answers(),
                                 location={"lat": A[0], "lon": A[1], "accuracy_m": 5.0})
    assert client.post("/api/v1/submissions", json=payload,
                       headers=auth(tokens["surveyor"])).status_code == 201
    again = _get(client, tokens["staff"], resolution=10)
    assert (_households(again), _n(again), len(kept["built"]), len(reads)) == (1, 3, 2, 1)
    import_upload(db, kept["partner"], kept["uploader"], "more.csv", io.BytesIO(_rows(A, 2)),
                  format_name=None, now=datetime(2026, 11, 30, tzinfo=UTC))
    db.commit()
    assert _n(_get(client, tokens["staff"], resolution=10)) == 5 and len(reads) == 2
    box = f"{A[1] - 0.01},{A[0] - 0.01},{A[1] + 0.01},{A[0] + 0.01}"
    _get(client, tokens["staff"], resolution=10, bbox=box)
    _get(client, tokens["staff"], resolution=10, bbox=box)
    assert len(reads) == 4  # a window's summaries are never kept


def test_the_villages_checksum_never_overflows(client, db, kept):
    """The stamp's village sums stay within a 64-bit integer (SQLite's SUM fails on overflow):
    villages without a position (counted as 999°) and at the largest coordinates."""
    from sqlalchemy import insert

    from surveys.models import Commune
    commune = db.get(Commune, kept["commune"])
    db.execute(insert(Village), [
        {"commune_id": commune.id, "slug": f"v-{i}", "name": f"Thôn {i}", "lat": 89.9999999,
         "lon": 179.9999999} for i in range(3_000)] + [
        {"commune_id": commune.id, "slug": f"n-{i}", "name": f"Thôn chưa định vị {i}"}
        for i in range(3_000)])
    db.commit()
    assert _n(_get(client, kept["tokens"]["staff"], resolution=8)) == 3
