"""Import a province and its communes from GeoJSON files: all or nothing, errors by file.

A directory like ../shared/data/provinces/ha-tinh/: `province.geojson` (one feature) and
`communes/*.geojson` (one feature each), with the properties `code` (national code), `name`,
`fullName` and optionally `codeName`, `areaKm2`. Every file is read and checked before anything
is written; any error (which file, why) refuses the whole import.

A re-run updates by national code. An existing commune is matched by its code, else by its slug
(the file's `codeName` with `-` for `_`), and keeps its data: slug, villages, submissions and
boundary stay; it is attached to the province and takes the code and the province's name. A new
commune gets that slug and the boundary simplified to about 20 m. The boundaries' H3 cells are worked
out and stored for the map (surveys/places/boundary_cells.py). Takes a Session; never commits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shapely.geometry import MultiPolygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.errors import Problem, Text
from surveys.models import Commune, CommuneGroup, Province
from surveys.places import boundary_cells
from surveys.places.areas import find_area

SIMPLIFY_DEGREES = 0.0002  # as the demo's stored boundaries: ~20 m, topology preserved
REQUIRED = ("code", "name", "fullName")
SLUG_MAX = 64


@dataclass(frozen=True)
class Feature:
    file: str
    properties: dict[str, Any]
    geometry: BaseGeometry


@dataclass
class ImportResult:
    province: Province
    created: list[str] = field(default_factory=list)  # commune slugs
    updated: list[str] = field(default_factory=list)

    def report(self) -> str:
        return (f"Province {self.province.slug} ({self.province.name}): "
                f"{len(self.created)} communes created, {len(self.updated)} updated.")


def stored_boundary(area: BaseGeometry, simplify: float = SIMPLIFY_DEGREES) -> dict[str, Any]:
    """The GeoJSON kept on a row: simplified, rounded to 6 decimals, a MultiPolygon."""
    simple = area.simplify(simplify, preserve_topology=True) if simplify else area
    if simple.geom_type == "Polygon":
        simple = MultiPolygon([simple])

    def walk(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, 6)
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        return value

    data = mapping(simple)
    return {"type": data["type"], "coordinates": walk(data["coordinates"])}


def read_feature(path: Path, errors: dict[str, Text]) -> Feature | None:
    """The one feature of a file, checked; None (and an error under the file's name) if unusable."""
    name = path.name if path.parent.name != "communes" else f"communes/{path.name}"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        errors[name] = Text("Không đọc được tệp JSON: {e}.", "Not a readable JSON file: {e}.").format(
            e=str(error)[:200])
        return None
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(features, list) or len(features) != 1 or not isinstance(features[0], dict):
        errors[name] = Text("Cần một FeatureCollection có đúng một đối tượng.",
                            "Expected a FeatureCollection with exactly one feature.")
        return None
    properties = features[0].get("properties") or {}
    missing = [key for key in REQUIRED if not properties.get(key)]
    if missing:
        errors[name] = Text("Thiếu thuộc tính: {m}.", "Missing properties: {m}.").format(
            m=", ".join(missing))
        return None
    try:
        geometry = shape(features[0].get("geometry"))
    except (AttributeError, KeyError, TypeError, ValueError, IndexError) as error:
        errors[name] = Text("Hình học không hợp lệ: {e}.", "Invalid geometry: {e}.").format(
            e=str(error)[:200])
        return None
    if geometry.geom_type not in ("Polygon", "MultiPolygon") or geometry.is_empty:
        errors[name] = Text("Ranh giới phải là Polygon hoặc MultiPolygon.",
                            "The boundary must be a Polygon or MultiPolygon.")
        return None
    return Feature(name, {**properties, "code": str(properties["code"])}, geometry)


def commune_slug(feature: Feature) -> str:
    """`codeName` with `-` for `_` (else the file name without its code): thach_ha → thach-ha."""
    code_name = feature.properties.get("codeName") or Path(feature.file).stem.split("_", 1)[-1]
    return str(code_name).strip().lower().replace("_", "-")[:SLUG_MAX]


def read_directory(directory: Path) -> tuple[Feature, list[Feature]]:
    """Every file read and checked; a Problem naming each bad file when any is."""
    errors: dict[str, Text] = {}
    province = read_feature(directory / "province.geojson", errors) \
        if (directory / "province.geojson").is_file() else None
    if province is None and "province.geojson" not in errors:
        errors["province.geojson"] = Text("Không có tệp province.geojson.",
                                          "province.geojson is missing.")
    files = sorted((directory / "communes").glob("*.geojson"))
    if not files:
        errors["communes/"] = Text("Không có tệp communes/*.geojson.",
                                   "No communes/*.geojson files.")
    communes = [f for f in (read_feature(path, errors) for path in files) if f is not None]
    seen: dict[str, str] = {}
    for feature in communes:
        for key, value in (("code", feature.properties["code"]), ("slug", commune_slug(feature))):
            if f"{key}:{value}" in seen:
                errors[feature.file] = Text("Trùng {k} {v} với {f}.", "Same {k} {v} as {f}.").format(
                    k=key, v=value, f=seen[f"{key}:{value}"])
            seen[f"{key}:{value}"] = feature.file
    if errors:
        raise Problem("422.1", errors=errors)
    assert province is not None
    return province, communes


def import_province(session: Session, directory: Path, slug: str) -> ImportResult:
    """Create or update the province `slug` and its communes from `directory` (all or nothing)."""
    feature, features = read_directory(directory)
    code = feature.properties["code"]
    province = session.scalar(select(Province).where(Province.code == code)) or \
        session.scalar(select(Province).where(Province.slug == slug))
    errors: dict[str, Text] = {}
    other = find_area(session, slug)
    if other is not None and other.level != "province":
        errors["slug"] = Text("Mã {s} đã dùng cho một {l}.", "{s} is already the slug of a {l}.").format(
            s=slug, l=other.level)
    if province is not None and province.slug != slug:
        errors["slug"] = Text("Tỉnh mã {c} đã có với tên ngắn {s}.",
                              "The province with code {c} already exists as {s}.").format(
            c=code, s=province.slug)
    plans = _plan_communes(session, features, province, errors)
    if errors:
        raise Problem("422.1", errors=errors)
    if province is None:
        province = Province(slug=slug, name=feature.properties["fullName"], code=code)
        session.add(province)
    province.name = feature.properties["fullName"]
    province.code = code
    province.boundary = stored_boundary(feature.geometry)
    session.flush()
    result = ImportResult(province)
    communes: list[Commune] = []
    for item, commune in plans:
        if commune is None:
            commune = Commune(slug=commune_slug(item), name=item.properties["fullName"],
                              boundary=stored_boundary(item.geometry), province="")
            session.add(commune)
            result.created.append(commune.slug)
        else:
            result.updated.append(commune.slug)
            if commune.boundary is None:
                commune.boundary = stored_boundary(item.geometry)
        commune.admin_code = item.properties["code"]
        commune.province = feature.properties["name"]
        commune.parent = province
        communes.append(commune)
    session.flush()
    boundary_cells.store_communes(session, communes)
    return result


def _plan_communes(session: Session, features: list[Feature], province: Province | None,
                   errors: dict[str, Text]) -> list[tuple[Feature, Commune | None]]:
    """Each file with the commune it updates (None: a new one), or an error under its name."""
    plans: list[tuple[Feature, Commune | None]] = []
    for feature in features:
        code, slug = feature.properties["code"], commune_slug(feature)
        commune = session.scalar(select(Commune).where(Commune.admin_code == code))
        if commune is None:
            commune = session.scalar(select(Commune).where(Commune.slug == slug))
            if commune is not None and commune.admin_code not in (None, code):
                errors[feature.file] = Text(
                    "Xã {s} đã có với mã khác ({c}).",
                    "Commune {s} already exists with another code ({c}).").format(
                    s=slug, c=commune.admin_code)
                continue
            if commune is None and session.scalar(
                    select(CommuneGroup.id).where(CommuneGroup.slug == slug)) is not None:
                errors[feature.file] = Text("Mã {s} đã dùng cho một nhóm xã.",
                                            "{s} is already the slug of a group.").format(s=slug)
                continue
        if commune is not None and commune.province_id not in (None, province and province.id):
            errors[feature.file] = Text("Xã {s} thuộc tỉnh khác.",
                                        "Commune {s} belongs to another province.").format(
                s=commune.slug)
            continue
        plans.append((feature, commune))
    return plans
