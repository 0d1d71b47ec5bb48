"""A province's indicators from the summaries a process kept (surveys/indicators/summary_cache.py):
every write to a commune's rollups (a household stored, reviewed, rebuilt) gives the commune a new
version, the next request reads that commune again and no other, and the answer is always the one
computed from nothing kept. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import delete, event, text

from surveys.administration import accounts
from surveys.indicators import areas, summary_cache
from surveys.models import Province, RollupVersion
from surveys.places.areas import find_area
from tests.factories import (
    PASSWORD,
    auth,
    household_answers,
    make_commune,
    make_token,
    make_user,
    submission_payload,
)

URLS = ("/api/v1/indicators?area=ha-tinh", "/api/v1/indicators/communes?area=ha-tinh&code=hh_4g_home",
        "/api/v1/indicators?area=ha-tinh&period=2026")


@pytest.fixture
def world(app, client, db) -> dict[str, Any]:
    app.config["INDICATOR_MIN_HOUSEHOLDS"] = 3
    province = Province(slug="ha-tinh", name="Tỉnh Hà Tĩnh", code="42")
    db.add(province)
    communes = {slug: make_commune(db, slug, name=f"Xã {slug}", province="Hà Tĩnh")
                for slug in ("cam-due", "cam-xuyen")}
    for commune in communes.values():
        commune.parent = province
    db.flush()
    tokens = {"province": make_token(db, accounts.create_user(db, "staff-ht", PASSWORD, "staff",
                                                              area_slug="ha-tinh"))}
    for slug, commune in communes.items():
        tokens[slug] = make_token(db, make_user(db, f"sv-{slug}", commune=commune))
        tokens[f"staff-{slug}"] = make_token(db, make_user(db, f"st-{slug}", role="staff",
                                                           commune=commune))
    db.commit()
    ids = {slug: commune.id for slug, commune in communes.items()}
    for slug, technology, count in (("cam-due", "4g", 3), ("cam-due", "3g", 2),
                                    ("cam-xuyen", "5g", 3)):
        for _ in range(count):
            _store(client, tokens[slug], technology)
    summary_cache.forget()
    return {"tokens": tokens, "ids": ids}


def _store(client, token: str, technology: str, village: str = "thon-1") -> dict[str, Any]:
    response = client.post("/api/v1/submissions", headers=auth(token), json=submission_payload(
        village=village, collected_at=None,
        answers=household_answers(mobile_best_technology=technology)))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def reads(app) -> Iterator[list[tuple[str, Any]]]:
    """The statements that read the indicators' all-time or monthly rows, with their parameters."""
    engine = app.extensions["phusong.engine"]
    seen: list[tuple[str, Any]] = []

    def listen(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith("SELECT") and (
                "indicator_moment" in statement or "household_cell" in statement):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listen)
    yield seen
    event.remove(engine, "before_cursor_execute", listen)


def _answers(client, token: str) -> list[Any]:
    answers = []
    for url in URLS:
        response = client.get(url, headers=auth(token))
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        answers.append(response.get_json())
    return answers


def _fresh(client, token: str) -> list[Any]:
    summary_cache.forget()
    return _answers(client, token)


def test_a_second_request_reads_nothing_and_a_write_rereads_its_commune(client, world,
                                                                        reads) -> None:
    token = world["tokens"]["province"]
    first = _answers(client, token)
    assert reads, "the first request reads the rollups"
    reads.clear()
    assert _answers(client, token) == first
    assert reads == [], "nothing changed: every commune's summary was kept"

    _store(client, world["tokens"]["cam-xuyen"], "2g")
    reads.clear()
    after = _answers(client, token)
    assert after != first
    assert reads, "the commune written to is read again"
    due, xuyen = world["ids"]["cam-due"], world["ids"]["cam-xuyen"]
    for _statement, parameters in reads:
        values = parameters.values() if isinstance(parameters, dict) else parameters
        assert xuyen in values and due not in values, "only the changed commune is read"
    assert after == _fresh(client, token)
    assert after[0]["households"] == 9


def test_reviews_and_rebuilds_are_seen(client, world, runner, db) -> None:
    token = world["tokens"]["province"]
    before = _answers(client, token)
    stored = _store(client, world["tokens"]["cam-due"], "5g")
    counted = _answers(client, token)
    assert counted[0]["households"] == before[0]["households"] + 1
    response = client.patch(f"/api/v1/submissions/{stored['id']}", headers=auth(
        world["tokens"]["staff-cam-due"]), json={"review_status": "rejected", "reason": "Trùng hộ"})
    assert response.status_code == 200, response.get_json()
    assert _answers(client, token) == before == _fresh(client, token)

    # Rows changed behind the writers' back stay as kept until a rebuild, which reads them anew.
    for table in ("indicator_moment_totals", "household_cell_totals", "indicator_moments",
                  "household_cells"):
        db.execute(text(f"DELETE FROM {table}"))
    db.commit()
    assert _answers(client, token) == before
    result = runner.invoke(args=["indicators", "rebuild"])
    assert result.exit_code == 0, result.output
    assert _answers(client, token) == before == _fresh(client, token)
    result = runner.invoke(args=["indicators", "rebuild", "--commune", "cam-due"])
    assert result.exit_code == 0, result.output
    assert _answers(client, token) == before


def test_a_commune_without_a_version_is_read_every_time(client, world, reads, db) -> None:
    token = world["tokens"]["province"]
    db.execute(delete(RollupVersion).where(RollupVersion.commune_id == world["ids"]["cam-due"]))
    db.commit()
    first = _answers(client, token)
    reads.clear()
    assert _answers(client, token) == first
    assert reads, "a commune without a version is never kept"
    due = world["ids"]["cam-due"]
    for _statement, parameters in reads:
        values = parameters.values() if isinstance(parameters, dict) else parameters
        assert due in values


def test_every_write_gives_a_new_version(client, world, db) -> None:
    versions = dict(db.execute(text("SELECT commune_id, version FROM rollup_versions")).all())
    assert set(versions) == set(world["ids"].values())
    _store(client, world["tokens"]["cam-due"], "4g")
    db.expire_all()
    after = dict(db.execute(text("SELECT commune_id, version FROM rollup_versions")).all())
    due, xuyen = world["ids"]["cam-due"], world["ids"]["cam-xuyen"]
    assert after[due] != versions[due] and after[xuyen] == versions[xuyen]


def test_the_collector_is_paused_while_an_area_is_read_and_back_after(client, world, db,
                                                                      monkeypatch) -> None:
    """A province's table, dashboard and ranking turn thousands of villages' rows into objects
    that last the request: the cyclic collector is off meanwhile (areas.py), on again after."""
    import gc

    seen: list[bool] = []
    real = summary_cache.commune_summaries

    def commune_summaries(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(summary_cache, "commune_summaries", commune_summaries)
    token = world["tokens"]["province"]
    for url in URLS:
        seen.clear()
        response = client.get(url, headers=auth(token))
        assert response.status_code == 200, url
        assert seen and not any(seen), url
        assert gc.isenabled()
    seen.clear()
    dashboard = areas.area_dashboard(db, find_area(db, "ha-tinh"), code=None, period=None,
                                     today=date(2026, 12, 3), minimum=3, h3_resolution=8)
    assert dashboard["surveyed"] == 8 and seen and not any(seen) and gc.isenabled()
