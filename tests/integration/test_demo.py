"""load-demo: the five communes, the province of Hà Tĩnh (69 communes, the group of the former Cẩm
Xuyên district), villages inside their real boundaries, users, synthetic households."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from functools import cache

from shapely.geometry import Point, shape
from shapely.prepared import PreparedGeometry, prep
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from surveys import demo
from surveys.collection.submissions import parse_submission
from surveys.demo import DEMO_USERS, commune_geometry
from surveys.models import Commune, Partner, Role, Submission, Target, User, Village
from tests.conftest import login, make_test_app

# The communes with synthetic villages: the five of the seeds, five more of Hà Tĩnh (issue 16).
SLUGS = sorted(c.slug for c in demo.ALL_COMMUNES)


def counts(db) -> dict[str, int]:
    db.expire_all()
    return {model.__name__: db.scalar(select(func.count()).select_from(model))
            for model in (Commune, Village, Partner, User, Target, Submission)}


@cache
def _areas(slug: str, stored: str) -> tuple[PreparedGeometry, PreparedGeometry]:
    return prep(commune_geometry(slug)[0]), prep(shape(json.loads(stored)))


def inside(commune: Commune, lon: float, lat: float) -> bool:
    """Inside both the real boundary and the simplified one stored on the commune."""
    point = Point(lon, lat)
    return all(area.contains(point) for area in _areas(commune.slug, json.dumps(commune.boundary)))


def payload_of(s: Submission) -> dict:  # type: ignore[type-arg]
    """The stored submission as the API would have received it."""
    return {"instance_id": s.instance_id, "survey": s.survey, "survey_version": s.survey_version,
            "village": s.village.slug, "collected_at": s.collected_at.isoformat(),
            "location": None if s.lat is None else {"lat": s.lat, "lon": s.lon,
                                                    "accuracy_m": s.accuracy_m},
            "answers": s.answers}


def test_load_demo_is_idempotent_and_inside_the_boundaries(app, runner, db, client):
    first = runner.invoke(args=["load-demo"])
    assert first.exit_code == 0, first.output
    assert "Created: 72 communes, 52 villages, 3 partners, 14 users" in first.output
    assert "1 provinces, 1 groups" in first.output
    after_first = counts(db)
    second = runner.invoke(args=["load-demo"])
    assert second.exit_code == 0, second.output
    assert "Created: 0 communes, 0 villages, 0 partners, 0 users, 0 targets" in second.output
    assert "Already present: 72 communes" in second.output
    assert counts(db) == after_first
    assert after_first["Submission"] == 0  # households only with --with-data

    communes = db.scalars(select(Commune).where(Commune.slug.in_(SLUGS))
                          .order_by(Commune.slug)).all()
    assert [c.slug for c in communes] == SLUGS
    for commune in communes:
        _area, properties = commune_geometry(commune.slug)
        assert commune.is_demo and commune.admin_code == str(properties["code"])
        assert shape(commune.boundary).is_valid
        assert len(commune.villages) >= 4
        points = []
        for village in commune.villages:
            assert village.is_demo and 150 <= village.household_count <= 900
            assert inside(commune, village.lon, village.lat), village.slug
            points.append(Point(village.lon, village.lat))
        # Spread out: about 1 km apart at least (0.009° ≈ 1 km; longitude degrees are shorter).
        assert min(a.distance(b) for i, a in enumerate(points) for b in points[i + 1:]) > 0.0085

    users = db.scalars(select(User)).all()
    assert {u.username for u in users} == {u.username for u in DEMO_USERS}
    assert {u.role for u in users} == set(Role)
    assert db.scalar(select(User).where(User.username == "demo-partner")).partner.slug == "viettel"
    assert set(db.scalars(select(Partner.slug))) == {"viettel", "vnpt", "mobifone"}
    login(client, "demo-surveyor", demo.DEMO_PASSWORD)
    for user in DEMO_USERS[1:4]:  # one of every other role
        login(app.test_client(), user.username, user.password)


def test_with_data_goes_through_the_service_once(runner, db):
    assert runner.invoke(args=["load-demo"]).exit_code == 0
    before = counts(db)
    result = runner.invoke(args=["load-demo", "--with-data"])
    assert result.exit_code == 0, result.output
    after = counts(db)
    assert after == {**before, "Submission": after["Submission"]}
    assert after["Submission"] >= 32 * 25

    now = datetime.now(UTC)
    communes = {c.id: c for c in db.scalars(select(Commune))}
    submissions = db.scalars(select(Submission).options(selectinload(Submission.village))).all()
    for s in submissions:
        commune = communes[s.commune_id]
        parse_submission(payload_of(s), now=now)  # still valid: raises Problem otherwise
        assert s.surveyor.commune_id == s.commune_id and s.collected_at < now
        if s.lat is not None:
            assert inside(commune, s.lon, s.lat), s.instance_id
            assert 5 <= s.accuracy_m <= 40
    consents = [s.answers["consent"] for s in submissions]
    assert 0.01 < consents.count("no") / len(consents) < 0.1
    assert 0.02 < sum(s.lat is None for s in submissions) / len(submissions) < 0.15
    by_commune = {c.slug: [s.answers for s in submissions
                           if s.commune_id == c.id and s.answers["consent"] == "yes"]
                  for c in communes.values() if c.slug in SLUGS}
    fiber = {slug: sum(a["fixed_broadband"] == "fiber" for a in rows) / len(rows)
             for slug, rows in by_commune.items()}
    assert fiber["kon-chieng"] < min(v for k, v in fiber.items() if k != "kon-chieng")

    again = runner.invoke(args=["load-demo", "--with-data"])
    assert again.exit_code == 0, again.output
    assert "Created: 0 communes, 0 villages, 0 partners, 0 users, 0 targets, 0 submissions" \
        in again.output
    assert counts(db) == after


def test_households_are_deterministic_and_villages_ignore_the_seed():
    village = Village(slug="thon-2", name="Thôn 2", lat=16.75, lon=106.95, household_count=400)
    now = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)

    def payloads(seed: int) -> list[dict]:  # type: ignore[type-arg]
        rng = random.Random(f"{seed}:cam-lo:thon-2")
        return demo._village_payloads(rng, demo.COMMUNES[0], village, 1.0, now)

    assert payloads(1) == payloads(1) != payloads(2)
    assert all(datetime.fromisoformat(p["collected_at"]) < now for p in payloads(1))
    assert demo.village_sites("cam-lo", 7) == demo.village_sites("cam-lo", 7)


def test_refused_unless_allowed(database_url, tmp_path):
    app = make_test_app(database_url, tmp_path, ALLOW_DEMO_DATA=False)
    try:
        result = app.test_cli_runner().invoke(args=["load-demo"])
        assert result.exit_code != 0
        assert "ALLOW_DEMO_DATA" in result.output
    finally:
        app.extensions["phusong.engine"].dispose()


def test_the_province_its_group_and_the_district_targets(runner, db, client):
    """Hà Tĩnh's 69 communes (the demo's Cẩm Duệ and Cẩm Xuyên among them, not duplicated), slugs
    from the files' code names, the former district's group holding seed 003's targets, and an
    older demo's seed-003 targets on the commune Cẩm Xuyên moved to the group."""
    from surveys.indicators.plan_targets import CAM_XUYEN
    from surveys.models import CommuneGroup, Province

    old = Commune(slug="cam-xuyen", name="Xã Cẩm Xuyên", province="Hà Tĩnh", admin_code="18673",
                  is_demo=True)
    db.add(old)
    db.add(Target(commune=old, indicator="area_5g", comparator=">=", value=50, target_year=2025,
                  source_document=CAM_XUYEN.replace("(huyện cũ)", "(huyện cũ; xã Cẩm Xuyên đại diện)")))
    db.commit()
    result = runner.invoke(args=["load-demo"])
    assert result.exit_code == 0, result.output
    province = db.scalar(select(Province))
    assert (province.slug, province.code) == ("ha-tinh", "42")
    in_province = db.scalars(select(Commune).where(Commune.province_id == province.id)).all()
    assert len(in_province) == 69 and {"cam-due", "cam-xuyen", "son-kim-1", "thach-ha"} <= {
        c.slug for c in in_province}
    assert db.scalar(select(func.count()).select_from(Commune)) == 72
    group = db.scalar(select(CommuneGroup))
    assert group.slug == "cam-xuyen-district" and group.province == province
    assert sorted(c.slug for c in group.communes) == sorted(
        ["cam-xuyen", "thien-cam", "yen-hoa", "cam-binh", "cam-hung", "cam-due", "cam-trung",
         "cam-lac"])
    assert db.scalars(select(Target).where(Target.commune_id == old.id)).all() == []
    on_group = db.scalars(select(Target).where(Target.group_id == group.id)).all()
    assert sorted((t.indicator, t.target_year) for t in on_group) == [("area_5g", 2025)]
    login(client, "demo-province", demo.DEMO_PASSWORD)
    tree = client.get("/api/v1/areas").get_json()["areas"]
    assert [a["slug"] for a in tree] == ["ha-tinh"] and len(tree[0]["communes"]) == 69
