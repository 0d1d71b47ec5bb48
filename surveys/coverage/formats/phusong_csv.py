"""Format 1: phusong's own measurement CSV (docs/coverage-formats.md; template at
/static/coverage-template.csv). Header names are the canonical field names."""

from __future__ import annotations

from collections.abc import Iterator
from operator import itemgetter
from typing import BinaryIO

from surveys.coverage.formats import NAMES_AS_IN_FILE, RawRecord, Source, unreadable
from surveys.coverage.reading import csv_rows, detect_separator
from surveys.coverage.validate import Issue
from surveys.errors import Text

COLUMNS = ("measured_at", "lat", "lon", "accuracy_m", "operator", "mcc", "mnc", "technology",
           "rsrp_dbm", "rsrq_db", "sinr_db", "download_mbps", "upload_mbps", "latency_ms",
           "environment", "source")
REQUIRED = frozenset({"measured_at", "lat", "lon", "technology"})


def _header(head: bytes) -> list[str]:
    first = head.decode("utf-8-sig", errors="replace").splitlines()[0] if head else ""
    return [c.strip().strip('"').lower() for c in first.split(detect_separator(first))]


class PhusongCsv:
    name = "phusong-csv"
    label = Text("CSV số đo của Phủ Sóng", "phusong measurement CSV")

    def matches(self, head: bytes) -> bool:
        return REQUIRED <= set(_header(head))

    def missing_columns(self, head: bytes) -> list[str]:
        return sorted(REQUIRED - set(_header(head)))

    def records(self, stream: BinaryIO, source: Source) -> Iterator[RawRecord | Issue]:
        rows = csv_rows(stream)
        _line, header = next(rows, (1, []))
        names = [h.strip().lower() for h in header or []]
        known = {i: n for i, n in enumerate(names) if n in COLUMNS}
        keys, pick = list(known.values()), itemgetter(*known) if len(known) > 1 else None
        # Our template has only our columns: its cells are the values, in order, with no picking.
        every = len(known) == len(names)
        width = len(names)
        for line, cells in rows:
            if every and cells is not None and len(cells) == width:  # the usual row, first
                yield RawRecord(line, dict(zip(keys, cells, strict=False)), NAMES_AS_IN_FILE)
                continue
            if cells is None:
                yield unreadable(line)
                continue
            if len(cells) > len(names):
                yield Issue(line, "", str(len(cells)), "too_many_cells", "error",
                            {"n": len(cells), "columns": len(names)})
                continue
            if len(cells) == len(names) and (every or pick is not None):  # at C speed
                # Not strict: the lengths are equal by construction, and the check costs per row.
                values = dict(zip(keys, cells if every or pick is None else pick(cells), strict=False))
            else:
                values = {name: cells[i] if i < len(cells) else None for i, name in known.items()}
            yield RawRecord(line, values)


FORMAT = PhusongCsv()
