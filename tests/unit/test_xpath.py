"""The XPath subset, over the cases the browser evaluator is tested on too (tests/e2e)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from surveys.definitions.xpath import SUPPORTED, UnsupportedExpression, compile_expression

CASES = json.loads((Path(__file__).parents[1] / "data" / "xpath_cases.json").read_text(encoding="utf-8"))
EVALUATIONS = [c for c in CASES if not c.get("error")]
REJECTIONS = [c for c in CASES if c.get("error")]


def test_the_shared_cases_cover_enough() -> None:
    assert len(EVALUATIONS) >= 60 and len(REJECTIONS) >= 10


@pytest.mark.parametrize("case", EVALUATIONS, ids=[repr(c["expr"]) for c in EVALUATIONS])
def test_evaluates_like_xpath(case: dict[str, Any]) -> None:
    result = compile_expression(case["expr"]).evaluate(case["values"], case["current"])
    assert result == case["expect"]
    # True == 1 in Python: a boolean where a number is expected (or the reverse) must still fail.
    assert isinstance(result, bool) == isinstance(case["expect"], bool)


@pytest.mark.parametrize("case", REJECTIONS, ids=[repr(c["expr"]) for c in REJECTIONS])
def test_unsupported_is_refused_at_compile_time(case: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedExpression, match=r" at position \d+ in ") as caught:
        compile_expression(case["expr"])
    assert json.dumps(case["expr"], ensure_ascii=False) in str(caught.value)
    assert str(caught.value).endswith(f"; supported: {SUPPORTED}")


@pytest.mark.parametrize(("expr", "message"), [
    ("today() > 2", """unsupported function 'today()' at position 0 in "today() > 2"; supported: """),
    (". > today()", "unsupported function 'today()' at position 4 in"),
    ("${a} + 1", "unsupported operator '+' at position 5 in"),
    ("${a} - 1", "unsupported operator '-' at position 5 in"),
    ("/data/a = 1", "unsupported path '/' at position 0 in"),
    ("${a} = 'yes", "unterminated string at position 7 in"),
    ("${} = 1", "malformed reference '${}' (expected ${name}) at position 0 in"),
    ("${a} = 1 and", "expected a value but found end of expression at position 12 in"),
    ("(${a} = 1", "expected ')' but found end of expression at position 9 in"),
    ("${a} = 1 )", "unexpected ')' at position 9 in"),
    ("${a} = 'x' 'y'", "unexpected 'y' at position 11 in"),
    ("foo = 1", "unsupported name 'foo' at position 0 in"),
    ("not(${a}, 1)", "not() takes 1 argument(s), got 2, at position 0 in"),
    ("${a} = \u2018yes\u2019", "unsupported character '\u2018' (U+2018) at position 7 in"),
    ("", 'empty expression at position 0 in ""'),
])
def test_error_names_the_token_and_position(expr: str, message: str) -> None:
    with pytest.raises(UnsupportedExpression) as caught:
        compile_expression(expr)
    assert str(caught.value).startswith(message)


def test_unsupported_expression_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        compile_expression("today()")


def test_references_are_collected() -> None:
    expression = compile_expression("${a} = 1 and (selected(${b}, 'x') or . > ${c}) and ${a} != 2")
    assert expression.references == frozenset({"a", "b", "c"})
    assert compile_expression(". > 1").references == frozenset()
    assert compile_expression("${a.b-c_d} = 1").references == {"a.b-c_d"}


def test_source_is_kept_verbatim() -> None:
    assert compile_expression("  ${a}  = 1 ").source == "  ${a}  = 1 "


def test_test_gives_xpath_boolean() -> None:
    assert compile_expression("count-selected(.)").test({}, ["a"]) is True
    assert compile_expression("count-selected(.)").test({}, []) is False
    assert compile_expression("${x}").test({"x": ""}) is False
    assert compile_expression("${x}").test({"x": None}) is False
    assert compile_expression("${x}").test({"x": "false"}) is True  # a non-empty string
    assert compile_expression("-${x}").test({"x": "abc"}) is False  # NaN
    assert compile_expression(". = 1").test({}) is False


def test_values_may_be_any_mapping_and_python_numbers() -> None:
    class Answers(dict[str, Any]):
        pass

    assert compile_expression("${n} > 2.5").test(Answers(n=3)) is True
    assert compile_expression("selected(., '2')").test({}, [1, 2]) is True
    assert compile_expression("${n} = '2'").test({"n": 2.0}) is True
    assert math.isnan(compile_expression("-${n}").evaluate({"n": "1e3"}))


def test_and_or_short_circuit() -> None:
    calls: list[str] = []

    class Spy(dict[str, Any]):
        def get(self, key: str, default: Any = None) -> Any:
            calls.append(key)
            return super().get(key, default)

    compile_expression("${a} = 1 or ${b} = 1").test(Spy(a=1))
    compile_expression("${a} = 2 and ${c} = 1").test(Spy(a=1))
    assert calls == ["a", "a"]


def test_compiled_once_evaluated_many_times() -> None:
    expression = compile_expression(". <= ${members_total}")
    assert [expression.test({"members_total": 4}, n) for n in (3, 4, 5)] == [True, True, False]
