"""check() of a coverage row decides exactly as the first writer of its fast paths did: the same
values, the same issues in the same order (line, column, value, code, severity, params), on rows
mixing every odd shape a partner's file has — empty cells, "NA", decimal commas, nan and
infinities, sums that overflow, numbers from GeoJSON, spaces around a time, times with offsets or
before 1976, unknown technologies and operators. `_first_check` is the check of 81a1608, verbatim."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from surveys.coverage import classify
from surveys.coverage.operators import operator_from_codes, operator_from_name
from surveys.coverage.reading import is_missing
from surveys.coverage.validate import (
    _EAST,
    _LATENCY_HIGH,
    _LATENCY_LOW,
    _NORTH,
    _ONE_DAY,
    _OPERATOR_CACHE,
    _RSRQ_HIGH,
    _RSRQ_LOW,
    _SINR_HIGH,
    _SINR_LOW,
    _SOUTH,
    _SPEED_HIGH,
    _SPEED_LOW,
    _TECHNOLOGY_CACHE,
    _WEST,
    NUMERIC_FIELDS,
    TECHNOLOGIES,
    Checked,
    Issue,
    _environment,
    _has_error,
    _odd_number,
    _out_of_range,
    _problem,
    _source,
    check,
    parse_time,
)

NOW = datetime(2026, 11, 30, tzinfo=UTC)
NUMBERS: list[Any] = ["", None, [1], {"x": 1}, "12.5", "-98.3", "12,5", "NA", "nan", "NaN", "inf",
                      "-inf", "1e400", "1e308", "-1e308", " 7 ", "abc", "0", "-0", "0.0",
                      0, 0.0, 5, -3.5, True,
                      "452", "04", "1_000", "2147483647", "-204", "1e5", ".5"]
COORDINATES: list[Any] = ["16.75", "106.95", "0", "95", "-200", "16,75", "", None, "NA", "nan",
                          "10.5", "120.0", 16.8, 107, "1e308"]
TIMES: list[Any] = ["2026-10-01 08:30:00", " 2026-10-01 08:30:00", "2026-10-01 08:30:00 ",
                    "2026-10-01T08:30:00", "2026.10.01_08.30.00", "2026-10-01T08:30+01",
                    "2026-10-01 08:30:0Z", "2026-10-01 08:30:0 ", "2026-10-01 8:30:00 ",
                    "2026-10-01 08:30:00+07:00", "1975-06-12 23:00:00",
                    "1976-01-01 00:00:00", "1999-12-31 23:59:59", "2030-01-01 00:00:00",
                    "2026-12-01 06:59:59", "2026-02-30 08:30:00", "", "NA", None, "garbage",
                    "1700000000.5", "1700000000000", "01/10/2026 08:30:00", "2026-10-01 25:30:00",
                    datetime(2026, 10, 1, 8, 30), datetime(2026, 10, 1, 8, 30, tzinfo=UTC), 12345]
TECHNOLOGIES_SEEN: list[Any] = ["4g", "LTE", " 5G ", "nr", "3g", "2g", "xx", "", None, "mobile"]
OPERATORS: list[Any] = ["viettel", "Vinaphone", "", None, "acme", "NA"]
TEXTS: list[Any] = ["outdoor", "indoor", "", None, " Trong nhà ", "drive-test", "x" * 80, 1, True,
                    ["indoor"], {"a": 1}, 0.0, " NA "]


def _row(rng: random.Random) -> dict[str, Any]:
    row: dict[str, Any] = {"measured_at": rng.choice(TIMES), "technology": rng.choice(TECHNOLOGIES_SEEN),
                           "operator": rng.choice(OPERATORS), "environment": rng.choice(TEXTS),
                           "source": rng.choice(TEXTS)}
    for name in NUMERIC_FIELDS:
        if name in ("lat", "lon"):
            row[name] = rng.choice(COORDINATES) if rng.random() < 0.5 else \
                ("16.75" if name == "lat" else "106.95")
        elif name == "footprint_m":
            if rng.random() < 0.2:
                row[name] = rng.choice(NUMBERS + ["1200", "50000"])
        elif rng.random() < 0.3:
            row[name] = rng.choice(NUMBERS)
        else:  # a plain, usual value
            row[name] = {"mcc": "452", "mnc": "04", "rsrp_dbm": "-98.3", "rsrq_db": "-11",
                         "sinr_db": "3.5", "download_mbps": "120.5", "upload_mbps": "20.1",
                         "latency_ms": "45", "accuracy_m": "12"}[name]
    for name in list(row):
        if row[name] is None and rng.random() < 0.5:
            del row[name]  # a column the file does not have
    return row


@pytest.mark.parametrize("seed", range(4))
def test_check_decides_as_its_first_writer(seed: int) -> None:
    rng = random.Random(seed)
    columns_of_file = {"lat": "Latitude", "rsrp_dbm": "RSRP", "measured_at": "Time"}
    for line in range(2, 6_000):
        row = _row(rng)
        columns: Mapping[str, str] = columns_of_file if line % 2 else {}
        try:
            expected: Checked | type[BaseException] = _first_check(line, row, columns, NOW)
        except Exception as error:  # noqa: BLE001 - the same failure is the contract too
            expected = type(error)
        try:
            got: Checked | type[BaseException] = check(line, row, columns, NOW)
        except Exception as error:  # noqa: BLE001
            got = type(error)
        assert got == expected, (line, row)


def test_plain_rows_take_the_fast_paths_and_equal_the_first_writer() -> None:
    row = {"measured_at": "2026-10-01 08:30:00", "lat": "16.750115", "lon": "106.950306",
           "accuracy_m": "12", "operator": "viettel", "mcc": "452", "mnc": "04",
           "technology": "4g", "rsrp_dbm": "-98.3", "rsrq_db": "-11.2", "sinr_db": "3.5",
           "download_mbps": "120.5", "upload_mbps": "20.1", "latency_ms": "45",
           "environment": "outdoor", "source": "drive-test"}
    got = check(2, row, {}, NOW)
    assert got == _first_check(2, row, {}, NOW)
    assert got.values is not None and got.issues == []
    assert got.values["measured_at"] == datetime(2026, 10, 1, 1, 30, tzinfo=UTC)


# The check of 81a1608, verbatim (names of its module imported above).


def _first_check(line: int, raw: Mapping[str, Any], columns: Mapping[str, str], now: datetime) -> Checked:
    issues: list[Issue] = []
    get = raw.get

    # Every numeric field read once, the plain case first; _odd_number says what is wrong otherwise.
    nums: list[float | None] = []
    for name in NUMERIC_FIELDS:
        value = get(name)
        if value is None or value == "":
            nums.append(None)
            continue
        try:
            result = float(value)
            if result - result == 0:  # neither nan nor ±inf
                nums.append(result)
                continue
        except (ValueError, TypeError):
            pass
        nums.append(_odd_number(issues, line, raw, columns, name))
    lat, lon, mcc, mnc, rsrp, rsrq, sinr, download, upload, latency, accuracy, footprint = nums

    position_ok = False
    if lat is None or lon is None:
        # An unreadable coordinate is already reported (as not_a_number): not twice.
        if not any(i.column in (columns.get("lat", "lat"), columns.get("lon", "lon"))
                   for i in issues):
            _problem(issues, line, raw, columns, "lat" if lat is None else "lon",
                     "missing_coordinate")
    elif _SOUTH <= lat <= _NORTH and _WEST <= lon <= _EAST:
        position_ok = True
    elif not (-90 <= lat <= 90 and -180 <= lon <= 180):
        _problem(issues, line, raw, columns, "lat" if not -90 <= lat <= 90 else "lon",
                 "bad_coordinate")
    elif lat == 0 and lon == 0:
        _problem(issues, line, raw, columns, "lat", "no_gps_fix")
    else:
        _problem(issues, line, raw, columns, "lat", "outside_vietnam")

    measured_at = None
    stamp = get("measured_at")
    if not isinstance(stamp, datetime) and is_missing(stamp):
        _problem(issues, line, raw, columns, "measured_at", "missing_timestamp")
    else:
        try:
            measured_at = parse_time(stamp).astimezone(UTC)
        except (ValueError, OverflowError, OSError):
            _problem(issues, line, raw, columns, "measured_at", "bad_timestamp")
        else:
            if measured_at > now + _ONE_DAY:
                _problem(issues, line, raw, columns, "measured_at", "future_timestamp")
                measured_at = None
            elif measured_at.year < 2000:
                _problem(issues, line, raw, columns, "measured_at", "old_timestamp")
                measured_at = None

    raw_technology = get("technology")
    technology = _TECHNOLOGY_CACHE.get(raw_technology) if raw_technology is not None else None
    if technology is None:
        technology = TECHNOLOGIES.get(str(raw_technology or "").strip().lower())
        if technology is not None and isinstance(raw_technology, str) and len(_TECHNOLOGY_CACHE) < 256:
            _TECHNOLOGY_CACHE[raw_technology] = technology
    if technology is None:
        _problem(issues, line, raw, columns, "technology", "unknown_technology")

    operator_key = (get("operator"), get("mcc"), get("mnc"))
    operator = _OPERATOR_CACHE.get(operator_key)
    if operator is None:
        issues_before = len(issues)
        operator = operator_from_name(get("operator")) or operator_from_codes(
            int(mcc) if mcc is not None else None, int(mnc) if mnc is not None else None)
        if operator is None:
            if not is_missing(get("operator")) or mnc is not None:
                _problem(issues, line, raw, columns,
                         "operator" if not is_missing(get("operator")) else "mnc",
                         "unknown_operator", "warning")
            operator = "unknown"
        elif len(issues) == issues_before and len(_OPERATOR_CACHE) < 1024 and all(
                isinstance(v, str | None) for v in operator_key):  # known, nothing to report
            _OPERATOR_CACHE[operator_key] = operator

    if rsrp is not None and technology in classify.RSRP_RANGE:
        low, high = classify.RSRP_RANGE[technology]
        if not low <= rsrp <= high:
            _out_of_range(issues, line, raw, columns, "rsrp_dbm", low, high, " dBm")
            rsrp = None
    if download is not None and not _SPEED_LOW <= download <= _SPEED_HIGH:
        _out_of_range(issues, line, raw, columns, "download_mbps", _SPEED_LOW, _SPEED_HIGH)
        download = None
    # A cell's estimated coverage disc (OpenCelliD) stands for coverage by itself: its range is
    # its main value. Every other row needs a signal or a speed.
    if "footprint_m" in raw:
        if footprint is None or not 1 <= footprint <= classify.MAX_FOOTPRINT_M:
            _problem(issues, line, raw, columns, "footprint_m", "no_range")
            footprint = None
    else:
        footprint = None
        if rsrp is None and download is None and not _has_error(issues):
            _problem(issues, line, raw, columns, "rsrp_dbm", "no_main_value")
    if (issues and _has_error(issues)) or not position_ok or measured_at is None \
            or technology is None:
        return Checked(None, issues)

    # Secondary values: one out of range is dropped with a warning, in this order.
    if accuracy is not None and not 0 <= accuracy <= 100_000:
        _out_of_range(issues, line, raw, columns, "accuracy_m", 0, 100_000)
        accuracy = None
    if rsrq is not None and not _RSRQ_LOW <= rsrq <= _RSRQ_HIGH:
        _out_of_range(issues, line, raw, columns, "rsrq_db", _RSRQ_LOW, _RSRQ_HIGH)
        rsrq = None
    if sinr is not None and not _SINR_LOW <= sinr <= _SINR_HIGH:
        _out_of_range(issues, line, raw, columns, "sinr_db", _SINR_LOW, _SINR_HIGH)
        sinr = None
    if upload is not None and not _SPEED_LOW <= upload <= _SPEED_HIGH:
        _out_of_range(issues, line, raw, columns, "upload_mbps", _SPEED_LOW, _SPEED_HIGH)
        upload = None
    if latency is not None and not _LATENCY_LOW <= latency <= _LATENCY_HIGH:
        _out_of_range(issues, line, raw, columns, "latency_ms", _LATENCY_LOW, _LATENCY_HIGH)
        latency = None

    return Checked({
        "measured_at": measured_at, "lat": lat, "lon": lon, "accuracy_m": accuracy,
        "operator": operator, "technology": technology, "rsrp_dbm": rsrp, "rsrq_db": rsrq,
        "sinr_db": sinr, "download_mbps": download, "upload_mbps": upload, "latency_ms": latency,
        "environment": _environment(get("environment")), "source": _source(get("source")),
        "footprint_m": footprint, "signal_class": classify.signal_class(technology, rsrp),
    }, issues)
