"""Turn one raw record (canonical field → text) into a measurement, or say why not.

A row is rejected only when what makes it a measurement is unusable: its position, its time, its
technology, or both of its main values (signal and download speed). An impossible secondary value —
tools write sentinels such as −204 or 2147483647 — is dropped with a warning and the row is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from math import isfinite
from typing import Any

from surveys.coverage import classify
from surveys.coverage.operators import operator_from_codes, operator_from_name
from surveys.coverage.reading import is_missing, number
from surveys.coverage.reasons import render
from surveys.places.vntime import VIETNAM

# Mainland, Hoàng Sa and Trường Sa, generously: a point outside is not a Vietnamese measurement.
VIETNAM_BOX = (6.0, 23.6, 102.0, 117.9)  # south, north, west, east
TECHNOLOGIES = {
    "2g": "2g", "gsm": "2g", "edge": "2g", "gprs": "2g",
    "3g": "3g", "umts": "3g", "wcdma": "3g", "hspa": "3g", "hspa+": "3g", "hsdpa": "3g",
    "hsupa": "3g", "td-scdma": "3g",
    "4g": "4g", "lte": "4g", "lte-a": "4g", "lte+": "4g", "4g+": "4g",
    "5g": "5g", "nr": "5g", "5g nr": "5g", "nr-sa": "5g", "nr-nsa": "5g", "5g-nsa": "5g",
    "5g-sa": "5g",
    # Aggregated speed tiles (Ookla open data) say the layer, not the generation.
    "mobile": "mobile", "fixed": "fixed",
}
UNIX_SECONDS = re.compile(r"\d{9,10}\.\d+")
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M",
                "%Y.%m.%d_%H.%M.%S", "%Y/%m/%d %H:%M:%S", "%d.%m.%Y %H:%M:%S")


@dataclass
class Issue:
    line: int
    column: str
    value: str
    code: str  # surveys/coverage/reasons.py
    severity: str  # error | warning
    params: dict[str, Any] | None = None

    @property
    def reason(self) -> str:
        return render(self.code, self.params, "en")


@dataclass(slots=True)
class Checked:
    values: dict[str, Any] | None
    issues: list[Issue] = field(default_factory=list)


def parse_time(raw: Any) -> datetime:
    if isinstance(raw, datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=VIETNAM)
    text = str(raw).strip()
    if len(text) == 19 and text[:4] > "1975":  # earlier, the zone's history decides
        fast = _common_time(text)
        if fast is not None:
            return fast
    if text[4:5] != "-" and text[:1].isdigit() and text[-1:].isdigit() and (
            text.isdigit() or UNIX_SECONDS.fullmatch(text)):  # "YYYY-…" is never epoch seconds
        whole = len(text.split(".")[0])
        if whole in (9, 10):
            return datetime.fromtimestamp(float(text), UTC)
        if whole in (12, 13) and text.isdigit():  # milliseconds
            return datetime.fromtimestamp(int(text) / 1000, UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for pattern in TIME_FORMATS:
            try:
                parsed = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        else:
            raise ValueError("not a date-time") from None
    # Without an offset, a Vietnamese tool's clock is Vietnam's (UTC+7).
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=VIETNAM)


def _common_time(text: str) -> datetime | None:
    """Ours ("2026-10-01 08:30:00", or with a T) and G-NetTrack's ("2026.10.01_08.30.00"), the
    shapes of nearly every row, in one C call; None for the general path to decide.

    The offset is written into the text because attaching a time zone costs more than the parse,
    and UTC+7 is exact from 1976 on (surveys/places/months.py; the caller checks the year). The result
    equals the general path's: what fromisoformat reads with "+07:00" added it reads naive without,
    and the general path reads the G-NetTrack shape with its one matching pattern, field for field."""
    if text[4] == "-" and text[10] in " T":  # not "Z": the general path reads it as an offset
        iso = text
    elif text[4] == text[7] == text[13] == text[16] == "." and text[10] == "_":
        iso = f"{text[:4]}-{text[5:7]}-{text[8:10]} {text[11:13]}:{text[14:16]}:{text[17:]}"
    else:
        return None
    try:
        return datetime.fromisoformat(iso + "+07:00")
    except ValueError:
        return None


# check() unpacks them in this order.
NUMERIC_FIELDS = ("lat", "lon", "mcc", "mnc", "rsrp_dbm", "rsrq_db", "sinr_db", "download_mbps",
                  "upload_mbps", "latency_ms", "accuracy_m", "footprint_m")


def _not_a_number() -> float:
    raise ValueError("not a number")


# What check() needs on every row, read once. The range checks compare inline: helpers are called
# only when something is wrong, so a clean row pays for no call and no closure.
_SOUTH, _NORTH, _WEST, _EAST = VIETNAM_BOX
_SPEED_LOW, _SPEED_HIGH = classify.SPEED_RANGE
_RSRQ_LOW, _RSRQ_HIGH = classify.RSRQ_RANGE
_SINR_LOW, _SINR_HIGH = classify.SINR_RANGE
_LATENCY_LOW, _LATENCY_HIGH = classify.LATENCY_RANGE
_ONE_DAY = timedelta(days=1)


def _problem(issues: list[Issue], line: int, raw: Mapping[str, Any], columns: Mapping[str, str],
             name: str, code: str, severity: str = "error",
             params: dict[str, Any] | None = None) -> None:
    value = raw.get(name)
    issues.append(Issue(line, columns.get(name, name), "" if value is None else str(value)[:200],
                        code, severity, params or None))


def _odd_number(issues: list[Issue], line: int, raw: Mapping[str, Any], columns: Mapping[str, str],
                name: str) -> float | None:
    """A value that is not a plain finite number: missing ("NA", "nan"), a decimal comma, or
    wrong."""
    value = raw.get(name)
    try:
        return number(value) if isinstance(value, str) else _not_a_number()
    except ValueError:
        _problem(issues, line, raw, columns, name, "not_a_number",
                 "warning" if name not in ("lat", "lon") else "error")
        return None


def _out_of_range(issues: list[Issue], line: int, raw: Mapping[str, Any],
                  columns: Mapping[str, str], name: str, low: float, high: float,
                  unit: str = "") -> None:
    _problem(issues, line, raw, columns, name, "out_of_range", "warning",
             {"low": f"{low:g}", "high": f"{high:g}{unit}"})


def _has_error(issues: list[Issue]) -> bool:
    return any(i.severity == "error" for i in issues)


def _numbers(issues: list[Issue], line: int, raw: Mapping[str, Any], columns: Mapping[str, str],
             values: list[Any]) -> list[float | None]:
    """The numeric fields' values (in NUMERIC_FIELDS' order) as floats, None when empty. A row of
    plain finite numbers is read in one comprehension; any other goes field by field, and
    _odd_number says what is wrong (the same issues, in the same order, either way)."""
    try:
        plain = [None if value is None or value == "" else float(value) for value in values]
    except (ValueError, TypeError):
        pass
    else:
        # A nan or an infinity makes the sum non-finite (so may an overflowing sum, which the
        # general path then reads exactly); zeros and Nones are left out of it.
        if isfinite(sum(filter(None, plain))):
            return plain
    nums: list[float | None] = []
    for name, value in zip(NUMERIC_FIELDS, values, strict=True):
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
    return nums


def _usual_time(stamp: Any) -> datetime | None:
    """parse_time(stamp) for the usual shapes of a clean cell (19 characters, no space around,
    from 1976), without its general path; None for parse_time to decide."""
    if stamp.__class__ is str and len(stamp) == 19 and stamp[:4] > "1975" \
            and not stamp[0].isspace() and not stamp[18].isspace():
        return _common_time(stamp)
    return None


def check(line: int, raw: Mapping[str, Any], columns: Mapping[str, str], now: datetime) -> Checked:
    issues: list[Issue] = []
    get = raw.get

    # Every numeric field read once, the plain case first; _odd_number says what is wrong otherwise.
    raw_numbers = list(map(get, NUMERIC_FIELDS))
    nums = _numbers(issues, line, raw, columns, raw_numbers)
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
    usual = _usual_time(stamp)
    if usual is None and not isinstance(stamp, datetime) and is_missing(stamp):
        _problem(issues, line, raw, columns, "measured_at", "missing_timestamp")
    else:
        try:
            measured_at = (usual if usual is not None else parse_time(stamp)).astimezone(UTC)
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

    operator_key = (get("operator"), raw_numbers[2], raw_numbers[3])  # the texts of mcc, mnc
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

    # A drive test repeats its environment and source on every row: each text read once.
    environment = _read_once(_ENVIRONMENTS, 256, _environment, get("environment"))
    source = _read_once(_SOURCES, 1024, _source, get("source"))
    return Checked({
        "measured_at": measured_at, "lat": lat, "lon": lon, "accuracy_m": accuracy,
        "operator": operator, "technology": technology, "rsrp_dbm": rsrp, "rsrq_db": rsrq,
        "sinr_db": sinr, "download_mbps": download, "upload_mbps": upload, "latency_ms": latency,
        "environment": environment, "source": source,
        "footprint_m": footprint, "signal_class": classify.signal_class(technology, rsrp),
    }, issues)


# Columns with few distinct values are read once per value (a drive test repeats them per row).
_TECHNOLOGY_CACHE: dict[str, str] = {}
_OPERATOR_CACHE: dict[tuple[str | None, str | None, str | None], str] = {}
_ENVIRONMENTS: dict[str, str | None] = {}
_SOURCES: dict[str, str | None] = {}
_UNSEEN = object()


def _source(raw: Any) -> str | None:
    return _source_text(raw) if isinstance(raw, str) else None if raw is None else str(raw)[:64]


@lru_cache(maxsize=1024)
def _source_text(raw: str) -> str | None:
    return None if is_missing(raw) else raw.strip()[:64]


def _read_once(cache: dict[str, Any], limit: int, read: Callable[[Any], Any], raw: Any) -> Any:
    """`read(raw)`, kept per text (at most `limit` texts); any other value is read every time."""
    if raw.__class__ is not str:
        return read(raw)
    found = cache.get(raw, _UNSEEN)
    if found is _UNSEEN:
        found = read(raw)
        if len(cache) < limit:
            cache[raw] = found
    return found


def _environment(raw: Any) -> str | None:
    if raw is None or isinstance(raw, str):
        return _environment_text(raw or "")
    return _environment_text(str(raw))  # GeoJSON's true/false or 1/0


@lru_cache(maxsize=256)
def _environment_text(raw: str) -> str | None:
    text = str(raw or "").strip().lower()
    if text in ("indoor", "in", "trong nhà", "1", "true", "yes"):
        return "indoor"
    if text in ("outdoor", "out", "ngoài trời", "0", "false", "no"):
        return "outdoor"
    return None
