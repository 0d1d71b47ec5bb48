"""A commune's villages: create and edit one, or import many from CSV or GeoJSON.

Imports are all or nothing: every row (CSV line, GeoJSON feature) is checked first and any problem
stops the whole file, reported by line or feature and column; only a clean file is stored. A row
whose slug the commune already has updates that village (a value left empty keeps the stored one);
any other row creates a village. Takes a Session; never imports Flask; never commits.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import shapely
from shapely.geometry import mapping, shape
from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from surveys import audit
from surveys.coverage.reading import MAX_FIELD_CHARS, csv_rows, is_missing, number
from surveys.errors import Problem, Text
from surveys.models import Commune, User, Village
from surveys.parsing import load_json

FIELDS = ("slug", "name", "lat", "lon", "household_count", "population", "counts_year")
REQUIRED_COLUMNS = ("slug", "name")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_NAME = 200
MIN_YEAR, MAX_YEAR = 1990, 2100
MAX_ROWS = 2000  # a commune has tens of villages; a bigger file is the wrong file
MAX_REPORTED = 200  # issues listed in a refusal; the message gives the total
POLYGONS = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class Issue:
    """One problem of an import: where (a CSV line or a GeoJSON feature), the column, why."""

    place: str  # "line" or "feature"
    number: int
    column: str
    value: str
    message: Text

    def key(self) -> str:
        where = f"{self.place} {self.number}" if self.number else "file"
        return f"{where}: {self.column}" if self.column else where

    def detail(self) -> dict[str, object]:
        where = Text(f"{_vi(self.place)} {self.number}", f"{self.place} {self.number}")
        return {self.place: self.number, "where": where if self.number else Text("tệp", "file"),
                "column": self.column, "value": self.value, "message": self.message}


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


# -- one village's fields -------------------------------------------------------------------------

def _shown(value: object) -> str:
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
                value = _float(raw[column]) if not _missing(raw[column]) else None
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
            clean[column] = _whole(None if _missing(raw[column]) else raw[column], column, errors,
                                   low=0, high=None, message=Text(
                                       "Phải là số nguyên không âm.",
                                       "Must be a whole number, zero or more."))
    if "counts_year" in raw:
        clean["counts_year"] = _whole(
            None if _missing(raw["counts_year"]) else raw["counts_year"], "counts_year", errors,
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


def _missing(value: object) -> bool:
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


def _record(session: Session, actor: User | None, action: str, village: Village,
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
    _record(session, actor, "village.create", village, None)
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
    _record(session, actor, "village.update", village, before)
    return village


# -- imports --------------------------------------------------------------------------------------

def _refuse(issues: list[Issue]) -> Problem:
    shown = issues[:MAX_REPORTED]
    return Problem(
        "422.1",
        message=Text("Chưa nhập gì: tệp có {n} lỗi. Hãy sửa rồi tải lên lại.",
                     "Nothing was imported: the file has {n} problems; fix them and upload it "
                     "again.").format(n=len(issues)),
        errors={issue.key(): issue.message for issue in shown},
        details=[issue.detail() for issue in shown])


def _row_issues(place: str, number_: int, raw: Mapping[str, object],
                errors: Mapping[str, Text]) -> list[Issue]:
    return [Issue(place, number_, column, _shown(raw.get(column)), message)
            for column, message in errors.items()]


def _duplicate(place: str, number_: int, slug: str, seen: dict[str, int]) -> Issue | None:
    if slug in seen:
        return Issue(place, number_, "slug", slug, Text(
            f"Mã thôn {slug} lặp lại ({_vi(place)} {seen[slug]} đã có).",
            f"slug {slug} repeats {place} {seen[slug]}."))
    seen[slug] = number_
    return None


def _vi(place: str) -> str:
    return "dòng" if place == "line" else "đối tượng"


def read_csv(stream: BinaryIO) -> tuple[list[tuple[int, dict[str, str]]], list[str], list[Issue]]:
    """(line, {column: cell}) rows, the ignored columns, and the issues of the header and shape."""
    rows: list[tuple[int, dict[str, str]]] = []
    issues: list[Issue] = []
    header: list[str] = []
    for line, cells in csv_rows(stream):
        if line == 1:
            header = [cell.strip().lower().lstrip("\ufeff") for cell in cells]
            continue
        if cells is None:
            issues.append(Issue("line", line, "", "", Text(
                f"Dòng không đọc được (một ô dài quá {MAX_FIELD_CHARS} ký tự hoặc thiếu dấu \" đóng).",
                f"Unreadable line (a cell over {MAX_FIELD_CHARS} characters, or a quote never "
                "closed).")))
            continue
        if len(rows) >= MAX_ROWS:
            issues.append(Issue("line", line, "", "", Text(
                f"Tệp có hơn {MAX_ROWS} thôn.", f"The file has more than {MAX_ROWS} villages.")))
            break
        extra = [c for c in cells[len(header):] if c.strip()]
        if extra:
            issues.append(Issue("line", line, "", _shown(extra[0]), Text(
                "Dòng có nhiều ô hơn số cột ở dòng tiêu đề.",
                "The line has more cells than the header has columns.")))
        rows.append((line, {name: (cells[i] if i < len(cells) else "")
                            for i, name in enumerate(header) if name in FIELDS}))
    if not header:
        issues.insert(0, Issue("line", 1, "", "", Text("Tệp trống.", "The file is empty.")))
    for column in REQUIRED_COLUMNS:
        if header and column not in header:
            issues.insert(0, Issue("line", 1, column, "", Text(
                f"Thiếu cột {column} ở dòng tiêu đề.", f"The header has no {column} column.")))
    for name in {n for n in header if header.count(n) > 1 and n in FIELDS}:
        issues.insert(0, Issue("line", 1, name, name, Text(
            "Cột này xuất hiện hai lần.", "This column appears twice.")))
    ignored = [name for name in header if name not in FIELDS]
    return rows, ignored, issues


def import_csv(session: Session, commune: Commune, stream: BinaryIO, *,
               actor: User | None, filename: str = "") -> ImportResult:
    """Columns slug,name,lat,lon,household_count,population,counts_year (slug and name required;
    others optional); UTF-8 with or without BOM, comma or semicolon separated, decimal commas."""
    rows, ignored, issues = read_csv(stream)
    parsed: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    seen: dict[str, int] = {}
    if not any(i.number == 1 for i in issues):
        for line, raw in rows:
            clean, errors = parse_fields(raw)
            issues += _row_issues("line", line, raw, errors)
            if "slug" not in errors and (dup := _duplicate("line", line, clean["slug"], seen)):
                issues.append(dup)
            parsed.append((clean, None))
    if issues:
        raise _refuse(issues)
    result = _apply(session, commune, parsed, actor=actor)
    result.ignored_columns = ignored
    _record_import(session, actor, commune, "csv", filename, result)
    return result


def import_geojson(session: Session, commune: Commune, data: bytes, *,
                   actor: User | None, filename: str = "") -> ImportResult:
    """A FeatureCollection of Polygon or MultiPolygon villages with the CSV's columns as
    properties; without lat/lon the centroid of the boundary (a point inside it when the centroid
    falls outside, as for a crescent-shaped village) becomes the village's position."""
    features, issues = _features(data)
    parsed: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    seen: dict[str, int] = {}
    ignored: set[str] = set()
    for index, feature in enumerate(features, start=1):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(properties, dict):
            issues.append(Issue("feature", index, "properties", "", Text(
                "Đối tượng không có properties.", "The feature has no properties object.")))
            continue
        ignored |= set(properties) - set(FIELDS)
        raw = {name: properties.get(name) for name in FIELDS if name in properties}
        for column in REQUIRED_COLUMNS:
            raw.setdefault(column, None)
        clean, errors = parse_fields(raw)
        row_issues = _row_issues("feature", index, raw, errors)
        boundary, geometry_issue = _boundary(index, feature.get("geometry"))
        if geometry_issue is not None:
            row_issues.append(geometry_issue)
        elif boundary is not None and clean.get("lat") is None and clean.get("lon") is None \
                and not {"lat", "lon"} & set(errors):
            area = shape(boundary)
            point = area.centroid if area.contains(area.centroid) else area.representative_point()
            clean["lat"], clean["lon"] = round(point.y, 6), round(point.x, 6)
        if "slug" not in errors and (dup := _duplicate("feature", index, clean["slug"], seen)):
            row_issues.append(dup)
        issues += row_issues
        parsed.append((clean, boundary))
    if issues:
        raise _refuse(issues)
    result = _apply(session, commune, parsed, actor=actor)
    result.ignored_columns = sorted(ignored)
    _record_import(session, actor, commune, "geojson", filename, result)
    return result


