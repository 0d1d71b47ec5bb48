"""A commune's villages: their fields, checked the same way for one village and for an import,
and the create and edit of one village (imports: surveys/places/village_imports.py). Takes a
Session; never imports Flask; never commits.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from surveys import audit
from surveys.coverage.reading import is_missing, number
from surveys.errors import Problem, Text
from surveys.models import Commune, User, Village

FIELDS = ("slug", "name", "lat", "lon", "household_count", "population", "counts_year")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_NAME = 200
MIN_YEAR, MAX_YEAR = 1990, 2100




# -- one village's fields -------------------------------------------------------------------------

def shown_value(value: object) -> str:
    return "" if value is None else str(value)[:200]


def _float(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("a boolean")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return number(value)
    raise ValueError("not a number")


def _whole(value: object, column: str, errors: dict[str, Text], *, low: int, high: int | None,
           message: Text) -> int | None:
    try:
        result = _float(value)
    except ValueError:
        errors[column] = message
        return None
    if result is None:
        return None
    if result != int(result) or result < low or (high is not None and result > high):
        errors[column] = message
        return None
    return int(result)


def parse_fields(raw: Mapping[str, object]) -> tuple[dict[str, Any], dict[str, Text]]:
    """The fields `raw` gives (None for an empty one), cleaned, and the errors by column."""
    errors: dict[str, Text] = {}
    clean: dict[str, Any] = {}
    if "slug" in raw:
        slug = "" if raw["slug"] is None else str(raw["slug"]).strip().lower()
        if not SLUG.match(slug):
            errors["slug"] = Text("Mã thôn gồm 1–64 ký tự: chữ thường không dấu, số và dấu -.",
                                  "slug: 1–64 characters of lower-case letters, digits and -.")
        clean["slug"] = slug
    if "name" in raw:
        name = "" if raw["name"] is None else str(raw["name"]).strip()
        if not name or len(name) > MAX_NAME:
            errors["name"] = Text(f"Cần tên thôn (tối đa {MAX_NAME} ký tự).",
                                  f"name is required (at most {MAX_NAME} characters).")
        clean["name"] = name
    for column, limit in (("lat", 90), ("lon", 180)):
        if column in raw:
            try:
                value = _float(raw[column]) if not is_blank(raw[column]) else None
            except ValueError:
                errors[column] = Text("Không phải là số.", "Not a number.")
                continue
            if value is not None and not -limit <= value <= limit:
                errors[column] = Text(f"Phải trong khoảng −{limit} đến {limit} độ.",
                                      f"Must be between -{limit} and {limit} degrees.")
            clean[column] = value
    if ("lat" in clean) and ("lon" in clean) and (clean["lat"] is None) != (clean["lon"] is None) \
            and not {"lat", "lon"} & set(errors):
        column = "lon" if clean["lon"] is None else "lat"
        errors[column] = Text("Vĩ độ và kinh độ đi cùng nhau: cần cả hai hoặc không có cả hai.",
                              "lat and lon go together: give both or neither.")
    for column in ("household_count", "population"):
        if column in raw:
            clean[column] = _whole(None if is_blank(raw[column]) else raw[column], column, errors,
                                   low=0, high=None, message=Text(
                                       "Phải là số nguyên không âm.",
                                       "Must be a whole number, zero or more."))
    if "counts_year" in raw:
        clean["counts_year"] = _whole(
            None if is_blank(raw["counts_year"]) else raw["counts_year"], "counts_year", errors,
            low=MIN_YEAR, high=MAX_YEAR, message=Text(
                f"Năm số liệu phải là năm từ {MIN_YEAR} đến {MAX_YEAR}.",
                f"counts_year must be a year between {MIN_YEAR} and {MAX_YEAR}."))
    counts_given = any(clean.get(c) is not None for c in ("household_count", "population"))
    if counts_given and clean.get("counts_year") is None and "counts_year" not in errors:
        errors["counts_year"] = Text("Số hộ và số dân cần năm mà số liệu đó thuộc về.",
                                     "Household and population counts need the year they refer to.")
    households, population = clean.get("household_count"), clean.get("population")
    if households is not None and population is not None and population < households:
        errors["population"] = Text("Số dân không thể ít hơn số hộ.",
                                    "population cannot be smaller than household_count.")
    return clean, errors


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and is_missing(value))


def village_json(village: Village) -> dict[str, Any]:
    """What the audit log keeps of a village; the boundary by its fingerprint only."""
    boundary = village.boundary
    digest = (hashlib.sha256(json.dumps(boundary, sort_keys=True).encode()).hexdigest()[:16]
              if boundary else None)
    return {"id": village.id, "slug": village.slug, "name": village.name, "lat": village.lat,
            "lon": village.lon, "household_count": village.household_count,
            "population": village.population, "counts_year": village.counts_year,
            "boundary_sha256": digest}


def record_change(session: Session, actor: User | None, action: str, village: Village,
            before: dict[str, Any] | None) -> None:
    details: dict[str, Any] = {"after": village_json(village)}
    if before is not None:
        details["before"] = before
    audit.record(session, action, actor=actor, commune_id=village.commune_id,
                 target_type="village", target_id=village.id, details=details)


def commune_village(session: Session, commune: Commune, village_id: int) -> Village:
    village = session.get(Village, village_id)
    if village is None or village.commune_id != commune.id:
        raise Problem("404.1")
    return village


def villages_of(session: Session, commune_id: int, *, with_boundary: bool = False) -> list[Village]:
    """The commune's villages by name; `with_boundary` loads the (deferred) boundaries in the same
    query, for a page that shows which villages have one."""
    query = select(Village).where(Village.commune_id == commune_id).order_by(Village.name, Village.id)
    if with_boundary:
        query = query.options(undefer(Village.boundary))
    return list(session.scalars(query))


def create_village(session: Session, commune: Commune, raw: Mapping[str, object], *,
                   actor: User | None) -> Village:
    clean, errors = parse_fields({name: raw.get(name) for name in FIELDS})
    if "slug" not in errors and session.scalar(select(Village.id).where(
            Village.commune_id == commune.id, Village.slug == clean["slug"])) is not None:
        errors["slug"] = Text("Xã đã có thôn với mã này.", "The commune already has this slug.")
    if errors:
        raise Problem("422.1", errors=errors)
    village = Village(commune_id=commune.id, **clean)
    session.add(village)
    session.flush()
    record_change(session, actor, "village.create", village, None)
    return village


def update_village(session: Session, village: Village, raw: Mapping[str, object], *,
                   actor: User | None) -> Village:
    """Set every field but the slug (offline phones and the API know villages by it)."""
    clean, errors = parse_fields({name: raw.get(name) for name in FIELDS if name != "slug"})
    if errors:
        raise Problem("422.1", errors=errors)
    before = village_json(village)
    for name, value in clean.items():
        setattr(village, name, value)
    session.flush()
    record_change(session, actor, "village.update", village, before)
    return village


# -- imports --------------------------------------------------------------------------------------
