"""tests/data/xpath_cases.json is also fed, unchanged, to static/js/xpath.js in a browser (tests/e2e).

So every case must be plain JSON a browser reads the same way: no NaN or Infinity, values only of
the kinds an answer can have, and an expected result of the kinds the evaluators return.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

PATH = Path(__file__).parents[1] / "data" / "xpath_cases.json"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON; a browser's JSON.parse would refuse it")


def _load() -> list[Any]:
    return json.loads(PATH.read_text(encoding="utf-8"), parse_constant=_refuse_constant)


CASES = _load()


def _is_answer(value: Any) -> bool:
    scalar = value is None or isinstance(value, bool | int | float | str)
    return scalar or (isinstance(value, list) and all(isinstance(item, str | int) for item in value))


def test_the_file_is_a_list_of_objects() -> None:
    assert isinstance(CASES, list) and len(CASES) >= 70
    assert all(isinstance(case, dict) for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[repr(c.get("expr")) for c in CASES])
def test_each_case_has_what_it_needs(case: dict[str, Any]) -> None:
    assert isinstance(case.get("expr"), str)
    if "error" in case:
        assert set(case) == {"expr", "error"} and case["error"] is True
        return
    assert set(case) == {"expr", "values", "current", "expect"}
    assert isinstance(case["values"], dict)
    assert all(isinstance(name, str) and _is_answer(value) for name, value in case["values"].items())
    assert _is_answer(case["current"])
    assert isinstance(case["expect"], bool | int | float | str)


def test_no_case_is_repeated() -> None:
    keys = [json.dumps(case, sort_keys=True) for case in CASES]
    assert len(keys) == len(set(keys))


def test_enough_rejections() -> None:
    assert sum(1 for case in CASES if case.get("error")) >= 10