def _features(data: bytes) -> tuple[list[Any], list[Issue]]:
    try:
        document = load_json(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        return [], [Issue("feature", 0, "", "", Text(
            f"Không đọc được GeoJSON: {error}", f"Not readable as GeoJSON: {error}"))]
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection" \
            or not isinstance(document.get("features"), list):
        return [], [Issue("feature", 0, "type", _shown(document.get("type") if isinstance(
            document, dict) else type(document).__name__), Text(
            "Tệp phải là một FeatureCollection có danh sách features.",
            "The file must be a FeatureCollection with a features list."))]
    features = document["features"]
    if not features:
        return [], [Issue("feature", 0, "features", "", Text(
            "FeatureCollection không có đối tượng nào.", "The FeatureCollection has no features."))]
    if len(features) > MAX_ROWS:
        return [], [Issue("feature", MAX_ROWS + 1, "", "", Text(
            f"Tệp có hơn {MAX_ROWS} thôn.", f"The file has more than {MAX_ROWS} villages."))]
    return features, []


def _boundary(index: int, geometry: object) -> tuple[dict[str, Any] | None, Issue | None]:
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in POLYGONS:
        return None, Issue("feature", index, "geometry", _shown(kind), Text(
            "Ranh giới thôn phải là Polygon hoặc MultiPolygon.",
            "The geometry must be a Polygon or a MultiPolygon."))
    try:
        area = shape(geometry)
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.ShapelyError):
        return None, Issue("feature", index, "geometry", kind, Text(
            "Toạ độ của ranh giới không đọc được.", "The geometry's coordinates are malformed."))
    if area.is_empty:
        return None, Issue("feature", index, "geometry", kind, Text(
            "Ranh giới trống.", "The geometry is empty."))
    west, south, east, north = area.bounds
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        return None, Issue("feature", index, "geometry", kind, Text(
            "Toạ độ phải là kinh độ, vĩ độ (WGS 84).",
            "Coordinates must be longitude, latitude (WGS 84)."))
    if not area.is_valid:
        reason = shapely.is_valid_reason(area)
        return None, Issue("feature", index, "geometry", kind, Text(
            f"Ranh giới không hợp lệ: {reason}.", f"The geometry is not valid: {reason}."))
    return json.loads(json.dumps(mapping(area))), None


