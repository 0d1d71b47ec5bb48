"""A commune's villages imported from CSV or GeoJSON.

Imports are all or nothing: every row (CSV line, GeoJSON feature) is checked first and any problem
stops the whole file, reported by line or feature and column; only a clean file is stored. A row
whose slug the commune already has updates that village (a value left empty keeps the stored one);
any other row creates a village. Takes a Session; never imports Flask; never commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import shapely
from shapely.geometry import mapping, shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys import audit
from surveys.coverage.reading import MAX_FIELD_CHARS, csv_rows
from surveys.errors import Problem, Text
from surveys.models import Commune, User, Village
from surveys.parsing import load_json
from surveys.places.villages import FIELDS, parse_fields, record_change, shown_value, village_json

REQUIRED_COLUMNS = ("slug", "name")
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
    return [Issue(place, number_, column, shown_value(raw.get(column)), message)
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
            header = [cell.strip().lower().lstrip("\ufeff") for cell in cells or []]
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
            issues.append(Issue("line", line, "", shown_value(extra[0]), Text(
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
        return [], [Issue("feature", 0, "type", shown_value(document.get("type") if isinstance(
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
        return None, Issue("feature", index, "geometry", shown_value(kind), Text(
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
            record_change(session, actor, "village.create", village, None)
            result.created.append(village.slug)
        else:
            before = village_json(village)
            for name, value in given.items():
                setattr(village, name, value)
            session.flush()
            record_change(session, actor, "village.update", village, before)
            result.updated.append(village.slug)
    return result


def _record_import(session: Session, actor: User | None, commune: Commune, kind: str,
                   filename: str, result: ImportResult) -> None:
    audit.record(session, "village.import", actor=actor, commune_id=commune.id,
                 target_type="commune", target_id=commune.id,
                 details={"format": kind, "filename": filename[:200], "created": result.created,
                          "updated": result.updated, "ignored_columns": result.ignored_columns})
