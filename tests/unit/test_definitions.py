"""The household definition: contract names, types, rules, and load-time errors."""

from __future__ import annotations

import pytest

from surveys.collection.answers import validate_answers
from surveys.definitions import DefinitionError, get_definition, parse_definition
from tests.factories import household_answers

CONTRACT = {
    "consent": "select_one", "household_code": "text", "members_total": "integer",
    "members_adult": "integer", "smartphone_users": "integer", "egov_users": "integer",
    "vneid_users": "integer", "bank_account_users": "integer", "epayment_users": "integer",
    "digital_signature_users": "integer", "digital_services_users": "integer",
    "mobile_best_technology": "select_one", "mobile_signal_bars": "integer",
    "mobile_operators": "select_multiple", "fixed_broadband": "select_one",
    "fixed_provider": "select_one", "fixed_speed_mbps": "integer",
    "fiber_available": "select_one", "online_shopping": "select_one",
    "online_platforms": "select_multiple", "online_selling": "select_one",
    "speedtest_download_mbps": "decimal", "speedtest_upload_mbps": "decimal",
    "speedtest_latency_ms": "decimal", "photo": "image", "notes": "text",
}
OPTIONAL = {"household_code", "fixed_speed_mbps", "speedtest_download_mbps",
            "speedtest_upload_mbps", "speedtest_latency_ms", "photo", "notes"}


@pytest.fixture(scope="module")
def household():
    definition = get_definition("household")
    assert definition is not None
    return definition


def test_contract_names_and_types(household):
    assert {q.name: q.type for q in household.questions} == CONTRACT
    for q in household.questions:
        assert q.required == (q.name not in OPTIONAL), q.name
        assert q.label.vi and q.label.en and q.label.vi != q.label.en or q.name == "photo"


def test_choices_are_the_contract(household):
    def names(question: str) -> list[str]:
        return [c.name for c in household.by_name[question].choices]

    assert names("consent") == ["yes", "no"]
    assert names("mobile_best_technology") == ["none", "2g", "3g", "4g", "5g"]
    assert set(names("mobile_operators")) >= {"viettel", "vinaphone", "mobifone", "vietnamobile",
                                               "other"}
    assert names("fixed_broadband") == ["none", "fiber", "cable", "adsl", "fixed_wireless"]
    assert names("fixed_provider") == ["viettel", "vnpt", "fpt", "other"]
    assert names("fiber_available") == ["yes", "no", "unknown"]
    assert names("online_platforms") == ["shopee", "lazada", "tiktok_shop", "tiki",
                                         "facebook_zalo", "other"]


def test_everything_after_consent_depends_on_it(household):
    for q in household.questions[1:]:
        assert "${consent} = 'yes'" in (q.relevant_source or ""), q.name


def test_valid_household_passes(household):
    answers, errors = validate_answers(household, household_answers())
    assert errors == {}
    assert answers["members_total"] == 4


def test_form_strings_are_coerced_as_the_browser_posts_them(household):
    posted = {k: (str(v) if not isinstance(v, list) else v) for k, v in household_answers(
        speedtest_download_mbps="87,5").items()}
    answers, errors = validate_answers(household, posted)
    assert errors == {}
    assert answers["members_total"] == 4 and answers["speedtest_download_mbps"] == 87.5


def test_html_path_drops_answers_that_do_not_apply(household):
    raw = household_answers(fixed_broadband="none", fixed_provider="vnpt", fixed_speed_mbps=100,
                            fiber_available="no")
    strict_answers, strict_errors = validate_answers(household, raw)
    assert set(strict_errors) == {"fixed_provider", "fixed_speed_mbps"}
    answers, errors = validate_answers(household, raw, strict_relevance=False)
    assert errors == {}
    assert "fixed_provider" not in answers and "fixed_speed_mbps" not in answers


def test_constraint_messages_are_bilingual(household):
    _answers, errors = validate_answers(household, household_answers(members_adult=9))
    assert errors["members_adult"].vi.startswith("Không được lớn hơn")
    assert errors["members_adult"].en == "Cannot exceed the people in the household."


def test_an_error_upstream_does_not_cascade(household):
    _answers, errors = validate_answers(household, household_answers(members_total="bốn"))
    assert set(errors) == {"members_total"}


SIMPLE = """
| survey |
| | type | name | label::Tiếng Việt (vi) | label::English (en) | relevant |
| | integer | a | A | A | |
| | integer | b | B | B | {expr} |
| settings |
| | form_id | version |
| | simple | 1 |
"""


def test_unsupported_expression_fails_at_load_time() -> None:
    with pytest.raises(DefinitionError, match=r"simple.md: b relevant: .*today"):
        parse_definition(SIMPLE.format(expr="today() > ${a}"), "simple.md")


def test_reference_to_unknown_question_fails_at_load_time() -> None:
    with pytest.raises(DefinitionError, match=r"simple.md: .*relevant.*zz"):
        parse_definition(SIMPLE.format(expr="${zz} > 1"), "simple.md")


def test_unsupported_question_type_fails_at_load_time() -> None:
    text = SIMPLE.format(expr="").replace("| integer | b |", "| geopoint | b |")
    with pytest.raises(DefinitionError, match="geopoint"):
        parse_definition(text, "simple.md")


def test_definition_json_has_both_languages(household):
    data = household.to_json()
    assert data["name"] == "household" and data["version"] == household.version
    consent = data["questions"][0]
    assert consent["label"]["vi"] and consent["label"]["en"]
    assert consent["choices"][0] == {"name": "yes", "label": {"vi": "Có", "en": "Yes"}}
