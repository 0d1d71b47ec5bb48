"""Python's cyclic garbage collector paused around work that makes many objects and no cycles.

- An import (surveys/coverage/uploads.py `import_rows`, rollups.py `finish_upload`) and the map's
  filtered reads (filtered_cells.py) turn tens or hundreds of thousands of rows into dicts and
  lists that reference counting frees: a full collection falling in the middle walks every object
  of the process for nothing.
- A map (hexes.py `area_hexes`) and an area's indicators (surveys/indicators/areas.py) keep tens
  of thousands of objects alive until the answer is sent: enough to start a full collection on
  almost every such read. Paused, they took 20–30 % less CPU on the full-size benchmark (the
  province's indicator table 183–234 → 147–165 ms, Cẩm Xuyên's hexes at r10 60–72 → 43–49 ms).

The pause is process-wide: another of gunicorn's threads runs without collections meanwhile, which
only delays them; whoever paused a running collector starts it again, so it never stays off.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while the rows' histograms become dicts (tens of
    thousands of them, none in a cycle: reference counting frees them): otherwise a full
    collection, which walks every object of the process, often falls in the middle and doubles
    the answer's time (28 → 142 ms for json.loads of r10's rows in bench/filtered_maps.py; the
    end of an import, rollups.finish_upload, parses and sums hundreds of thousands)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
