"""Turn one raw record (canonical field → text) into a measurement, or say why not.

A row is rejected only when what makes it a measurement is unusable: its position, its time, its
technology, or both of its main values (signal and download speed). An impossible secondary value —
tools write sentinels such as −204 or 2147483647 — is dropped with a warning and the row is kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from surveys.coverage import classify
from surveys.coverage.operators import operator_from_codes, operator_from_name
from surveys.coverage.reading import is_missing, number
from surveys.coverage.reasons import render

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
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


@dataclass
class Checked:
    values: dict[str, Any] | None
    issues: list[Issue] = field(default_factory=list)


def parse_time(raw: Any) -> datetime:
    if isinstance(raw, datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=VIETNAM)
    text = str(raw).strip()
    if text[:1].isdigit() and text[-1:].isdigit() and (text.isdigit() or UNIX_SECONDS.fullmatch(text)):
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


NUMERIC_FIELDS = ("lat", "lon", "mcc", "mnc", "rsrp_dbm", "rsrq_db", "sinr_db", "download_mbps",
                  "upload_mbps", "latency_ms", "accuracy_m", "footprint_m")


def _not_a_number() -> float:
    raise ValueError("not a number")


def check(line: int, raw: Mapping[str, Any], columns: Mapping[str, str], now: datetime) -> Checked:
    issues: list[Issue] = []

    def problem(name: str, code: str, severity: str = "error", **params: Any) -> None:
        value = raw.get(name)
        issues.append(Issue(line, columns.get(name, name), "" if value is None else str(value)[:200],
                            code, severity, params or None))

    def num(name: str) -> float | None:
        value = raw.get(name)
        if value is None:
            return None
        try:  # the common case first: a plain, finite number
            result = float(value)
            if result - result == 0:  # neither nan nor ±inf
                return result
        except (ValueError, TypeError):
            pass
        try:
            return number(value) if isinstance(value, str) else _not_a_number()
        except ValueError:
            problem(name, "not_a_number", "warning" if name not in ("lat", "lon") else "error")
            return None

    # Every numeric field read once, the plain case first; `num` says what is wrong otherwise.
    nums: dict[str, float | None] = {}
    for name in NUMERIC_FIELDS:
        value = raw.get(name)
        if value is None or value == "":
            nums[name] = None
            continue
        try:
            result = float(value)
            if result - result == 0:  # neither nan nor ±inf
                nums[name] = result
                continue
        except (ValueError, TypeError):
            pass
        nums[name] = num(name)

    lat, lon = nums["lat"], nums["lon"]
    position_ok = False
    if lat is None or lon is None:
        if not any(i.column in (columns.get("lat"), columns.get("lon")) for i in issues):
            problem("lat" if lat is None else "lon", "missing_coordinate")
    elif not (-90 <= lat <= 90 and -180 <= lon <= 180):
        problem("lat" if not -90 <= lat <= 90 else "lon", "bad_coordinate")
    elif lat == 0 and lon == 0:
        problem("lat", "no_gps_fix")
    elif not (VIETNAM_BOX[0] <= lat <= VIETNAM_BOX[1] and VIETNAM_BOX[2] <= lon <= VIETNAM_BOX[3]):
        problem("lat", "outside_vietnam")
    else:
        position_ok = True

    measured_at = None
    if is_missing(raw.get("measured_at") if not isinstance(raw.get("measured_at"), datetime)
                  else "x"):
        problem("measured_at", "missing_timestamp")
    else:
        try:
            measured_at = parse_time(raw["measured_at"]).astimezone(UTC)
        except (ValueError, OverflowError, OSError):
            problem("measured_at", "bad_timestamp")
        else:
            if measured_at > now + timedelta(days=1):
                problem("measured_at", "future_timestamp")
                measured_at = None
            elif measured_at.year < 2000:
                problem("measured_at", "old_timestamp")
                measured_at = None

    raw_technology = raw.get("technology")
    technology = _TECHNOLOGY_CACHE.get(raw_technology)  # type: ignore[arg-type]
    if technology is None:
        technology = TECHNOLOGIES.get(str(raw_technology or "").strip().lower())
        if technology is not None and isinstance(raw_technology, str) and len(_TECHNOLOGY_CACHE) < 256:
            _TECHNOLOGY_CACHE[raw_technology] = technology
    if technology is None:
        problem("technology", "unknown_technology")

    operator_key = (raw.get("operator"), raw.get("mcc"), raw.get("mnc"))
    operator = _OPERATOR_CACHE.get(operator_key)  # type: ignore[arg-type]
    if operator is None:
        issues_before = len(issues)
        mcc, mnc = nums["mcc"], nums["mnc"]
        operator = operator_from_name(raw.get("operator")) or operator_from_codes(
            int(mcc) if mcc is not None else None, int(mnc) if mnc is not None else None)
        if operator is None:
            if not is_missing(raw.get("operator")) or mnc is not None:
                problem("operator" if not is_missing(raw.get("operator")) else "mnc",
                        "unknown_operator", "warning")
            operator = "unknown"
        elif len(issues) == issues_before and len(_OPERATOR_CACHE) < 1024 and all(
                isinstance(v, str | None) for v in operator_key):  # known, nothing to report
            _OPERATOR_CACHE[operator_key] = operator  # type: ignore[index]

    def ranged(name: str, low: float, high: float) -> float | None:
        value = nums[name]
        if value is not None and not low <= value <= high:
            problem(name, "out_of_range", "warning", low=f"{low:g}", high=f"{high:g}")
            return None
        return value

    rsrp = nums["rsrp_dbm"]
    if rsrp is not None and technology in classify.RSRP_RANGE:
        low, high = classify.RSRP_RANGE[technology]
        if not low <= rsrp <= high:
            problem("rsrp_dbm", "out_of_range", "warning", low=f"{low:g}", high=f"{high:g} dBm")
            rsrp = None
    download = ranged("download_mbps", *classify.SPEED_RANGE)
    # A cell's estimated coverage disc (OpenCelliD) stands for coverage by itself: its range is
    # its main value. Every other row needs a signal or a speed.
    footprint = None
    if "footprint_m" in raw:
        footprint = nums["footprint_m"]
        if footprint is None or not 1 <= footprint <= classify.MAX_FOOTPRINT_M:
            problem("footprint_m", "no_range")
            footprint = None
    elif rsrp is None and download is None and not any(i.severity == "error" for i in issues):
        problem("rsrp_dbm", "no_main_value")
    if any(i.severity == "error" for i in issues) or not position_ok or measured_at is None \
            or technology is None:
        return Checked(None, issues)

    values = {
        "measured_at": measured_at, "lat": lat, "lon": lon,
        "accuracy_m": ranged("accuracy_m", 0, 100_000), "operator": operator,
        "technology": technology, "rsrp_dbm": rsrp,
        "rsrq_db": ranged("rsrq_db", *classify.RSRQ_RANGE),
        "sinr_db": ranged("sinr_db", *classify.SINR_RANGE), "download_mbps": download,
        "upload_mbps": ranged("upload_mbps", *classify.SPEED_RANGE),
        "latency_ms": ranged("latency_ms", *classify.LATENCY_RANGE),
        "environment": _environment(raw.get("environment")),
        "source": _source(raw.get("source")),
        "footprint_m": footprint,
    }
    values["signal_class"] = classify.signal_class(technology, rsrp)
    return Checked(values, issues)


# Columns with few distinct values are read once per value (a drive test repeats them per row).
_TECHNOLOGY_CACHE: dict[str, str] = {}
_OPERATOR_CACHE: dict[tuple[str | None, str | None, str | None], str] = {}


def _source(raw: Any) -> str | None:
    return _source_text(raw) if isinstance(raw, str) else None if raw is None else str(raw)[:64]


@lru_cache(maxsize=1024)
def _source_text(raw: str) -> str | None:
    return None if is_missing(raw) else raw.strip()[:64]


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
