"""No English or internal words in the Vietnamese interface: plan names without seed labels, audit
entries in words, a select for the export's review status, the partners' formats page as a page in
both languages."""

from __future__ import annotations

import re

from surveys.indicators.plan_targets import PLAN_TARGETS
from tests.conftest import login
from tests.factories import PASSWORD, make_commune, make_partner, make_user


def test_plan_names_carry_no_internal_labels() -> None:
    assert not [t["source_document"] for t in PLAN_TARGETS if "seed" in t["source_document"]]


def test_audit_log_names_actions_actors_and_records_in_words(client, db, runner) -> None:
    commune = make_commune(db)
    make_user(db, "staff1", role="staff", commune=commune)
    make_user(db, "surveyor1", commune=commune)
    db.commit()
    assert runner.invoke(args=["create-token", "surveyor1"]).exit_code == 0  # actor "cli"
    login(client, "staff1", PASSWORD)
    html = client.get("/communes/cam-lo/audit").get_data(as_text=True)
    entry = html.split('<ol class="audit-list">', 1)[1]
    assert "Tạo mã truy cập API" in entry and "· dòng lệnh (máy chủ) · mã truy cập API #" in entry
    assert "<dt>tài khoản</dt><dd>surveyor1</dd>" in entry and "<dt>phần đầu của mã</dt>" in entry
    for code in (">token.create", ">cli<", "api_token", ">prefix<", ">user<", "· cli", "user #"):
        assert code not in entry, code


def test_export_page_has_a_select_of_review_statuses_in_words(client, db) -> None:
    make_user(db, "staff1", role="staff", commune=make_commune(db))
    db.commit()
    login(client, "staff1", PASSWORD)
    html = client.get("/communes/cam-lo/export").get_data(as_text=True)
    select = re.search(r'<select id="status" name="status">(.*?)</select>', html, re.S)
    assert select is not None and 'placeholder="received"' not in html
    assert '<option value="received">' in select.group(1) and "Mọi trạng thái" in select.group(1)
    assert ">received<" not in select.group(1)


def test_formats_page_is_a_page_in_both_languages(client, db) -> None:
    make_user(db, "viettel1", role="partner", partner=make_partner(db))
    db.commit()
    login(client, "viettel1", PASSWORD)
    page = client.get("/coverage/formats")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "<h1>Định dạng tệp đo vùng phủ và quy tắc kiểm tra</h1>" in html
    assert "<table" in html and "<code>measured_at</code>" in html and "## " not in html
    assert 'name="viewport"' in html  # the site's layout: fits a phone
    client.post("/lang/en", data={"csrf_token": re.search(
        r'name="csrf_token" value="([^"]+)"', html).group(1), "next": "/coverage/formats"})
    english = client.get("/coverage/formats").get_data(as_text=True)
    assert "<h2>Reading rules (all text formats)</h2>" in english and "**" not in english
