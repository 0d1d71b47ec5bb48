"""The boundaries' H3 cells stored with them (boundary_cells): the map reads the same cells as it
would compute, a changed boundary never reads the old ones, and the import stores them."""

from __future__ import annotations

import json
from pathlib import Path

import h3
import pytest
from shapely.geometry import shape
from sqlalchemy import delete, func, select, update

from surveys.coverage import hexes
from surveys.coverage.spatial import BASE_RESOLUTION
from surveys.models import BoundaryCells, Commune
from surveys.places import boundary_cells
from surveys.places.province_import import import_province, stored_boundary
from tests.factories import make_commune
from tests.integration.test_map_edges import BOUNDARY

HA_TINH = Path(__file__).parents[2] / "surveys" / "data" / "provinces" / "ha-tinh"


def _real_boundary(name: str = "18739_cam_due.geojson") -> dict:
    document = json.loads((HA_TINH / "communes" / name).read_text(encoding="utf-8"))
    return stored_boundary(shape(document["features"][0]["geometry"]))


def _forbid_computing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> frozenset[str]:
        raise AssertionError("computed instead of read")

    monkeypatch.setattr(boundary_cells, "compute", refuse)


def test_the_finest_resolution_is_the_rollups_one() -> None:
    assert boundary_cells.FINEST == BASE_RESOLUTION
    assert boundary_cells.RESOLUTIONS == tuple(range(6, BASE_RESOLUTION + 1))


@pytest.mark.parametrize("boundary", [BOUNDARY, _real_boundary()], ids=["pentagon", "cam-due"])
def test_stored_cells_are_the_computed_ones(db, monkeypatch, boundary) -> None:
    commune = make_commune(db)
    commune.boundary = boundary
    db.flush()
    computed = {}
    hexes._boundary_cache.clear()
    for resolution in boundary_cells.RESOLUTIONS:
        computed[resolution] = hexes._area_cells(db, [commune], resolution)
    assert boundary_cells.store_communes(db, [commune]) == 1
    assert boundary_cells.store_communes(db, [commune]) == 0  # already there
    db.commit()
    hexes._boundary_cache.clear()  # a new process
    with monkeypatch.context() as patch:
        _forbid_computing(patch)
        for resolution in boundary_cells.RESOLUTIONS:
            assert hexes._area_cells(db, [commune], resolution) == computed[resolution]
    stored = db.scalars(select(BoundaryCells.cells).where(
        BoundaryCells.boundary_hash == commune.boundary_hash,
        BoundaryCells.resolution == BASE_RESOLUTION)).one()
    assert len(stored.split(",")) < len(computed[BASE_RESOLUTION][0])  # compacted
    hexes._boundary_cache.clear()


def test_a_changed_boundary_never_reads_the_old_cells(db, monkeypatch) -> None:
    commune = make_commune(db)
    commune.boundary = BOUNDARY
    db.flush()
    boundary_cells.store_communes(db, [commune])
    db.commit()
    old_hash = commune.boundary_hash
    hexes._boundary_cache.clear()
    before = hexes.area_cells(db, [commune], 8)

    smaller = {"type": "Polygon", "coordinates": [[
        [106.930, 16.730], [106.960, 16.734], [106.955, 16.760], [106.930, 16.730]]]}
    commune.boundary = smaller
    db.commit()  # stored without its cells (as a test or a script would): computed, not read
    assert commune.boundary_hash != old_hash
    expected = boundary_cells.compute(smaller, 8)
    villages = {h3.latlng_to_cell(v.lat, v.lon, 8) for v in commune.villages}
    assert hexes.area_cells(db, [commune], 8) == expected | villages != before

    boundary_cells.store_communes(db, [commune])  # and now stored: the old boundary's rows go
    db.commit()
    assert set(db.scalars(select(BoundaryCells.boundary_hash))) == {commune.boundary_hash}
    hexes._boundary_cache.clear()
    with monkeypatch.context() as patch:
        _forbid_computing(patch)
        assert hexes.area_cells(db, [commune], 8) == expected | villages
    hexes._boundary_cache.clear()


def test_rows_of_another_rule_are_not_read_and_are_replaced(db) -> None:
    commune = make_commune(db)
    commune.boundary = BOUNDARY
    db.flush()
    boundary_cells.store_communes(db, [commune])
    db.execute(update(BoundaryCells).values(rule=boundary_cells.RULE - 1, cells=""))
    db.commit()
    assert boundary_cells.load(db, commune.boundary_hash, 8) is None
    hexes._boundary_cache.clear()
    assert hexes.area_cells(db, [commune], 8) >= boundary_cells.compute(BOUNDARY, 8)
    assert boundary_cells.store_communes(db, [commune]) == 1
    assert boundary_cells.load(db, commune.boundary_hash, 8) is not None
    hexes._boundary_cache.clear()


def test_the_province_import_stores_every_communes_cells(db, tmp_path) -> None:
    from tests.integration.test_places_import import _small_copy

    import_province(db, _small_copy(tmp_path), "ha-tinh")
    db.commit()
    hashes = set(db.scalars(select(Commune.boundary_hash)))
    assert len(hashes) == 3
    rows = db.execute(select(BoundaryCells.boundary_hash, func.count()).group_by(
        BoundaryCells.boundary_hash)).all()
    assert dict(rows) == {h: len(boundary_cells.RESOLUTIONS) for h in hashes}
    # Without the rows the map computes the same cells.
    communes = list(db.scalars(select(Commune).order_by(Commune.id)))
    hexes._boundary_cache.clear()
    stored = hexes._area_cells(db, communes, 7)
    db.execute(delete(BoundaryCells))
    hexes._boundary_cache.clear()
    assert hexes._area_cells(db, communes, 7) == stored
    db.rollback()
    hexes._boundary_cache.clear()


def test_storing_a_boundary_again_does_not_work_its_cells_out_again(db, monkeypatch) -> None:
    """A province imported again (or into another database) reuses the cells this process already
    worked out for the same boundary: the fingerprint is a hash of its content."""
    commune = make_commune(db)
    commune.boundary = BOUNDARY
    db.flush()
    boundary_cells.store_communes(db, [commune])
    first = dict(db.execute(select(BoundaryCells.resolution, BoundaryCells.cells)).all())
    db.execute(delete(BoundaryCells))
    with monkeypatch.context() as patch:
        _forbid_computing(patch)
        assert boundary_cells.store_communes(db, [commune]) == 1
    again = dict(db.execute(select(BoundaryCells.resolution, BoundaryCells.cells)).all())
    assert again == first and sorted(again) == list(boundary_cells.RESOLUTIONS)
