"""places import-province: a province and its communes from GeoJSON, all or nothing, errors by
file, idempotent; existing communes (matched by code or slug) keep their data; groups."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from surveys.errors import Problem
from surveys.models import Commune, CommuneGroup, Province, Village
from surveys.places.areas import area_json, communes_of, find_area
from surveys.places.groups import define_group
from surveys.places.province_import import import_province
from tests.factories import make_commune

HA_TINH = Path(__file__).parents[2] / "surveys" / "data" / "provinces" / "ha-tinh"


def _small_copy(tmp_path: Path, files: tuple[str, ...] = (
        "18739_cam_due.geojson", "18673_cam_xuyen.geojson", "18562_thach_ha.geojson")) -> Path:
    target = tmp_path / "ha-tinh"
    (target / "communes").mkdir(parents=True)
    shutil.copy(HA_TINH / "province.geojson", target)
    for name in files:
        shutil.copy(HA_TINH / "communes" / name, target / "communes")
    return target


def test_the_whole_province_imports_and_a_rerun_changes_nothing(runner, db) -> None:
    first = runner.invoke(args=["places", "import-province", str(HA_TINH), "--slug", "ha-tinh"])
    assert first.exit_code == 0, first.output
    assert "69 communes created, 0 updated" in first.output
    second = runner.invoke(args=["places", "import-province", str(HA_TINH), "--slug", "ha-tinh"])
    assert "0 communes created, 69 updated" in second.output
    province = db.scalar(select(Province))
    assert (province.slug, province.name, province.code) == ("ha-tinh", "Tỉnh Hà Tĩnh", "42")
    assert db.scalar(select(func.count()).select_from(Commune)) == 69
    due = db.scalar(select(Commune).where(Commune.admin_code == "18739"))
    assert (due.slug, due.name, due.province, due.parent) == (
        "cam-due", "Xã Cẩm Duệ", "Hà Tĩnh", province)
    assert db.scalar(select(Commune.slug).where(Commune.admin_code == "18196")) == "son-kim-1"
    assert due.boundary["type"] == "MultiPolygon"


def test_existing_communes_attach_by_code_or_slug_and_keep_their_data(db, tmp_path) -> None:
    by_slug = make_commune(db, "cam-due", name="Xã Cẩm Duệ (demo)", province="Hà Tĩnh")
    by_code = make_commune(db, "cam-xuyen-cu", name="Cẩm Xuyên", province="Hà Tĩnh")
    by_code.admin_code = "18673"
    by_code.boundary = {"type": "MultiPolygon", "coordinates": [[[[1, 1], [2, 1], [2, 2], [1, 1]]]]}
    db.commit()
    result = import_province(db, _small_copy(tmp_path), "ha-tinh")
    db.commit()
    assert sorted(result.created) == ["thach-ha"] and sorted(result.updated) == [
        "cam-due", "cam-xuyen-cu"]
    assert db.scalar(select(func.count()).select_from(Commune)) == 3
    db.refresh(by_slug)
    db.refresh(by_code)
    assert (by_slug.admin_code, by_slug.name, len(by_slug.villages)) == ("18739", "Xã Cẩm Duệ (demo)", 2)
    assert by_code.boundary["coordinates"] == [[[[1, 1], [2, 1], [2, 2], [1, 1]]]]  # kept
    assert by_slug.parent is by_code.parent is not None
    assert db.scalar(select(func.count()).select_from(Village)) == 4


def test_bad_files_refuse_the_whole_import_and_say_which_and_why(db, tmp_path) -> None:
    directory = _small_copy(tmp_path)
    (directory / "communes" / "99999_hong.geojson").write_text("{not json", encoding="utf-8")
    broken = json.loads((directory / "communes" / "18562_thach_ha.geojson").read_text())
    del broken["features"][0]["properties"]["code"]
    (directory / "communes" / "18562_thach_ha.geojson").write_text(json.dumps(broken))
    with pytest.raises(Problem) as caught:
        import_province(db, directory, "ha-tinh")
    errors = {field: text.en for field, text in caught.value.errors.items()}
    assert set(errors) == {"communes/99999_hong.geojson", "communes/18562_thach_ha.geojson"}
    assert "JSON" in errors["communes/99999_hong.geojson"]
    assert "code" in errors["communes/18562_thach_ha.geojson"]
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Province)) == 0
    assert db.scalar(select(func.count()).select_from(Commune)) == 0


def test_the_command_reports_errors_by_file(runner, tmp_path) -> None:
    directory = _small_copy(tmp_path)
    (directory / "province.geojson").unlink()
    result = runner.invoke(args=["places", "import-province", str(directory), "--slug", "ha-tinh"])
    assert result.exit_code != 0 and "province.geojson: province.geojson is missing" in result.output


def test_a_group_of_communes_and_the_areas_it_resolves(db, tmp_path) -> None:
    import_province(db, _small_copy(tmp_path), "ha-tinh")
    province = db.scalar(select(Province))
    group = define_group(db, "cam-xuyen-district", "Huyện Cẩm Xuyên (cũ)", ["cam-xuyen", "cam-due"],
                         province=province)
    db.commit()
    assert [c.slug for c in group.communes] == ["cam-due", "cam-xuyen"]
    assert group.boundary is not None and group.boundary["type"] == "MultiPolygon"
    area = find_area(db, "cam-xuyen-district")
    assert area is not None and area.level == "group"
    assert [c.slug for c in communes_of(db, area)] == ["cam-due", "cam-xuyen"]
    document = area_json(db, find_area(db, "ha-tinh"))  # type: ignore[arg-type]
    assert (document["level"], document["code"], document["parent"]) == ("province", "42", None)
    assert [c["slug"] for c in document["children"]] == [
        "cam-xuyen-district", "cam-due", "cam-xuyen", "thach-ha"]
    assert area_json(db, find_area(db, "cam-due"))["parent"] == "ha-tinh"  # type: ignore[arg-type]
    with pytest.raises(Problem):
        define_group(db, "ha-tinh", "Trùng", ["cam-due"])
    with pytest.raises(Problem):
        define_group(db, "nhom", "Nhóm", ["nowhere"])
    assert find_area(db, "nowhere") is None
    assert db.scalar(select(func.count()).select_from(CommuneGroup)) == 1
