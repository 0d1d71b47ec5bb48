"""The XPath subset, over the cases the browser evaluator is tested on too (tests/e2e)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from surveys.xpath import UnsupportedExpression, compile_expression

CASES = json.loads((Path(__file__).parents[1] / "data" / "xpath_cases.json").read_text())
EVALUATIONS = [c for c in CASES if not c.get("error")]
REJECTIONS = [c for c in CASES if c.get("error")]


def test_the_shared_cases_cover_enough() -> None:
    assert len(EVALUATIONS) >= 60 and len(REJECTIONS) >= 10


@pytest.mark.parametrize("case", EVALUATIONS, ids=[c["expr"] for c in EVALUATIONS])
def test_evaluates_like_xpath(case: dict) -> None:  # type: ignore[type-arg]
    result = compile_expression(case["expr"]).evaluate(case["values"], case["current"])
    assert result == case["expect"]
    assert isinstance(result, bool) == isinstance(case["expect"], bool)


@pytest.mark.parametrize("case", REJECTIONS, ids=[repr(c["expr"]) for c in REJECTIONS])
def test_unsupported_is_refused_at_compile_time(case: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(UnsupportedExpression, match="supported|takes"):
        compile_expression(case["expr"])


def test_error_names_the_token_and_position() -> None:
    with pytest.raises(UnsupportedExpression, match=r"'today' at position 4 in"):
        compile_expression(". > today()")


def test_references_are_collected() -> None:
    expression = compile_expression("${a} = 1 and (selected(${b}, 'x') or . > ${c})")
    assert expression.references == frozenset({"a", "b", "c"})


def test_test_gives_xpath_boolean() -> None:
    assert compile_expression("count-selected(.)").test({}, ["a"]) is True
    assert compile_expression("${x}").test({"x": ""}) is False
