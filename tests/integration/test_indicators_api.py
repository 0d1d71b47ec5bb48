"""GET /api/v1/indicators and /api/v1/targets over real stored submissions."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from surveys.models import Village
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
from tests.unit.test_indicators import fiber_interval


@pytest.fixture
def tokens(db):
    commune = make_commune(db, villages=(("thon-a", "Thôn A", 100), ("thon-b", "Thôn B", 300)))
    result = role_tokens(db, commune)
    db.commit()
    return result


def submit(client, token, village, fiber, when=None, **answers):
    overrides = {"fixed_broadband": "fiber" if fiber else "none", "fixed_provider": "vnpt"
                 if fiber else None, "fixed_speed_mbps": 100 if fiber else None,
                 "fiber_available": None if fiber else "no", **answers}
    payload = submission_payload(village=village, answers=household_answers(**overrides),
                                 collected_at=when)
    response = client.post("/api/v1/submissions", json=payload, headers=auth(token))
    assert response.status_code == 201, response.json
    return response.json["id"]


@pytest.fixture
def surveyed(client, db, tokens):
    t = tokens["surveyor"]
    may = datetime(2026, 5, 10, 3, tzinfo=UTC)
    for fiber, adults, smart in ((True, 2, 2), (True, 2, 1), (False, 1, 0), (False, 3, 3)):
        submit(client, t, "thon-a", fiber, members_adult=adults, smartphone_users=smart,
               egov_users=0, vneid_users=0, bank_account_users=0, epayment_users=0,
               digital_services_users=0, when=may)
    for adults, smart in ((2, 1), (4, 4)):
        submit(client, t, "thon-b", True, members_adult=adults, members_total=max(4, adults),
               smartphone_users=smart, egov_users=0, vneid_users=0, bank_account_users=0,
               epayment_users=0, digital_services_users=0)
    rejected = submit(client, t, "thon-a", True)  # would change thon-a's share if it counted
    assert client.patch(f"/api/v1/submissions/{rejected}", headers=auth(tokens["staff"]), json={
        "review_status": "rejected", "reason": "hộ đã khảo sát"}).status_code == 200
    refused = client.post("/api/v1/submissions", json=submission_payload(
        village="thon-b", answers={"consent": "no"}), headers=auth(t))
    assert refused.status_code == 201


def rows(client, token, **params):
    response = client.get("/api/v1/indicators", query_string={"commune": "cam-lo", **params},
                          headers=auth(token))
    assert response.status_code == 200, response.json
    return response.json, {r["code"]: r for r in response.json["indicators"]}


def test_commune_estimates_match_the_hand_computation(client, surveyed, tokens):
    table, by_code = rows(client, tokens["staff"])
    assert table["households"] == 6
    fiber = by_code["hh_fiber"]
    assert (fiber["value"], fiber["ci_low"], fiber["ci_high"]) == (87.5, *fiber_interval())
    assert fiber["census"] is False and fiber["unweighted"] is False and fiber["df"] == 4
    assert (fiber["numerator"], fiber["denominator"], fiber["n"]) == (4, 6, 6)
    assert fiber["weighted"] is True and fiber["households_share"] == 100.0
    assert by_code["adult_smartphone"]["value"] == round(100 * 900 / 1100, 2)
    assert by_code["hh_fiber"]["status"] == "insufficient_data"  # 6 < 30 households
    assert set(by_code) >= {"hh_fixed_broadband", "hh_fiber", "hh_fiber_available", "hh_4g_home",
                            "hh_5g_home", "hh_online_shopping", "hh_online_selling",
                            "adult_smartphone", "smartphone_egov", "adult_vneid",
                            "adult_bank_account", "adult_epayment", "adult_digital_signature",
                            "adult_digital_services", "village_4g", "area_4g", "area_5g"}
    for row in table["indicators"]:
        assert set(row) >= {"code", "name", "unit", "value", "ci_low", "ci_high", "numerator",
                            "denominator", "n", "weighted", "target", "comparator",
                            "target_year", "status", "source"}


def test_village_and_period_filters(client, surveyed, tokens):
    _table, by_code = rows(client, tokens["staff"], village="thon-a")
    assert (by_code["hh_fiber"]["value"], by_code["hh_fiber"]["n"]) == (50.0, 4)
    _table, may = rows(client, tokens["staff"], period="2026-05")
    assert may["hh_fiber"]["n"] == 4
    _table, q2 = rows(client, tokens["staff"], period="2026-Q2")
    assert q2["hh_fiber"]["n"] == 4
    bad = client.get("/api/v1/indicators?commune=cam-lo&period=May",
                     headers=auth(tokens["staff"]))
    assert bad.status_code == 422 and "period" in bad.json["errors"]


def test_targets_crud_and_status(client, surveyed, tokens, app):
    app.config["INDICATOR_MIN_HOUSEHOLDS"] = 5
    staff = auth(tokens["staff"])
    created = client.post("/api/v1/targets", headers=staff, json={
        "commune": "cam-lo", "indicator": "hh_fiber", "comparator": ">=", "value": 5,
        "target_year": 2030, "source_document": "Đề án", "source_article": "I.2.1",
        "source_text": "Tỷ lệ hộ dùng cáp quang đạt 40%"})
    assert created.status_code == 201, created.json
    _table, by_code = rows(client, tokens["staff"])
    # 5 %: Korn–Graubard's 7.18 % lower bound clears it (20 % before issue 13's seed follow-up)
    assert by_code["hh_fiber"]["target"] == 5 and by_code["hh_fiber"]["status"] == "met"
    assert by_code["hh_fiber"]["gap"] == 0 and by_code["hh_fiber"]["points_per_year"] == 0
    assert by_code["hh_fiber"]["source"] == "Đề án, I.2.1"
    target_id = created.json["id"]
    patched = client.patch(f"/api/v1/targets/{target_id}", headers=staff, json={"value": 99})
    assert patched.status_code == 200 and patched.json["value"] == 99
    _table, by_code = rows(client, tokens["staff"])
    # No baseline and 2030 still ahead: no line to be on — the gap and the pace are given instead.
    assert by_code["hh_fiber"]["status"] == "no_trajectory"
    assert by_code["hh_fiber"]["gap"] == 11.5 and by_code["hh_fiber"]["points_per_year"] > 0
    listing = client.get("/api/v1/targets?commune=cam-lo", headers=staff).json["targets"]
    assert [t["id"] for t in listing] == [target_id]
    assert client.delete(f"/api/v1/targets/{target_id}", headers=staff).status_code == 204
    assert client.get("/api/v1/targets?commune=cam-lo", headers=staff).json["targets"] == []


def test_an_equals_target_with_the_plan_start_year(client, surveyed, tokens, app):
    # "đạt 5 %" from a plan of 2021–2030 with a 2 % baseline measured in 2020.
    app.config["INDICATOR_MIN_HOUSEHOLDS"] = 5
    staff = auth(tokens["staff"])
    created = client.post("/api/v1/targets", headers=staff, json={
        "commune": "cam-lo", "indicator": "hh_fiber", "comparator": "=", "value": 5,
        "target_year": 2030, "baseline_value": 2, "baseline_year": 2020, "start_year": 2021})
    assert created.status_code == 201, created.json
    assert (created.json["comparator"], created.json["start_year"]) == ("=", 2021)
    _table, by_code = rows(client, tokens["staff"])
    fiber = by_code["hh_fiber"]
    assert (fiber["comparator"], fiber["start_year"], fiber["status"]) == ("=", 2021, "met")
    # "= 99 %": not reached (lower bound 7.18 %), but the upper bound (100 %) is above the line
    # from 2 % at the start of 2021 to 99 % at the end of 2030: on track.
    url = f"/api/v1/targets/{created.json['id']}"
    assert client.patch(url, headers=staff, json={"value": 99}).status_code == 200
    _table, by_code = rows(client, tokens["staff"])
    assert by_code["hh_fiber"]["status"] == "on_track" and by_code["hh_fiber"]["expected"] > 2
    # Without the start year nor the baseline: no line, the gap instead.
    assert client.patch(url, headers=staff, json={
        "start_year": None, "baseline_value": None, "baseline_year": None}).status_code == 200
    _table, by_code = rows(client, tokens["staff"])
    assert by_code["hh_fiber"]["status"] == "no_trajectory" and by_code["hh_fiber"]["gap"] == 11.5
    assert client.patch(url, headers=staff, json={"start_year": 2031}).json["errors"].keys() == {
        "start_year"}
    listing = client.get("/api/v1/targets?commune=cam-lo", headers=staff).json["targets"]
    assert listing[0]["start_year"] is None and listing[0]["comparator"] == "="


@pytest.mark.parametrize(("body", "field"), [
    ({"indicator": "hh_unicorns", "comparator": ">=", "value": 50, "target_year": 2030},
     "indicator"),
    ({"indicator": "hh_fiber", "comparator": "<", "value": 50, "target_year": 2030}, "comparator"),
    ({"indicator": "hh_fiber", "comparator": ">=", "value": 150, "target_year": 2030}, "value"),
    ({"indicator": "hh_fiber", "comparator": ">=", "value": 50}, "target_year"),
    ({"indicator": "hh_fiber", "comparator": ">=", "value": 50, "target_year": 2030,
      "baseline_value": 20}, "baseline_year"),
    ({"indicator": "hh_fiber"}, "value"),
    ({"indicator": "hh_fiber", "comparator": ">=", "value": 50, "target_year": 2030,
      "start_year": 2031}, "start_year"),
    ({"indicator": "hh_fiber", "comparator": ">=", "value": 50, "target_year": 2030,
      "start_year": "2021"}, "start_year"),
])
def test_target_validation_names_the_field(client, tokens, body, field):
    response = client.post("/api/v1/targets", headers=auth(tokens["staff"]),
                           json={"commune": "cam-lo", **body})
    assert response.status_code == 422 and field in response.json["errors"], response.json


def test_who_may_see_and_change(client, surveyed, tokens):
    body = {"commune": "cam-lo", "indicator": "hh_fiber", "comparator": ">=", "value": 50,
            "target_year": 2030}
    assert client.get("/api/v1/indicators?commune=cam-lo").status_code == 401
    assert client.get("/api/v1/indicators?commune=cam-lo",
                      headers=auth(tokens["surveyor"])).status_code == 200
    assert client.get("/api/v1/indicators?commune=cam-lo",
                      headers=auth(tokens["other_staff"])).status_code == 403
    assert client.get("/api/v1/indicators?commune=cam-lo",
                      headers=auth(tokens["partner"])).status_code == 403
    assert client.get("/api/v1/indicators?commune=nowhere",
                      headers=auth(tokens["admin"])).status_code == 404
    assert client.post("/api/v1/targets", json=body,
                       headers=auth(tokens["surveyor"])).status_code == 403
    assert client.post("/api/v1/targets", json=body,
                       headers=auth(tokens["other_staff"])).status_code == 403
    created = client.post("/api/v1/targets", json=body, headers=auth(tokens["admin"]))
    assert created.status_code == 201
    url = f"/api/v1/targets/{created.json['id']}"
    assert client.patch(url, json={"value": 60}, headers=auth(tokens["other_staff"])).status_code == 403
    assert client.delete(url, headers=auth(tokens["other_staff"])).status_code == 403
    assert client.patch(url, json={"commune": "kon-chieng"},
                        headers=auth(tokens["staff"])).status_code == 422


def test_csv_and_xlsx_in_vietnamese_by_default(client, surveyed, tokens):
    staff = auth(tokens["staff"])
    response = client.get("/api/v1/indicators?commune=cam-lo&format=csv", headers=staff)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeffMã chỉ tiêu,Chỉ tiêu,Đơn vị,Giá trị (%)")
    records = {r[0]: r for r in csv.reader(io.StringIO(text.lstrip("\ufeff")))}
    assert records["hh_fiber"][1] == "Hộ dùng cáp quang (FTTH)" and records["hh_fiber"][3] == "87.5"
    assert records["hh_fiber"][13] == "Chưa đủ dữ liệu"
    english = client.get("/api/v1/indicators?commune=cam-lo&format=csv",
                         headers={**staff, "Accept-Language": "en"}).data.decode()
    assert english.lstrip("\ufeff").startswith("Code,Indicator,Unit,Value (%)")
    xlsx = client.get("/api/v1/indicators?commune=cam-lo&format=xlsx", headers=staff)
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet["A1"].value == "Mã chỉ tiêu"
    assert {sheet.cell(row=r, column=1).value for r in range(2, sheet.max_row + 1)} >= {"hh_fiber"}
    assert client.get("/api/v1/indicators?commune=cam-lo&format=pdf",
                      headers=staff).status_code == 422


def test_census_unweighted_and_gap_fields(client, db, surveyed, tokens, app):
    app.config["INDICATOR_MIN_HOUSEHOLDS"] = 5
    staff = auth(tokens["staff"])
    assert client.post("/api/v1/targets", headers=staff, json={
        "commune": "cam-lo", "indicator": "hh_fiber", "comparator": ">=", "value": 95,
        "target_year": 2030}).status_code == 201
    _table, by_code = rows(client, tokens["staff"])
    village_4g = by_code["village_4g"]  # a census of villages: no interval
    assert village_4g["census"] is True and village_4g["ci_low"] is None
    assert village_4g["ci_high"] is None
    fiber = by_code["hh_fiber"]
    assert fiber["status"] == "no_trajectory" and fiber["gap"] == 7.5
    assert fiber["points_per_year"] > 0 and fiber["expected"] is None
    text = client.get("/api/v1/indicators?commune=cam-lo&format=csv&lang=vi",
                      headers=staff).data.decode("utf-8").lstrip("\ufeff")
    table = list(csv.reader(io.StringIO(text)))
    header, records = table[0], {r[0]: r for r in table[1:]}
    assert header[13:18] == ["Tình trạng", "Còn thiếu (điểm %)", "Cần mỗi năm (điểm %)",
                             "Tổng điều tra (không có khoảng tin cậy)",
                             "Chưa có trọng số, có thể lệch"]
    assert records["hh_fiber"][13:15] == ["Chưa có lộ trình", "7.5"]
    assert records["village_4g"][16] == "có"
    # Without Thôn B's household count the commune value is pooled: unweighted, no status claimed.
    db.scalar(select(Village).where(Village.slug == "thon-b")).household_count = None
    db.commit()
    _table, by_code = rows(client, tokens["staff"])
    assert by_code["hh_fiber"]["unweighted"] is True and by_code["hh_fiber"]["status"] == "unweighted"
    assert by_code["hh_fiber"]["weighted"] is False and by_code["hh_fiber"]["value"] == 66.67


def test_demo_plan_targets_are_served(client, runner, db, tokens):
    result = runner.invoke(args=["load-demo"])
    assert result.exit_code == 0, result.output
    admin = auth(tokens["admin"])
    due = client.get("/api/v1/targets?commune=cam-due", headers=admin).json["targets"]
    by_indicator = {t["indicator"]: t for t in due}
    assert by_indicator["smartphone_egov"]["comparator"] == ">"
    assert by_indicator["smartphone_egov"]["value"] == 80
    assert by_indicator["hh_fiber"]["value"] is None
    assert by_indicator["hh_fiber"]["baseline_value"] == 65
    # Seed 003 is the former district's programme: its targets are the group's (issue 16), and
    # the commune Cẩm Xuyên keeps only its own (none).
    assert client.get("/api/v1/targets?commune=cam-xuyen", headers=admin).json["targets"] == []
    xuyen = client.get("/api/v1/targets?area=cam-xuyen-district", headers=admin).json["targets"]
    assert sorted((t["target_year"], t["value"]) for t in xuyen if t["indicator"] == "area_5g") == [
        (2025, 50), (2030, 100)]
    total = sum(len(client.get(f"/api/v1/targets?area={slug}", headers=admin).json["targets"])
                for slug in ("cam-lo", "nghia-hanh", "cam-due", "cam-xuyen-district", "kon-chieng"))
    assert total >= 19
    _table, rows_ = rows(client, tokens["admin"], commune="cam-due")
    assert rows_["hh_fiber"]["status"] == "baseline" and rows_["hh_fiber"]["baseline"] == 65


def test_trend_by_period(client, surveyed, tokens):
    response = client.get("/api/v1/indicators/trend?commune=cam-lo&code=hh_fiber&by=month",
                          headers=auth(tokens["staff"]))
    assert response.status_code == 200, response.json
    points = response.json["points"]
    assert points[0]["period"] == "2026-05" and points[0]["value"] == 50.0 and points[0]["n"] == 4
    assert points[-1]["n"] == 2 and points[-1]["value"] == 100.0
    bad = client.get("/api/v1/indicators/trend?commune=cam-lo&code=nope&by=week",
                     headers=auth(tokens["staff"]))
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"code", "by"}


# What the `surveyed` fixture stored, per village, as (answers that differ from the defaults).
# Defaults (tests/factories.household_answers): 4g, online_shopping yes, online_selling no;
# egov/vneid/bank/epayment/services set to 0 by the fixture; digital_signature_users 0.
PAPER = {
    # code: (per-village numerators, per-village denominators) for A (N=100), B (N=300)
    "hh_fixed_broadband": ((2, 2), (4, 2)),
    "hh_fiber": ((2, 2), (4, 2)),
    "hh_fiber_available": ((2, 2), (4, 2)),  # fiber_available = "no" where not on fibre
    "hh_4g_home": ((4, 2), (4, 2)),
    "hh_5g_home": ((0, 0), (4, 2)),
    "hh_online_shopping": ((4, 2), (4, 2)),
    "hh_online_selling": ((0, 0), (4, 2)),
    "adult_smartphone": ((6, 5), (8, 6)),
    "smartphone_egov": ((0, 0), (6, 5)),
    "adult_vneid": ((0, 0), (8, 6)),
    "adult_digital_signature": ((0, 0), (8, 6)),
}


@pytest.mark.parametrize("code", sorted(PAPER))
def test_every_household_indicator_on_paper(client, surveyed, tokens, code):
    (ya, yb), (xa, xb) = PAPER[code]
    # Weights N_v / n_v: A 100/4 = 25, B 300/2 = 150.
    expected = round(100 * (25 * ya + 150 * yb) / (25 * xa + 150 * xb), 2)
    _table, by_code = rows(client, tokens["staff"])
    row = by_code[code]
    assert (row["value"], row["numerator"], row["denominator"]) == (expected, ya + yb, xa + xb)
    assert row["weighted"] is True and row["status"] == "insufficient_data"
    assert row["ci_low"] <= row["value"] <= row["ci_high"]


def test_partner_measurements_cover_populated_cells(client, db, surveyed, tokens):
    """area_5g: the households (all at one place, all on 4G) say no; a partner's drive test with a
    usable 5G signal in their cell says yes, for the months it covers only."""
    _, before = rows(client, tokens["admin"])
    assert (before["area_5g"]["numerator"], before["area_5g"]["denominator"]) == (0, 1)
    header = "measured_at,lat,lon,operator,technology,rsrp_dbm\n"
    poor = "".join(f"2026-06-0{i} 10:00,16.7513,106.9532,viettel,5g,-105\n" for i in range(1, 4))
    files = {"poor.csv": header + poor,
             "good.csv": header + "".join(f"2026-06-1{i} 10:00,16.7511,106.9530,viettel,5g,-75\n"
                                          for i in range(4))}
    partner = make_token(db, make_user(db, "vt-lab", role="partner", partner=make_partner(
        db, "viettel-lab", "Viettel Lab")))
    db.commit()
    for name in ("poor.csv", "good.csv"):
        response = client.post("/api/v1/coverage/uploads", headers=auth(partner),
                               content_type="multipart/form-data",
                               data={"file": (io.BytesIO(files[name].encode()), name)})
        assert response.status_code == 201, response.json
        if name == "poor.csv":  # 3 poor of 3: not usable
            _, only_poor = rows(client, tokens["admin"])
            assert only_poor["area_5g"]["numerator"] == 0
    _, after = rows(client, tokens["admin"])
    assert (after["area_5g"]["numerator"], after["area_5g"]["denominator"]) == (1, 1)
    assert after["area_4g"]["numerator"] == 1  # 5G counts toward 4G-or-better
    _, in_may = rows(client, tokens["admin"], period="2026-05")  # before the drive test
    assert in_may["area_5g"]["numerator"] == 0
    _, in_june = rows(client, tokens["admin"], period="2026-06")  # no household: no populated cell
    assert (in_june["area_5g"]["numerator"], in_june["area_5g"]["denominator"]) == (0, 0)
