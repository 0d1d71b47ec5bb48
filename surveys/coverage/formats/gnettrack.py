"""Format 4: drive-test logs of G-NetTrack Pro (Gyokov Solutions), the Android drive-test app.

Its logs are tab-separated text, one row a second or so, with columns such as `Timestamp`
(`yyyy.mm.dd_hh.mm.ss`, the phone's local time), `Longitude`, `Latitude`, `Operatorname`,
`Operator` (MCC and MNC run together: `45204`), `NetworkTech` (`4G`) and `NetworkMode` (`LTE`,
`HSPA+`, `NR`…), `Level` (RSRP on LTE, RSCP on UMTS, RxLev on GSM), `Qual` (RSRQ on LTE), `SNR`,
`DL_bitrate` and `UL_bitrate` in kbit/s, `Accuracy` in metres and, on 5G non-standalone, `NRxRSRP`,
`NRxRSRQ` and `NRxSNR` for the NR leg. Some versions write `RSRP`/`RSRQ` columns instead of
`Level`/`Qual`. Missing values are `-` or empty; logs appended to one another repeat the header.

A row on 5G NSA holds two measurements: the LTE anchor (its RSRP) and the NR leg (NRxRSRP, with
the row's speeds, which the NR leg carries); each is a record, on the same line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from surveys.coverage.formats import RawRecord, Source, unreadable
from surveys.coverage.reading import csv_rows, detect_separator, is_missing, number
from surveys.coverage.validate import TECHNOLOGIES, Issue
from surveys.errors import Text

REQUIRED = frozenset({"timestamp", "longitude", "latitude"})
RSRP_MODES = frozenset({"4g", "5g"})  # where Level is an RSRP


def _header(head: bytes) -> set[str]:
    first = head.decode("utf-8-sig", errors="replace").splitlines()[0] if head else ""
    return {c.strip().strip('"').lower() for c in first.split(detect_separator(first))}


def _kbps_to_mbps(raw: str | None) -> str | float | None:
    try:
        kbps = number(raw)
    except ValueError:
        return raw  # validation names it
    return None if kbps is None else kbps / 1000


class GNetTrack:
    name = "gnettrack"
    label = Text("Nhật ký G-NetTrack Pro", "G-NetTrack Pro log")

    def matches(self, head: bytes) -> bool:
        names = _header(head)
        return REQUIRED <= names and bool({"networkmode", "networktech"} & names)

    def missing_columns(self, head: bytes) -> list[str]:
        names = _header(head)
        missing = sorted(REQUIRED - names)
        if not {"networkmode", "networktech"} & names:
            missing.append("NetworkTech/NetworkMode")
        return missing

    def records(self, stream: BinaryIO, source: Source) -> Iterator[RawRecord | Issue]:
        rows = csv_rows(stream)
        _line, first = next(rows, (1, []))
        header = first or []  # the header is never an unreadable row (reading.csv_rows)
        names = [h.strip().lower() for h in header]
        column = {name: h.strip() for name, h in zip(names, header, strict=True)}
        for line, cells in rows:
            if cells is None:
                yield unreadable(line)
                continue
            row = dict(zip(names, (c.strip() for c in cells), strict=False))
            if row.get("timestamp", "").lower() == "timestamp":
                continue  # the header again: two logs joined into one file
            technology = self._technology(row)
            operator = row.get("operator", "")
            mcc, mnc = (operator[:3], operator[3:]) if operator.isdigit() and len(operator) >= 5 \
                else (None, None)
            rsrp = row.get("rsrp") or (row.get("level") if technology in RSRP_MODES else None)
            rsrq = row.get("rsrq") or (row.get("qual") if technology == "4g" else None)
            common = {"measured_at": row.get("timestamp"), "lat": row.get("latitude"),
                      "lon": row.get("longitude"), "accuracy_m": row.get("accuracy"),
                      "operator": row.get("operatorname"), "mcc": mcc, "mnc": mnc,
                      "source": "g-nettrack"}
            columns = {"measured_at": column["timestamp"], "lat": column["latitude"],
                       "lon": column["longitude"], "operator": column.get("operatorname", ""),
                       "mnc": column.get("operator", ""), "accuracy_m": column.get("accuracy", ""),
                       "technology": column.get("networktech", column.get("networkmode", "")),
                       "rsrp_dbm": column.get("rsrp", column.get("level", "")),
                       "rsrq_db": column.get("rsrq", column.get("qual", "")),
                       "sinr_db": column.get("snr", ""),
                       "download_mbps": column.get("dl_bitrate", ""),
                       "upload_mbps": column.get("ul_bitrate", "")}
            speeds = {"download_mbps": _kbps_to_mbps(row.get("dl_bitrate")),
                      "upload_mbps": _kbps_to_mbps(row.get("ul_bitrate"))}
            nr_rsrp = row.get("nrxrsrp")
            nsa = technology == "4g" and not is_missing(nr_rsrp) and _plausible_nr(nr_rsrp)
            yield RawRecord(line, {**common, "technology": technology or row.get("networkmode"),
                                   "rsrp_dbm": rsrp, "rsrq_db": rsrq, "sinr_db": row.get("snr"),
                                   **({} if nsa else speeds)}, columns)
            if nsa:
                yield RawRecord(line, {**common, "technology": "5g", "rsrp_dbm": nr_rsrp,
                                       "rsrq_db": row.get("nrxrsrq"), "sinr_db": row.get("nrxsnr"),
                                       **speeds},
                                {**columns, "rsrp_dbm": column.get("nrxrsrp", ""),
                                 "rsrq_db": column.get("nrxrsrq", ""),
                                 "sinr_db": column.get("nrxsnr", "")})

    @staticmethod
    def _technology(row: dict[str, str]) -> str | None:
        for name in ("networktech", "networkmode"):
            value = TECHNOLOGIES.get(row.get(name, "").strip().lower())
            if value is not None:
                return value
        return None


def _plausible_nr(raw: str | None) -> bool:
    """The NR columns hold sentinels (2147483647) when no NR leg is attached."""
    try:
        value = number(raw)
    except ValueError:
        return True  # let validation say what is wrong with it
    return value is not None and -160 <= value <= 0


FORMAT = GNetTrack()