def _apply(session: Session, commune: Commune,
           rows: Iterable[tuple[dict[str, Any], dict[str, Any] | None]], *,
           actor: User | None) -> ImportResult:
    existing = {v.slug: v for v in session.scalars(
        select(Village).where(Village.commune_id == commune.id))}
    result = ImportResult()
    for clean, boundary in rows:
        given = {k: v for k, v in clean.items() if v is not None}
        if boundary is not None:
            given["boundary"] = boundary
        village = existing.get(clean["slug"])
        if village is None:
            village = Village(commune_id=commune.id, **given)
            session.add(village)
            session.flush()
            _record(session, actor, "village.create", village, None)
            result.created.append(village.slug)
        else:
            before = village_json(village)
            for name, value in given.items():
                setattr(village, name, value)
            session.flush()
            _record(session, actor, "village.update", village, before)
            result.updated.append(village.slug)
    return result


def _record_import(session: Session, actor: User | None, commune: Commune, kind: str,
                   filename: str, result: ImportResult) -> None:
    audit.record(session, "village.import", actor=actor, commune_id=commune.id,
                 target_type="commune", target_id=commune.id,
                 details={"format": kind, "filename": filename[:200], "created": result.created,
                          "updated": result.updated, "ignored_columns": result.ignored_columns})
