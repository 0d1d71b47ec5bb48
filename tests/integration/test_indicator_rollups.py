"""The indicator rollups give exactly the numbers computed from the households, through every way a
household can come, go or change: new submissions, reviews, corrections, a rebuild."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from surveys.indicators.report import indicator_table, indicator_trend, load_households
from surveys.indicators.rollups import rebuild
from surveys.models import Commune, HouseholdCell, IndicatorMoments
from tests.factories import auth, household_answers, make_commune, make_token, make_user, submission_payload


@pytest.fixture
def place(db):
    commune = make_commune(db, villages=(("thon-1", "Thôn 1", 60), ("thon-2", "Thôn 2", None),
                                         ("thon-3", "Thôn 3", 40)))
    tokens = {"surveyor": make_token(db, make_user(db, "sv", commune=commune)),
              "staff": make_token(db, make_user(db, "st", role="staff", commune=commune))}
    db.commit()
    return commune, tokens


def random_households(client, token, count, seed=5):
    rng = random.Random(seed)
    ids = []
    for _ in range(count):
        adults = rng.randint(1, 5)
        smart = rng.randint(0, adults)
        shops = rng.choice(("yes", "no"))
        answers = household_answers(
            members_adult=adults, members_total=adults + rng.randint(0, 3), smartphone_users=smart,
            egov_users=rng.randint(0, smart), vneid_users=rng.randint(0, adults),
            bank_account_users=rng.randint(0, adults), epayment_users=rng.randint(0, adults),
            digital_signature_users=rng.randint(0, adults),
            digital_services_users=rng.randint(0, adults),
            mobile_best_technology=rng.choice(("3g", "4g", "4g", "5g")),
            online_shopping=shops, online_selling=rng.choice(("yes", "no")),
            **({} if shops == "yes" else {"online_platforms": None}))
        when = datetime(2026, rng.randint(1, 11), rng.randint(1, 28), rng.randint(0, 23), tzinfo=UTC)
        location = {"lat": 16.75 + rng.gauss(0, 0.01), "lon": 106.95 + rng.gauss(0, 0.01),
                    "accuracy_m": 10.0}
        payload = submission_payload(village=rng.choice(("thon-1", "thon-2", "thon-3")),
                                     answers=answers, collected_at=when, location=location)
        response = client.post("/api/v1/submissions", json=payload, headers=auth(token))
        assert response.status_code == 201, response.json
        ids.append(response.json["id"])
    return ids


def both_ways(db, commune, **kwargs):
    """(from the rollups, from the households) for the same place and time."""
    db.expire_all()
    commune = db.get(Commune, commune.id)
    common = {"today": date(2026, 11, 30), "minimum": 5, "h3_resolution": 8, **kwargs}
    rolled = indicator_table(db, commune, **common)
    households = load_households(db, commune.id, period=kwargs.get("period"),
                                 village_id=kwargs["village"].id if kwargs.get("village") else None)
    direct = indicator_table(db, commune, households=households, **common)
    return rolled, direct


def test_rollups_equal_the_households_through_reviews_and_corrections(client, db, place):
    from surveys.indicators.report import parse_period

    commune, tokens = place
    ids = random_households(client, tokens["surveyor"], 60)
    rolled, direct = both_ways(db, commune)
    assert rolled == direct and rolled["households"] == 60
    for period in ("2026", "2026-Q2", "2026-03"):
        rolled, direct = both_ways(db, commune, period=parse_period(period))
        assert rolled == direct
    village = commune.villages[0]
    assert both_ways(db, commune, village=village)[0] == both_ways(db, commune, village=village)[1]

    # Rejections drop out; an approval brings one back.
    for submission_id in ids[:5]:
        assert client.patch(f"/api/v1/submissions/{submission_id}", headers=auth(tokens["staff"]),
                            json={"review_status": "rejected", "reason": "trùng"}).status_code == 200
    assert client.patch(f"/api/v1/submissions/{ids[0]}", headers=auth(tokens["staff"]),
                        json={"review_status": "approved"}).status_code == 200
    rolled, direct = both_ways(db, commune)
    assert rolled == direct and rolled["households"] == 56

    # A correction replaces its original: still one household.
    original = client.get(f"/api/v1/submissions/{ids[10]}", headers=auth(tokens["surveyor"])).json
    correction = submission_payload(village=original["village"], supersedes=original["instance_id"],
                                    answers=household_answers(mobile_best_technology="5g",
                                                              online_shopping="yes"),
                                    collected_at=datetime.fromisoformat(original["collected_at"]))
    response = client.post("/api/v1/submissions", json=correction, headers=auth(tokens["surveyor"]))
    assert response.status_code == 201, response.json
    rolled, direct = both_ways(db, commune)
    assert rolled == direct and rolled["households"] == 56

    # The trend from the rollups is the trend from the households.
    db.expire_all()
    commune = db.get(Commune, commune.id)
    from surveys.indicators.report import household_rows

    for by in ("month", "quarter", "year"):
        assert indicator_trend(db, commune, "adult_smartphone", by=by, village=None,
                               h3_resolution=8) == indicator_trend(
            db, commune, "adult_smartphone", by=by, village=None, h3_resolution=8,
            rows=household_rows(db, commune.id))

    # A rebuild from scratch lands on the very same rows.
    def rows():
        db.expire_all()
        return (sorted((r.village_id, r.period, r.code, r.count, r.sum_y, r.sum_x, r.sum_yy,
                        r.sum_xx, r.sum_xy, r.positive) for r in db.scalars(select(IndicatorMoments))),
                sorted((r.village_id, r.period, r.h3_cell, r.households, r.with_4g, r.with_5g)
                       for r in db.scalars(select(HouseholdCell))))
    before = rows()
    assert rebuild(db) == 56
    db.commit()
    assert rows() == before


def test_finer_area_cells_fall_back_to_the_households(client, db, place):
    commune, tokens = place
    random_households(client, tokens["surveyor"], 30, seed=9)
    rolled, direct = both_ways(db, commune, h3_resolution=9)
    assert rolled == direct
    by_code = {r["code"]: r for r in rolled["indicators"]}
    coarse = {r["code"]: r for r in both_ways(db, commune)[0]["indicators"]}
    assert by_code["area_4g"]["denominator"] >= coarse["area_4g"]["denominator"]


def test_cli_rebuild(runner, client, db, place):
    _commune, tokens = place
    random_households(client, tokens["surveyor"], 8, seed=2)
    result = runner.invoke(args=["indicators", "rebuild", "--commune", "cam-lo"])
    assert result.exit_code == 0 and "from 8 counted households" in result.output, result.output
    assert runner.invoke(args=["indicators", "rebuild", "--commune", "nowhere"]).exit_code != 0



def test_map_hexagons_read_households_from_the_rollups(client, db, place):
    import h3

    from surveys.coverage.hexes import (
        _household_generations,
        located_households,
        rolled_household_generations,
    )

    commune, tokens = place
    ids = random_households(client, tokens["surveyor"], 40, seed=11)
    assert client.patch(f"/api/v1/submissions/{ids[0]}", headers=auth(tokens["staff"]),
                        json={"review_status": "rejected", "reason": "trùng"}).status_code == 200
    for resolution, first, last in ((8, None, None), (8, "2026-03", "2026-08")):
        from surveys.coverage.hexes import month_range

        raw = _household_generations(
            (h3.latlng_to_cell(lat, lon, resolution), reported)
            for lat, lon, reported in located_households(db, commune.id, month_range(first, last)))
        assert rolled_household_generations(db, commune.id, resolution, first, last) == raw
