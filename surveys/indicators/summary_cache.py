"""What this process read of each commune's indicator rollups, kept while the commune's rollup
version is unchanged.

A province's indicator table and dashboard read every village's rows in all its communes (28,000
rows for Hà Tĩnh's 2,001 villages, whatever the number of households), and most requests find
them as the last one left them: a surveyor changes one commune at a time. Every write to a
commune's rollups (`rollups.apply`, `rollups.rebuild`) gives it a new random version in the
writer's transaction (`rollup_versions`), so a summary kept with the version it was read under is
the database's as long as the version is the same. Only the communes whose version moved are read
again.

- The versions are read before the rows: a write committed in between is in the rows read and its
  version differs next time, so what is kept is never older than its version says.
- Random versions: a database emptied and filled again (tests, a restore) never meets a version
  kept from before. A commune without a version row (rows written by other means than the two
  writers) is read every time and never kept.
- Kept per engine (one database), at most LIMIT (commune, months) entries, the least recently
  used dropped first; a lock makes it safe for gunicorn's threads. The summaries are shared with
  callers and must not be changed by them (nothing in the estimators does).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.indicators.rollup_reads import load_parts
from surveys.indicators.rollups import Summary
from surveys.models import RollupVersion

LIMIT = 1024  # (commune, months) entries per database: 170 communes × 6 ranges of months
_Key = tuple[int, str | None, str | None]
_LOCK = threading.Lock()
_KEPT: WeakKeyDictionary[Any, OrderedDict[_Key, tuple[int, Summary]]] = WeakKeyDictionary()


def versions(session: Session, commune_ids: list[int]) -> dict[int, int]:
    table = RollupVersion.__table__
    found: dict[int, int] = {}
    for start in range(0, len(commune_ids), 500):
        for commune, version in session.execute(select(table.c.commune_id, table.c.version).where(
                table.c.commune_id.in_(commune_ids[start:start + 500]))):
            found[commune] = version
    return found


def commune_summaries(session: Session, commune_ids: list[int], *, first_month: str | None,
                      last_month: str | None, codes: Iterable[str] | None = None
                      ) -> dict[int, Summary]:
    """`rollup_reads.load_parts` of the communes (all their villages), from what this process kept
    where the commune's version is unchanged. `codes`: only these indicators are needed; what is
    read for them is not kept (a kept summary holds every indicator)."""
    found = versions(session, commune_ids)
    engine = session.get_bind()
    parts: dict[int, Summary] = {}
    with _LOCK:
        kept = _KEPT.get(engine)
        if kept is None:
            kept = _KEPT[engine] = OrderedDict()
        for commune in commune_ids:
            key = (commune, first_month, last_month)
            entry = kept.get(key)
            if entry is not None and entry[0] == found.get(commune):
                kept.move_to_end(key)
                parts[commune] = entry[1]
    missing = [commune for commune in commune_ids if commune not in parts]
    if not missing:
        return parts
    read = load_parts(session, missing, first_month=first_month, last_month=last_month,
                      codes=codes)
    parts.update(read)
    if codes is None:
        with _LOCK:
            for commune, summary in read.items():
                if commune in found:
                    kept[(commune, first_month, last_month)] = (found[commune], summary)
                    kept.move_to_end((commune, first_month, last_month))
            while len(kept) > LIMIT:
                kept.popitem(last=False)
    return {commune: parts[commune] for commune in commune_ids}


def forget() -> None:
    """Drop everything kept (tests that change rows behind the writers' back)."""
    with _LOCK:
        _KEPT.clear()
