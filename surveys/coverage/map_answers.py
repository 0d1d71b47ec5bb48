"""The hexes API's whole answers (GeoJSON bytes and their ETag), kept in this process while what
they are made of is unchanged: tiles worked out on the first request rather than ahead of it.

A whole commune at resolution 10 is ~5,500 cells: 40–60 ms to read and build on the full-size
benchmark (docs/scaling.md), 230–370 ms with a period whose cells have other months too; and most
requests ask what an earlier one asked (a commune's staff and council opening the same map). An
answer is made of, and kept with the stamp of:
- the partners' measurements: the coverage version (surveys/coverage/versions.py), new with every
  import, delete or refill of the cells' totals, month totals and summaries;
- the households per cell: each commune's rollup version (surveys/indicators/rollups.py
  `bump_versions`, new with every stored, reviewed, corrected or erased household and every
  rebuild; a commune that never had one has none, which is part of the stamp like any value);
- the places: each commune's boundary fingerprint (its stored cells are keyed by it) and checksums
  of its villages' ids and positions (summed by the database: `_VILLAGE_SUMS`);
- the request: the communes, the resolution, the filters, `min_households` and the head.

- The stamp is read before the answer is built: a write committed in between is in the answer
  and its stamp differs next time, so what is kept is never older than its stamp says.
- Not kept: windows (`bbox`: 5–11 ms to build, and keys without bound); answers made where the
  coverage version has no row (rows written by other means than the writers) or a commune has a
  boundary without fingerprint.
- Kept as bytes, which Python's cyclic collector never walks (dicts would slow every full
  collection of the process: surveys/coverage/collector.py); per engine (one database), at most
  LIMIT_BYTES, the least recently used dropped first, an answer over a quarter of it never kept;
  a lock makes it safe for gunicorn's threads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, cast, func, select
from sqlalchemy.orm import Session

from surveys.coverage import kept_reads, versions
from surveys.coverage.geojson import encode, hexes_body
from surveys.coverage.hexes import Bbox, area_hexes
from surveys.coverage.kept import Kept
from surveys.indicators import summary_cache
from surveys.models import Commune, Village

LIMIT_BYTES = 64 * 2**20  # per database and process: ~20 whole communes at r10 (2.8 MB each)
_CHUNK = 500
_KEPT: Kept[tuple[bytes, str]] = Kept()  # body, ETag


def etag_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


def hexes_answer(session: Session, communes: Sequence[Commune], head: dict[str, Any], *,
                 resolution: int, technology: str | None = None, operator: str | None = None,
                 first_period: str | None = None, last_period: str | None = None,
                 min_households: int = 1, bbox: Bbox | None = None) -> tuple[bytes, str]:
    """The body `hexes_body(head, area_hexes(...))` and its ETag, from what this process kept
    where the stamp is unchanged."""
    stamp = _stamp(session, communes) if bbox is None else None
    key = (tuple(c.id for c in communes), resolution, technology, operator, first_period,
           last_period, min_households, encode(head))
    engine = session.get_bind()
    if stamp is not None:
        found = _KEPT.get(engine, key, stamp)
        if found is not None:
            return found
    cells = area_hexes(session, communes, resolution=resolution, technology=technology,
                       operator=operator, first_period=first_period, last_period=last_period,
                       min_households=min_households, bbox=bbox)
    body = hexes_body(head, cells)
    etag = etag_of(body)
    if stamp is not None:
        _KEPT.put(engine, key, stamp, (body, etag), len(body), LIMIT_BYTES)
    return body, etag


def _stamp(session: Session, communes: Sequence[Commune]) -> tuple[Any, ...] | None:
    """What the answer is made of, as versions and digests (the module's docstring); None:
    not to be kept."""
    coverage = versions.current(session.connection())
    if coverage is None or any(c.boundary_hash is None and c.boundary for c in communes):
        return None
    ids = [c.id for c in communes]
    rollup = summary_cache.versions(session, ids)
    ordered = sorted(set(ids))
    villages = tuple(tuple(session.execute(select(*_VILLAGE_SUMS).where(
        Village.commune_id.in_(ordered[start:start + _CHUNK]))).one())
        for start in range(0, len(ordered), _CHUNK))
    return (coverage, tuple((c.id, rollup.get(c.id), c.boundary_hash) for c in communes),
            villages)


def _position_sum(column: Any, prime: int) -> Any:
    """Σ (id mod prime + 1) × the coordinate in units of 1e-7° (a missing one as 999°): any
    village moved by more than ~1 cm, emptied or set changes it (weighted by id, so two villages
    swapping places do too); integers, so the same rows always give the same sum. Small enough
    for SQLite's 64-bit SUM, which fails on overflow: at most 999e7 × 103 ≈ 1e12 a village, so
    millions of villages in one chunk of communes."""
    units = cast(func.round(func.coalesce(column, 999.0) * 1e7), BigInteger)
    return func.coalesce(func.sum((Village.id % prime + 1) * units), 0)


# What the villages' cells depend on, summed by the database (a province's 2,001 villages: one
# row instead of 2,001 read and digested here, ~20 ms on the benchmark's machine when busy).
_VILLAGE_SUMS = (func.count(), func.coalesce(func.sum(Village.id), 0),
                 _position_sum(Village.lat, 101), _position_sum(Village.lon, 103))


def kept_bytes(engine: Any) -> int:
    """What this process keeps for the database (tests, the benchmark)."""
    return _KEPT.size(engine)


def forget() -> None:
    """Drop everything the maps keep, the summaries read for them included
    (surveys/coverage/kept_reads.py): tests that change rows behind the writers' back, the
    benchmarks' answers built as after an import."""
    _KEPT.clear()
    kept_reads.forget()
