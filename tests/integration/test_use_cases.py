"""views/use_cases.run: a write commits once; a 422 goes onto the page's form (and is rolled back);
anything else (403, 404) stays what it is, on pages as on the API."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from wtforms import StringField

from surveys.errors import Problem, Text
from surveys.models import Commune, Target
from surveys.views.use_cases import run
from tests.conftest import csrf_from, login
from tests.factories import PASSWORD, make_commune, make_user


class _Form(FlaskForm):
    class Meta:
        csrf = False

    name = StringField()


def _add_then_fail(session: Session, code: str) -> None:
    make_commune(session, "xa-tam", name="Xã Tạm")
    session.flush()
    errors = {"name": Text("Tên sai.", "Bad name."), "elsewhere": Text("Chỗ khác.", "Elsewhere.")}
    raise Problem(code, errors=errors if code.startswith("422") else {})


def _communes(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Commune)) or 0


@pytest.mark.parametrize("code", ["403.1", "404.1"])
def test_a_403_or_404_is_raised_not_put_on_the_form(app: Flask, db: Session, code: str) -> None:
    with app.test_request_context("/communes/x/targets", method="POST"):
        form = _Form()
        with pytest.raises(Problem) as raised:
            run(_add_then_fail, code, form=form)
        assert raised.value.code == code
        assert not form.name.errors and not form.form_errors
    assert _communes(db) == 0  # rolled back


def test_a_422_goes_onto_the_fields_and_is_rolled_back(app: Flask, db: Session) -> None:
    with app.test_request_context("/communes/x/targets", method="POST"):
        form = _Form()
        outcome = run(_add_then_fail, "422.1", form=form)
        assert not outcome.ok and outcome.value is None
        assert form.name.errors == ["Tên sai."]
        assert form.form_errors == ["Chỗ khác."]
    assert _communes(db) == 0


def test_a_422_of_the_api_is_raised_for_the_json_problem(app: Flask, db: Session) -> None:
    with app.test_request_context("/api/v1/targets", method="POST"):
        with pytest.raises(Problem):
            run(_add_then_fail, "422.1", form=_Form())


def test_a_write_is_committed(app: Flask, db: Session) -> None:
    with app.test_request_context("/communes/x/targets", method="POST"):
        commune = run(make_commune, "xa-moi", name="Xã Mới")
        assert commune.slug == "xa-moi"
    assert _communes(db) == 1


def test_the_targets_page_answers_403_and_404_not_a_form_error(client: FlaskClient,
                                                               db: Session) -> None:
    cam_lo = make_commune(db)
    make_commune(db, "kon-chieng", name="Xã Kon Chiêng", province="Gia Lai")
    make_user(db, "staff2", role="staff", commune=db.scalar(
        select(Commune).where(Commune.slug == "kon-chieng")))
    make_user(db, "surveyor1", commune=cam_lo)
    target = Target(commune=cam_lo, indicator="adult_vneid", comparator=">=", value=85,
                    target_year=2030, source_document="", source_article="", source_text="")
    db.add(target)
    db.commit()
    form = {"indicator": "adult_vneid", "comparator": ">=", "value": "90", "target_year": "2030"}
    login(client, "surveyor1", PASSWORD)  # reads cam-lo's targets, may not write them
    page = client.get("/communes/cam-lo/targets").get_data(as_text=True)
    assert client.post("/communes/cam-lo/targets",
                       data={**form, "csrf_token": csrf_from(page)}).status_code == 403
    assert client.post(f"/communes/cam-lo/targets/{target.id}",
                       data={**form, "csrf_token": csrf_from(page)}).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_from(page)})
    login(client, "staff2", PASSWORD)
    page = client.get("/communes/kon-chieng/targets").get_data(as_text=True)
    assert client.post(f"/communes/kon-chieng/targets/{target.id}",
                       data={**form, "csrf_token": csrf_from(page)}).status_code == 404
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Target)) == 1
    assert db.get(Target, target.id).value == 85
