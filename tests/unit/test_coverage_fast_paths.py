"""The per-row fast paths of a coverage import decide exactly as the general ones: the time of the
usual text shapes, the signal class, and a village's distance limit near its edge."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from geopy.distance import geodesic

from surveys.coverage import spatial
from surveys.coverage.classify import CLASSES, RSRP_THRESHOLDS, signal_class
from surveys.coverage.spatial import Locator
from surveys.coverage.validate import check, parse_time

HO_CHI_MINH = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 30, tzinfo=UTC)


# Time


def _moments() -> list[datetime]:
    """From 1976, when Vietnam's offset became fixed, well into the future, at odd hours."""
    rng = random.Random(1976)
    start = datetime(1976, 1, 1)
    return [start + timedelta(days=day, seconds=rng.randrange(86_400))
            for day in range(0, 125 * 366, 11)]


@pytest.mark.parametrize("shape", ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y.%m.%d_%H.%M.%S"])
def test_naive_shapes_read_as_vietnam_time(shape: str) -> None:
    for moment in _moments():
        text = moment.strftime(shape)
        parsed = parse_time(text)
        expected = moment.replace(tzinfo=HO_CHI_MINH)
        assert parsed == expected and parsed.utcoffset() == expected.utcoffset(), text
        assert parsed.replace(tzinfo=None) == moment, text
        assert parsed.astimezone(UTC) == expected.astimezone(UTC), text


@pytest.mark.parametrize("suffix", ["+07:00", "Z", "-05:00", "+00:00"])
def test_iso_with_an_offset_keeps_it(suffix: str) -> None:
    for moment in _moments()[::10]:
        text = moment.strftime("%Y-%m-%dT%H:%M:%S") + suffix
        expected = datetime.fromisoformat(text.replace("Z", "+00:00"))
        parsed = parse_time(text)
        assert parsed == expected and parsed.utcoffset() == expected.utcoffset(), text


def test_before_the_fixed_offset_the_zone_history_applies() -> None:
    # South Vietnam kept UTC+8 until 13 June 1975.
    assert parse_time("1975-06-12 23:00:00").utcoffset() == timedelta(hours=8)
    assert parse_time("1975-06-13 01:00:00").utcoffset() == timedelta(hours=7)
    assert parse_time("1960.01.01_00.00.00").utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize("text", [
    "2026-10-07Z03:44:37",  # Z read as an offset, then no time left
    "2026-02-30 00:00:00", "2026-10-01 24:00:00", "2026-13-01 00:00:00",
    "2026.10.01_23.59.60", "2026.02.29_00.00.00", "2026.10.01_10:15:30", "2026.10-01_10.15.30",
    "2026-10-01 00:00:0Z",
])
def test_impossible_texts_are_still_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a date-time"):
        parse_time(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-10-01_08:30:00", datetime(2026, 10, 1, 1, 30, tzinfo=UTC)),  # any ISO separator
    ("2026-10-01t08:30:00", datetime(2026, 10, 1, 1, 30, tzinfo=UTC)),
    ("2026-10-01 08:30", datetime(2026, 10, 1, 1, 30, tzinfo=UTC)),
    (" 2026.10.01_08.30.00\t", datetime(2026, 10, 1, 1, 30, tzinfo=UTC)),
    ("01/10/2026 08:30:00", datetime(2026, 10, 1, 1, 30, tzinfo=UTC)),
    ("1775000000", datetime(2026, 3, 31, 23, 33, 20, tzinfo=UTC)),
    ("1775000000000", datetime(2026, 3, 31, 23, 33, 20, tzinfo=UTC)),
])
def test_other_shapes_take_the_general_path(text: str, expected: datetime) -> None:
    assert parse_time(text) == expected


def _row(measured_at: object, **values: str) -> dict[str, object]:
    return {"measured_at": measured_at, "lat": "16.75", "lon": "106.95", "technology": "4g",
            "operator": "viettel", "rsrp_dbm": "-90", **values}


def test_the_year_2000_limit_is_in_utc() -> None:
    old = check(2, _row("2000-01-01 06:59:59"), {}, NOW)
    assert old.values is None and [i.code for i in old.issues] == ["old_timestamp"]
    kept = check(2, _row("2000-01-01 07:00:00"), {}, NOW)
    assert kept.values is not None
    assert kept.values["measured_at"] == datetime(2000, 1, 1, tzinfo=UTC)


