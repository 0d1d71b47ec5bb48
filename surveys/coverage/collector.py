"""Python's cyclic garbage collector paused around work that makes many objects and no cycles.

The map's filtered reads (surveys/coverage/filtered_cells.py) and an import (surveys/coverage/
uploads.py `import_rows`, rollups.py `finish_upload`) turn tens or hundreds of thousands of rows
into dicts and lists that reference counting frees; a full collection falling in the middle walks
every object of the process for nothing.
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
