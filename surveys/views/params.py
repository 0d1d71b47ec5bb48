"""Integers from the URL and the query string, parsed in one place (surveys/parsing.py): an id
beyond the database's integers is not found (404), a malformed number is a 422, never a 500."""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.routing import IntegerConverter, Map

from surveys.errors import Problem, Text
from surveys.parsing import MAX_ID, MAX_PAGE, parse_int


def _up_to(limit: str) -> str:
    """A regex for the decimal numbers 0 … `limit` (no sign, no leading zeros beyond one digit)."""
    options = [f"[0-9]{{1,{len(limit) - 1}}}"]
    for i, digit in enumerate(limit):
        if digit != "0":
            rest = len(limit) - i - 1
            options.append(f"{limit[:i]}[0-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    options.append(limit)
    return "(?:" + "|".join(options) + ")"


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: ASCII digits, 0 … 2³¹−1 (PostgreSQL's integer); anything else
    does not match the route (404) instead of overflowing the database. The range is in the regex
    itself, so a larger number matches no rule for any method (a 404, not a 405)."""

    regex = _up_to(str(MAX_ID))

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def int_arg(name: str, default: int, *, minimum: int, maximum: int,
            message: Text | None = None) -> int:
    """A query-string integer, `default` when absent; 422 naming the parameter when malformed or
    out of range."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    value = parse_int(raw, minimum=minimum, maximum=maximum)
    if value is None:
        raise Problem("422.1", errors={name: message or Text(
            f"{name} phải là số nguyên từ {minimum} đến {maximum}.",
            f"{name} must be a whole number from {minimum} to {maximum}.")})
    return value


def page_arg(name: str = "page") -> int:
    """The page of a listing page (HTML): a bad or absent number shows the first page."""
    return parse_int(request.args.get(name, "1"), minimum=1, maximum=MAX_PAGE) or 1
