"""The one place untrusted text becomes an integer or a JSON document (no Flask here).

- `parse_int`: ASCII digits only (`"²".isdigit()` is true, yet `int("²")` fails), range-checked,
  so an id can never overflow a database integer: ids are 1 … 2³¹−1 on SQLite and PostgreSQL alike.
- `load_json`: `json.loads` with a nesting limit (a document 100,000 levels deep would otherwise
  raise RecursionError, here or in whatever walks it later). `JsonTooDeep` is a ValueError, so every
  caller that already refuses unreadable JSON refuses it too.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_ID = 2**31 - 1  # PostgreSQL's integer; ids are never larger
MAX_PAGE = 1_000_000  # page × page size stays far below any integer limit
MAX_JSON_DEPTH = 64
_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")


def parse_int(text: object, *, minimum: int, maximum: int) -> int | None:
    """The integer written in `text` (ASCII digits, an optional sign, surrounding spaces allowed)
    when it lies in minimum … maximum; None otherwise. Never raises."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        value = text
    elif isinstance(text, str) and _INTEGER.fullmatch(text.strip()):
        value = int(text.strip())
    else:
        return None
    return value if minimum <= value <= maximum else None


def parse_id(text: object) -> int | None:
    return parse_int(text, minimum=1, maximum=MAX_ID)


class JsonTooDeep(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON nested deeper than {limit} levels")
        self.limit = limit


def json_depth(document: Any) -> int:
    """How deeply arrays and objects nest (a scalar is 0); iterative, so any depth is measured."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in children if isinstance(child, dict | list))
    return deepest


def load_json(data: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse JSON; raise ValueError when it is not JSON and JsonTooDeep when it nests deeper than
    `max_depth` (both are ValueErrors)."""
    try:
        document = json.loads(data)
    except RecursionError:
        raise JsonTooDeep(max_depth) from None
    if json_depth(document) > max_depth:
        raise JsonTooDeep(max_depth)
    return document
