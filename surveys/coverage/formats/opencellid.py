"""Format 2: an OpenCelliD cell export (opencellid.org; also what operators' cell lists look like).

`radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal`,
with or without that header (the downloadable country files have none). Each row is a cell whose
coverage is estimated as a disc of `range` metres around its position; `created`/`updated` are Unix
seconds; `averageSignal` is dBm, 0 when unknown.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from surveys.coverage.formats import RawRecord, Source, unreadable
from surveys.coverage.reading import csv_rows, detect_separator
from surveys.coverage.validate import Issue
from surveys.errors import Text

COLUMNS = ("radio", "mcc", "net", "area", "cell", "unit", "lon", "lat", "range", "samples",
           "changeable", "created", "updated", "averagesignal")
RADIOS = {"GSM", "UMTS", "CDMA", "LTE", "NR", "NBIOT"}
# OpenCelliD's radio → technology. NB-IoT is carried by LTE cells; CDMA never ran in Vietnam.
TECHNOLOGY = {"gsm": "2g", "cdma": "2g", "umts": "3g", "lte": "4g", "nbiot": "4g", "nr": "5g"}


def _first_line(head: bytes) -> list[str]:
    first = head.decode("utf-8-sig", errors="replace").splitlines()[0] if head else ""
    return [c.strip().strip('"') for c in first.split(detect_separator(first))]


class OpenCellId:
    name = "opencellid"
    label = Text("Danh sách trạm OpenCelliD", "OpenCelliD cell list")

    def matches(self, head: bytes) -> bool:
        cells = _first_line(head)
        if [c.lower() for c in cells[:9]] == list(COLUMNS[:9]):
            return True
        return len(cells) in (13, 14) and cells[0].upper() in RADIOS and cells[1].isdigit()

    def missing_columns(self, head: bytes) -> list[str]:
        """A header must name the first nine columns; a file without one must look like a row."""
        if self.matches(head):
            return []
        return list(COLUMNS[:9])

    def records(self, stream: BinaryIO, source: Source) -> Iterator[RawRecord | Issue]:
        rows = csv_rows(stream)
        for line, cells in rows:
            if cells is None:
                yield unreadable(line)
                continue
            if line == 1 and cells and cells[0].strip().lower() == "radio":
                continue  # the header, when there is one
            if len(cells) < 9:
                yield Issue(line, "", str(len(cells)), "too_few_cells", "error",
                            {"n": len(cells), "columns": len(COLUMNS)})
                continue
            raw = dict(zip(COLUMNS, (c.strip() for c in cells), strict=False))
            signal = raw.get("averagesignal")
            yield RawRecord(line, {
                "lat": raw["lat"], "lon": raw["lon"],
                "measured_at": raw.get("updated") or raw.get("created"),
                "technology": TECHNOLOGY.get(raw["radio"].lower(), raw["radio"]),
                "mcc": raw["mcc"], "mnc": raw["net"],
                # 0 is OpenCelliD's "not known", not a signal of 0 dBm; for GSM and UMTS the
                # value is an RSSI or RSCP, not an RSRP.
                "rsrp_dbm": signal if signal not in (None, "", "0")
                and raw["radio"].upper() in ("LTE", "NR") else None,
                "footprint_m": raw["range"],
                "source": f"opencellid {raw['mcc']}-{raw['net']}-{raw['area']}-{raw['cell']}",
            }, {"measured_at": "updated", "mnc": "net", "footprint_m": "range",
                "rsrp_dbm": "averageSignal", "technology": "radio"})


FORMAT = OpenCellId()