def test_the_future_limit_is_in_utc() -> None:
    assert check(2, _row("2026-12-01 07:00:00"), {}, NOW).values is not None
    future = check(2, _row("2026-12-01 07:00:01"), {}, NOW)
    assert future.values is None and [i.code for i in future.issues] == ["future_timestamp"]


def test_a_text_time_checks_as_the_same_naive_datetime() -> None:
    text = check(2, _row("2026-10-01 08:30:00"), {}, NOW)
    naive = check(2, _row(datetime(2026, 10, 1, 8, 30)), {}, NOW)
    assert text.values == naive.values and text.issues == naive.issues == []
    assert text.values is not None and text.values["measured_at"].tzinfo is UTC


# A row's values


def test_a_clean_row_gives_every_value() -> None:
    checked = check(7, _row("2026-10-01 08:30:00", accuracy_m="12", mcc="452", mnc="04",
                            rsrq_db="-8.5", sinr_db="12", download_mbps="48,5", upload_mbps="9",
                            latency_ms="33", environment=" Outdoor ", source=" drive-test "), {}, NOW)
    assert checked.issues == []
    assert checked.values == {
        "measured_at": datetime(2026, 10, 1, 1, 30, tzinfo=UTC), "lat": 16.75, "lon": 106.95,
        "accuracy_m": 12.0, "operator": "viettel", "technology": "4g", "rsrp_dbm": -90.0,
        "rsrq_db": -8.5, "sinr_db": 12.0, "download_mbps": 48.5, "upload_mbps": 9.0,
        "latency_ms": 33.0, "environment": "outdoor", "source": "drive-test", "footprint_m": None,
        "signal_class": "good",
    }


def test_secondary_values_out_of_range_are_dropped_in_order() -> None:
    checked = check(9, _row("2026-10-01 08:30:00", rsrp_dbm="-204", download_mbps="12",
                            latency_ms="70000", upload_mbps="-1", sinr_db="41", rsrq_db="-2",
                            accuracy_m="100001"), {"sinr_db": "SNR"}, NOW)
    assert checked.values is not None
    assert [(i.column, i.value, i.code, i.severity, i.params) for i in checked.issues] == [
        ("rsrp_dbm", "-204", "out_of_range", "warning", {"low": "-140", "high": "-43 dBm"}),
        ("accuracy_m", "100001", "out_of_range", "warning", {"low": "0", "high": "100000"}),
        ("rsrq_db", "-2", "out_of_range", "warning", {"low": "-20", "high": "-3"}),
        ("SNR", "41", "out_of_range", "warning", {"low": "-23", "high": "40"}),
        ("upload_mbps", "-1", "out_of_range", "warning", {"low": "0", "high": "10000"}),
        ("latency_ms", "70000", "out_of_range", "warning", {"low": "0", "high": "60000"}),
    ]
    assert [checked.values[k] for k in ("rsrp_dbm", "accuracy_m", "rsrq_db", "sinr_db",
                                        "upload_mbps", "latency_ms", "signal_class")] == [None] * 7


@pytest.mark.parametrize(("lat", "lon", "code", "column"), [
    ("", "106.95", "missing_coordinate", "lat"), ("16.75", "NA", "missing_coordinate", "lon"),
    ("91", "106.95", "bad_coordinate", "lat"), ("16.75", "181", "bad_coordinate", "lon"),
    ("0", "0", "no_gps_fix", "lat"), ("48.85", "2.35", "outside_vietnam", "lat"),
    ("5.99", "106.95", "outside_vietnam", "lat"), ("16.75", "117.91", "outside_vietnam", "lat"),
])
def test_positions_outside_the_box_say_why(lat: str, lon: str, code: str, column: str) -> None:
    checked = check(3, _row("2026-10-01 08:30:00", lat=lat, lon=lon), {}, NOW)
    assert checked.values is None
    assert [(i.column, i.code, i.severity) for i in checked.issues] == [(column, code, "error")]


@pytest.mark.parametrize("columns", [{}, {"lat": "Latitude", "lon": "Longitude"}])
def test_an_unreadable_coordinate_is_reported_once(columns: dict[str, str]) -> None:
    checked = check(3, _row("2026-10-01 08:30:00", lat="16,75,1", lon="106.95"), columns, NOW)
    assert checked.values is None
    assert [(i.column, i.code) for i in checked.issues] == [(columns.get("lat", "lat"),
                                                              "not_a_number")]


