"""Format 3: Ookla's open-data performance tiles (github.com/teamookla/ookla-open-data), as CSV or
GeoJSON: `quadkey,tile,avg_d_kbps,avg_u_kbps,avg_lat_ms,tests,devices` per zoom-16 web-mercator
tile (about 600 m across in Vietnam), one file per quarter and layer.

The rows carry no date and no layer: Ookla names its files `YYYY-MM-DD_performance_mobile_tiles.*`
(or `_fixed_`), so both are read from the file's name; without them the upload's date and the
mobile layer are assumed, with a warning. A tile becomes one measurement at its centre, with the
tile's half-diagonal as its position's accuracy; it counts once, whatever its number of tests.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO

from surveys.coverage.formats import RawRecord, Source, unreadable
from surveys.coverage.formats.geojson_points import features
from surveys.coverage.reading import csv_rows, detect_separator, number
from surveys.coverage.validate import Issue
from surveys.errors import Text

ZOOM = 16
NAME = re.compile(r"(\d{4})-(\d{2})-(\d{2})_performance_(fixed|mobile)_tiles", re.IGNORECASE)


def tile_of(quadkey: str) -> tuple[int, int]:
    """(x, y) of a zoom-16 quadkey; ValueError when it is not one."""
    if len(quadkey) != ZOOM or any(c not in "0123" for c in quadkey):
        raise ValueError(quadkey)
    x = y = 0
    for digit in quadkey:
        x, y = x * 2 + (int(digit) & 1), y * 2 + (int(digit) >> 1)
    return x, y


def tile_centre(x: int, y: int) -> tuple[float, float]:
    n = 2 ** ZOOM
    lon = (x + 0.5) / n * 360 - 180
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 0.5) / n))))
    return lat, lon


def tile_half_diagonal_m(lat: float) -> float:
    side = 40_075_016.686 * math.cos(math.radians(lat)) / 2 ** ZOOM
    return side * math.sqrt(2) / 2


class _Ookla:
    def _context(self, source: Source) -> tuple[datetime, str, list[Issue]]:
        name = source.filename or ""
        match = NAME.search(name)
        if match:
            year, month, day, layer = match.groups()
            return datetime(int(year), int(month), int(day), tzinfo=UTC), layer.lower(), []
        warnings = [Issue(1, "filename", name[:200], "tile_period_from_upload", "warning")]
        layers = [layer for layer in ("fixed", "mobile") if layer in name.lower()]
        if len(layers) != 1:
            warnings.append(Issue(1, "filename", name[:200], "tile_layer_assumed", "warning"))
        return source.received_at, layers[0] if len(layers) == 1 else "mobile", warnings

    def _record(self, line: int, properties: dict[str, Any], quarter: datetime, layer: str
                ) -> RawRecord | Issue:
        quadkey = str(properties.get("quadkey") or "").strip()
        try:
            lat, lon = tile_centre(*tile_of(quadkey))
        except ValueError:
            return Issue(line, "quadkey", quadkey[:200], "bad_quadkey", "error")
        try:
            tests = number(_text(properties.get("tests")))
        except ValueError:
            tests = None
        if tests is not None and tests <= 0:
            return Issue(line, "tests", _text(properties.get("tests")) or "", "no_tests", "error")

        def mbps(name: str) -> Any:
            raw = _text(properties.get(name))
            try:
                kbps = number(raw)
            except ValueError:
                return raw  # validation names it
            return None if kbps is None else kbps / 1000

        return RawRecord(line, {
            "lat": lat, "lon": lon, "accuracy_m": round(tile_half_diagonal_m(lat)),
            "measured_at": quarter, "technology": layer,
            "download_mbps": mbps("avg_d_kbps"), "upload_mbps": mbps("avg_u_kbps"),
            "latency_ms": _text(properties.get("avg_lat_ms")), "source": f"ookla {quadkey}"},
            {"lat": "quadkey", "lon": "quadkey", "download_mbps": "avg_d_kbps",
             "upload_mbps": "avg_u_kbps", "latency_ms": "avg_lat_ms"})


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


class OoklaCsv(_Ookla):
    name = "ookla"
    label = Text("Ô dữ liệu mở Ookla (CSV)", "Ookla open-data tiles (CSV)")

    def matches(self, head: bytes) -> bool:
        first = head.decode("utf-8-sig", errors="replace").split("\n", 1)[0].lower()
        return "quadkey" in first and "avg_d_kbps" in first

    def missing_columns(self, head: bytes) -> list[str]:
        first = head.decode("utf-8-sig", errors="replace").split("\n", 1)[0]
        names = {c.strip().strip('"').lower() for c in first.split(detect_separator(first))}
        return sorted({"quadkey", "avg_d_kbps"} - names)

    def records(self, stream: BinaryIO, source: Source) -> Iterator[RawRecord | Issue]:
        quarter, layer, warnings = self._context(source)
        yield from warnings
        rows = csv_rows(stream)
        _line, header = next(rows, (1, []))
        names = [h.strip().lower() for h in header or []]
        for line, cells in rows:
            if cells is None:
                yield unreadable(line)
                continue
            yield self._record(line, dict(zip(names, cells, strict=False)), quarter, layer)


class OoklaGeoJson(_Ookla):
    """The GeoJSON variant: the same properties on tile polygons (parsed whole, like format 5)."""

    name = "ookla-geojson"
    label = Text("Ô dữ liệu mở Ookla (GeoJSON)", "Ookla open-data tiles (GeoJSON)")

    def matches(self, head: bytes) -> bool:
        text = head.decode("utf-8-sig", errors="replace").lstrip()[:8192]
        return text.startswith("{") and '"quadkey"' in text and '"avg_d_kbps"' in text

    def records(self, stream: BinaryIO, source: Source) -> Iterator[RawRecord | Issue]:
        quarter, layer, warnings = self._context(source)
        yield from warnings
        for index, feature in features(stream):
            if isinstance(feature, Issue):
                yield feature
                continue
            properties = feature.get("properties") if isinstance(feature, dict) else None
            properties = properties if isinstance(properties, dict) else {}
            yield self._record(index, properties, quarter, layer)


CSV = OoklaCsv()
GEOJSON = OoklaGeoJson()
