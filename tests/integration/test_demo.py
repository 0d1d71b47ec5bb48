"""load-demo: the five communes, villages inside their real boundaries, users, synthetic households."""

from __future__ import annotations

from shapely.geometry import Point
from sqlalchemy import func, select

from surveys.demo import DEMO_PASSWORD, DEMO_USERS, commune_geometry
from surveys.models import Commune, Submission, User, Village
from tests.conftest import login, make_test_app


def counts(db) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    db.expire_all()
    return tuple(db.scalar(select(func.count()).select_from(model))  # type: ignore[return-value]
                 for model in (Commune, Village, User, Submission))


def test_load_demo_is_idempotent_and_inside_the_boundaries(runner, db, client):  # type: ignore[no-untyped-def]
    first = runner.invoke(args=["load-demo"])
    assert first.exit_code == 0, first.output
    after_first = counts(db)
    assert runner.invoke(args=["load-demo"]).exit_code == 0
    assert counts(db) == after_first
    communes = db.scalars(select(Commune).order_by(Commune.slug)).all()
    assert [c.slug for c in communes] == ["cam-due", "cam-lo", "cam-xuyen", "kon-chieng",
                                          "nghia-hanh"]
    for commune in communes:
        area, properties = commune_geometry(commune.slug)
        assert commune.is_demo and commune.admin_code == str(properties["code"])
        assert len(commune.villages) >= 5
        for village in commune.villages:
            assert village.is_demo and village.household_count
            assert area.contains(Point(village.lon, village.lat)), (commune.slug, village.slug)
    assert after_first[3] == 0  # no submissions without --with-data
    assert {u.username for u in db.scalars(select(User))} == {u[0] for u in DEMO_USERS}
    login(client, "demo-surveyor", DEMO_PASSWORD)


def test_with_data_goes_through_the_service_once(runner, db):  # type: ignore[no-untyped-def]
    assert runner.invoke(args=["load-demo", "--with-data"]).exit_code == 0
    submissions = db.scalars(select(Submission)).all()
    assert len(submissions) > 500
    areas = {slug: commune_geometry(slug)[0] for slug in
             ("cam-due", "cam-lo", "cam-xuyen", "kon-chieng", "nghia-hanh")}
    slugs = {c.id: c.slug for c in db.scalars(select(Commune))}
    for s in submissions:
        if s.lat is not None:
            assert areas[slugs[s.commune_id]].contains(Point(s.lon, s.lat))
        answers = s.answers
        if answers["consent"] == "yes":
            assert answers["egov_users"] <= answers["smartphone_users"] <= answers["members_adult"]
    assert {s.answers["consent"] for s in submissions} == {"yes", "no"}
    before = counts(db)
    assert runner.invoke(args=["load-demo", "--with-data"]).exit_code == 0
    assert counts(db) == before


def test_refused_unless_allowed(database_url, tmp_path):  # type: ignore[no-untyped-def]
    app = make_test_app(database_url, tmp_path, ALLOW_DEMO_DATA=False)
    result = app.test_cli_runner().invoke(args=["load-demo"])
    assert result.exit_code != 0
    assert "ALLOW_DEMO_DATA" in result.output
    app.extensions["phusong.engine"].dispose()