@pytest.mark.parametrize(("lat", "lon"), [("6.0", "102.0"), ("23.6", "117.9")])
def test_the_box_edges_are_inside(lat: str, lon: str) -> None:
    assert check(3, _row("2026-10-01 08:30:00", lat=lat, lon=lon), {}, NOW).values is not None


# Signal class


def _counted(technology: str, rsrp: float) -> str:
    return CLASSES[sum(rsrp >= bound for bound in RSRP_THRESHOLDS[technology])]


@pytest.mark.parametrize("technology", sorted(RSRP_THRESHOLDS))
def test_signal_class_at_every_threshold(technology: str) -> None:
    for level, bound in enumerate(RSRP_THRESHOLDS[technology], start=1):
        assert signal_class(technology, bound) == CLASSES[level]
        assert signal_class(technology, math.nextafter(bound, -math.inf)) == CLASSES[level - 1]
        assert signal_class(technology, math.nextafter(bound, math.inf)) == CLASSES[level]
        assert signal_class(technology, int(bound)) == CLASSES[level]
    for rsrp in [-math.inf, -140.0, *(x / 10 for x in range(-1500, -300)), -43.0, math.inf]:
        assert signal_class(technology, rsrp) == _counted(technology, rsrp), rsrp


def test_signal_class_outside_its_domain() -> None:
    assert signal_class("4g", math.nan) == "none"  # as a count of `>=` says
    assert signal_class("4g", None) is None
    assert signal_class("3g", -80.0) is None
    assert signal_class("wifi", -80.0) is None


# Village limit


class _Session:
    """What Locator reads: no commune boundary, these villages."""

    def __init__(self, villages: list[tuple[int, int, float, float]]) -> None:
        self._results = iter([[], villages])

    def execute(self, _statement: object) -> object:
        return next(self._results)


def _locator(villages: list[tuple[int, int, float, float]], max_km: float = 3.0) -> Locator:
    return Locator(_Session(villages), max_km)  # type: ignore[arg-type]


VILLAGE = (1, 10, 16.75, 106.95)


@pytest.mark.parametrize("bearing", [0, 45, 90, 135, 180, 270])
def test_the_limit_is_the_geodesic_one(bearing: float) -> None:
    locator = _locator([VILLAGE])
    for km, expected in [(2.999, (10, 1)), (3.001, (None, None))]:
        point = geodesic(kilometers=km).destination((VILLAGE[2], VILLAGE[3]), bearing)
        assert locator._place(point.latitude, point.longitude) == expected, (bearing, km)


def test_the_band_decides_where_the_flat_earth_would_not() -> None:
    # Due north a degree of latitude is ~110.7 km here, not 111.195: the flat-earth distance of a
    # point just inside the limit is beyond it.
    point = geodesic(kilometers=2.999).destination((VILLAGE[2], VILLAGE[3]), 0)
    flat = spatial.KM_PER_DEGREE * abs(point.latitude - VILLAGE[2])
    assert flat > 3.0
    assert _locator([VILLAGE])._place(point.latitude, point.longitude) == (10, 1)


def test_near_the_limit_every_decision_is_the_geodesic_one() -> None:
    rng = random.Random(3)
    for max_km in (0.5, 3.0, 25.0):
        villages = [(i, 100 + i, rng.uniform(8, 23), rng.uniform(103, 109)) for i in range(5)]
        locator = _locator(villages, max_km)
        for _ in range(100):
            _id, _commune, lat, lon = rng.choice(villages)
            km = max_km * rng.uniform(0.95, 1.05)
            point = geodesic(kilometers=km).destination((lat, lon), rng.uniform(0, 360))
            plat, plon = point.latitude, point.longitude
            nearest = min(villages, key=lambda v: geodesic((plat, plon), (v[2], v[3])).km)
            within = geodesic((plat, plon), (nearest[2], nearest[3])).km <= max_km
            expected = (nearest[1], nearest[0]) if within else (None, None)
            assert locator._place(plat, plon) == expected, (max_km, km)


def test_far_from_the_limit_no_geodesic_is_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("geodesic called away from the limit")

    locator = _locator([VILLAGE])
    near = geodesic(kilometers=2.9).destination((VILLAGE[2], VILLAGE[3]), 30)
    far = geodesic(kilometers=3.1).destination((VILLAGE[2], VILLAGE[3]), 210)
    monkeypatch.setattr(spatial, "geodesic", refuse)
    assert locator._place(near.latitude, near.longitude) == (10, 1)
    assert locator._place(far.latitude, far.longitude) == (None, None)
    assert locator._place(VILLAGE[2], VILLAGE[3]) == (10, 1)
