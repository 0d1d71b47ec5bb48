"""What a process keeps of the maps' reads and answers (surveys/coverage/kept_reads.py,
map_answers.py): values per database (engine) and key, each with the stamp it was read under and
its size; a value is given back only under the same stamp. Past `limit` (the sum of the sizes per
database) the least recently used go first; a value over a quarter of it is never kept. A lock
makes it safe for gunicorn's threads."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Generic, TypeVar
from weakref import WeakKeyDictionary

V = TypeVar("V")


class Kept(Generic[V]):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: WeakKeyDictionary[Any, OrderedDict[Any, tuple[Any, V, int]]] = \
            WeakKeyDictionary()
        self._sizes: WeakKeyDictionary[Any, int] = WeakKeyDictionary()

    def get(self, engine: Any, key: Any, stamp: Any) -> V | None:
        with self._lock:
            kept = self._kept.get(engine)
            entry = kept.get(key) if kept is not None else None
            if entry is None or entry[0] != stamp:
                return None
            kept.move_to_end(key)  # type: ignore[union-attr]
            return entry[1]

    def put(self, engine: Any, key: Any, stamp: Any, value: V, size: int, limit: int) -> None:
        """Keep `value` under `stamp` in place of what the key held (which goes even when the
        value is too large to keep)."""
        with self._lock:
            kept = self._kept.get(engine)
            if kept is None:
                kept = self._kept[engine] = OrderedDict()
            total = self._sizes.get(engine, 0)
            old = kept.pop(key, None)
            if old is not None:
                total -= old[2]
            if size <= limit // 4:
                kept[key] = (stamp, value, size)
                total += size
            while total > limit and kept:
                total -= kept.popitem(last=False)[1][2]
            self._sizes[engine] = total

    def size(self, engine: Any) -> int:
        with self._lock:
            return self._sizes.get(engine, 0)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._sizes.clear()
