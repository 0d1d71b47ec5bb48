"""Keys the write path looks things up by, each stored in an indexed column so that storing a
household reads a few rows whatever its village holds (surveys/collection/quality.py):

- the household code, normalised, for the same-code duplicate look-up;
- the location's square of a fixed grid (GRID_DEGREES ≈ 55 m), for the few-metres duplicate
  look-up: the squares that cover the search box are an exact, short list of keys;
- a boundary's content fingerprint, for the geometry parsed once per process (surveys/places/geometries.py).

Pure functions, used by the models (column defaults, validators) and copied into the migration that
first filled the columns."""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any

_SEPARATORS = re.compile(r"[\s\-_./]")
MAX_KEY_LENGTH = 64
# 0.0005° is 55 m of latitude and 48–55 m of longitude over Vietnam (8°–23.4° N): larger than the
# duplicate rule's search box at its default (±16 m), so that box touches at most four squares.
GRID_DEGREES = 0.0005


def normalise_code(code: Any) -> str | None:
    """"CL-T1-017", "cl t1 017" and "CLT1017" are one household code."""
    if not isinstance(code, str):
        return None
    return _SEPARATORS.sub("", code).casefold() or None


def household_key(answers: Any) -> str | None:
    """The stored key: the normalised code, or its SHA-256 when longer than the column (a code may
    be any text of up to 2,000 characters), so equal keys still mean equal codes."""
    code = normalise_code(answers.get("household_code")) if isinstance(answers, dict) else None
    if code is not None and len(code) > MAX_KEY_LENGTH:
        return hashlib.sha256(code.encode()).hexdigest()
    return code


def household_key_default(context: Any) -> str | None:
    """The column default of Submission.household_key: from the row's own answers."""
    return household_key(context.get_current_parameters().get("answers"))


def boundary_fingerprint(boundary: dict[str, Any] | None) -> str | None:
    if not boundary:
        return None
    encoded = json.dumps(boundary, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


def grid_square(lat: float | None, lon: float | None) -> str | None:
    if lat is None or lon is None:
        return None
    return f"{math.floor(lat / GRID_DEGREES)}:{math.floor(lon / GRID_DEGREES)}"


def grid_squares(south: float, west: float, north: float, east: float) -> list[str]:
    """Every square a box touches (the box's corners in degrees), in order."""
    rows = range(math.floor(south / GRID_DEGREES), math.floor(north / GRID_DEGREES) + 1)
    columns = range(math.floor(west / GRID_DEGREES), math.floor(east / GRID_DEGREES) + 1)
    return [f"{row}:{column}" for row in rows for column in columns]


def grid_square_default(context: Any) -> str | None:
    """The column default of Submission.location_square: from the row's own position."""
    parameters = context.get_current_parameters()
    return grid_square(parameters.get("lat"), parameters.get("lon"))
