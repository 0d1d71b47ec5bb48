"""Documentation promises: every API route is in the OpenAPI document; the README shows setup."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "{" + ("id" if m.group(1).endswith("_id")
                                                         else m.group(1)) + "}", rule)


def test_every_api_route_is_described(app, client) -> None:
    document = client.get("/api/v1/openapi.json").json
    described = {(path, method.upper()) for path, item in document["paths"].items()
                 for method in item}
    routes = {(_openapi_path(rule.rule), method) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/") for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes - described == set()


def test_readme_starts_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_screen = "\n".join(readme.splitlines()[:40])
    assert "make run" in first_screen and "make test" in first_screen
