"""A boundary's H3 cells at every map resolution, worked out once when the boundary is stored and
kept in `boundary_cells`, so that a new process's first map reads them instead of computing them
(seconds for a province's 69 communes: H3's "overlap" containment over detailed boundaries).

The cells of a boundary at resolution r are those that overlap it (a cell belongs when any part of
it lies inside, so nothing near the edge is lost) and, below the finest resolution, the parents of
the finest cells that overlap it: a measurement is rolled up into its finest cell's parent, which
near the edge may be the neighbour of the cell its point lies in (H3's children are not nested
exactly). The coverage map (surveys/coverage/hexes.py) reads them through `load`, and computes
them with `compute` for a boundary not stored (a row of another `RULE` is never read).

Rows are keyed by the boundary's fingerprint (`Commune.boundary_hash`): a boundary that changes is
a new key, so a row can only ever describe the boundary it is read for; `store` also deletes the
rows no commune's boundary uses any more. The cells are stored in H3's compacted form (a parent
stands for all seven children): a province's 370,000 cells at resolution 10 take 40,000.
Takes a Session; never commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import h3
import h3.api.numpy_int as h3_numpy
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from surveys.db import conflict_insert
from surveys.models import BoundaryCells, Commune

FINEST = 10  # the finest map resolution, at which measurements are rolled up (coverage.spatial)
RESOLUTIONS = (6, 7, 8, 9, 10)  # the map's resolutions, province to street
RULE = 1  # bump when `compute` changes: rows of another rule are recomputed by `store`


def compute(boundary: Mapping[str, Any], resolution: int,
            finest: Iterable[str] | None = None) -> frozenset[str]:
    """The cells of a GeoJSON (Multi)Polygon at `resolution` (`finest`: its cells at FINEST, when
    already known)."""
    shape = h3.geo_to_h3shape(boundary)
    cells = set(h3.h3shape_to_cells_experimental(shape, resolution, contain="overlap"))
    if resolution < FINEST:
        if finest is None:
            finest = compute(boundary, FINEST)
        cells.update(h3.cell_to_parent(c, resolution) for c in finest)
    return frozenset(cells)


def compute_all(boundary: Mapping[str, Any]) -> dict[int, frozenset[str]]:
    """The cells at every map resolution (the finest once, serving every coarser one)."""
    finest = compute(boundary, FINEST)
    return {r: finest if r == FINEST else compute(boundary, r, finest) for r in RESOLUTIONS}


def encode(cells: Iterable[str]) -> str:
    return ",".join(sorted(h3.compact_cells(list(cells))))


def decode(text: str) -> list[str]:
    """The compacted cells of a row (expand them with `h3.uncompact_cells`)."""
    return text.split(",") if text else []


def uncompact(compacted: list[str], resolution: int) -> frozenset[str]:
    """The cells at `resolution` that compacted cells stand for. As H3's own `uncompact_cells`,
    at half its cost: the cells are expanded as one array of integers and formatted at once (the
    string API converts them one by one), 0.1 s for a province's 370,000 cells."""
    expanded = h3_numpy.uncompact_cells([h3.str_to_int(c) for c in compacted], resolution)
    return frozenset(map("{:x}".format, expanded.tolist()))


def load(session: Session, boundary_hash: str, resolution: int) -> list[str] | None:
    """The stored cells of a boundary at `resolution` in compacted form; None when not stored."""
    text = session.scalar(select(BoundaryCells.cells).where(
        BoundaryCells.boundary_hash == boundary_hash, BoundaryCells.resolution == resolution,
        BoundaryCells.rule == RULE))
    return None if text is None else decode(text)


def load_many(session: Session, boundary_hashes: Iterable[str], resolution: int
              ) -> dict[str, list[str]]:
    """`load` for many boundaries at once: fingerprint → compacted cells, for those stored."""
    table = BoundaryCells.__table__
    found: dict[str, list[str]] = {}
    for chunk in _chunks(sorted(set(boundary_hashes)), 500):
        for fingerprint, text in session.execute(select(table.c.boundary_hash, table.c.cells).where(
                table.c.boundary_hash.in_(chunk), table.c.resolution == resolution,
                table.c.rule == RULE)):
            found[fingerprint] = decode(text)
    return found


def store(session: Session, boundaries: Iterable[tuple[str, Mapping[str, Any]]]) -> int:
    """Work out and keep the cells of the (fingerprint, boundary) pairs not yet stored under this
    RULE at every resolution; drop the rows of boundaries no commune has any more. Returns the
    number of boundaries computed."""
    wanted = {fingerprint: boundary for fingerprint, boundary in boundaries if boundary}
    table = BoundaryCells.__table__
    done: dict[str, int] = {}
    for chunk in _chunks(sorted(wanted), 500):
        for fingerprint, _resolution in session.execute(
                select(table.c.boundary_hash, table.c.resolution).where(
                    table.c.boundary_hash.in_(chunk), table.c.rule == RULE)):
            done[fingerprint] = done.get(fingerprint, 0) + 1
    todo = [f for f in sorted(wanted) if done.get(f, 0) < len(RESOLUTIONS)]
    for fingerprint in todo:
        session.execute(delete(BoundaryCells).where(BoundaryCells.boundary_hash == fingerprint))
        rows = [{"boundary_hash": fingerprint, "resolution": resolution, "rule": RULE,
                 "cells": text}
                for resolution, text in _encoded(fingerprint, wanted[fingerprint]).items()]
        # A concurrent store of the same boundary wrote the same rows: keep theirs.
        session.execute(conflict_insert(session, table).values(rows).on_conflict_do_nothing())
    used = select(Commune.boundary_hash).where(Commune.boundary_hash.is_not(None))
    session.execute(delete(BoundaryCells).where(BoundaryCells.boundary_hash.not_in(used)))
    return len(todo)


ENCODED_KEPT = 256  # boundaries whose encoded cells this process keeps (Hà Tĩnh's 69: ~650 KB)
_encoded_cache: dict[str, dict[int, str]] = {}


def _encoded(fingerprint: str, boundary: Mapping[str, Any]) -> dict[int, str]:
    """The stored form of a boundary's cells at every resolution, kept by fingerprint (a content
    hash, so the same boundary gives the same cells): importing a province again, or into another
    database, does not work them out again (0.1 s a commune)."""
    found = _encoded_cache.get(fingerprint)
    if found is None:
        found = {resolution: encode(cells) for resolution, cells in compute_all(boundary).items()}
        while len(_encoded_cache) >= ENCODED_KEPT:
            _encoded_cache.pop(next(iter(_encoded_cache)))  # the oldest first
        _encoded_cache[fingerprint] = found
    return found


def store_communes(session: Session, communes: Iterable[Commune]) -> int:
    """`store` for the communes' current boundaries (call it after the flush that saves them)."""
    return store(session, ((c.boundary_hash, c.boundary) for c in communes
                           if c.boundary_hash is not None and c.boundary))


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
