"""The browser's evaluator (static/js/xpath.js) over the same cases as the server's
(surveys/definitions/xpath.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "data" / "xpath_cases.json"
SCRIPT = ROOT / "static" / "js" / "xpath.js"


def test_browser_evaluator_matches_the_shared_cases(browser, server):
    if not CASES.exists():
        pytest.skip(f"{CASES.relative_to(ROOT)} is missing (written with surveys/definitions/xpath.py)")
    cases = json.loads(CASES.read_text(encoding="utf-8"))
    browser.get(f"{server.url}/login")  # any page of ours: a real document, the app's origin
    browser.execute_script(SCRIPT.read_text(encoding="utf-8"))
    results = browser.execute_script("""
        return arguments[0].map(c => {
          try { return {value: PhusongXPath.compile(c.expr).evaluate(c.values || {}, c.current)}; }
          catch (e) { return {error: e.name, message: String(e.message)}; }
        });""", cases)
    assert len(results) == len(cases) > 60
    wrong = []
    for case, result in zip(cases, results, strict=True):
        if case.get("error"):
            ok = result.get("error") == "UnsupportedExpression" and bool(result.get("message"))
        else:
            value = result.get("value")
            # Exactly: True is not 1 and 0 is not False here.
            ok = "value" in result and value == case["expect"] and (
                isinstance(value, bool) == isinstance(case["expect"], bool))
        if not ok:
            wrong.append((case, result))
    assert not wrong, "\n".join(f"{c} -> {r}" for c, r in wrong)
