"""The browser's evaluator (static/js/xpath.js) over the same cases as the server's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]


def test_browser_evaluator_matches_the_shared_cases(browser_factory, server):  # type: ignore[no-untyped-def]
    driver = browser_factory()
    driver.get(f"{server.url}/login")
    driver.execute_script((ROOT / "static/js/xpath.js").read_text())
    cases = json.loads((ROOT / "tests/data/xpath_cases.json").read_text())
    results = driver.execute_script("""
        return arguments[0].map(c => {
          try { return {value: PhusongXPath.compile(c.expr).evaluate(c.values, c.current)}; }
          catch (e) { return {error: e.name}; }
        });""", cases)
    assert len(results) == len(cases) > 60
    for case, result in zip(cases, results, strict=True):
        if case.get("error"):
            assert result == {"error": "UnsupportedExpression"}, case
        else:
            assert result.get("value") == case["expect"], (case, result)
            assert isinstance(result["value"], bool) == isinstance(case["expect"], bool), case
