"""Format 5: a GeoJSON FeatureCollection of points whose properties use format 1's names.

The file is parsed whole (json), so the web path caps its size (COVERAGE_GEOJSON_MAX_BYTES); large
drive tests belong in CSV, which streams."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from surveys.coverage.formats import RawRecord, Source
from surveys.coverage.formats.phusong_csv import COLUMNS
from surveys.coverage.validate import Issue
from surveys.errors import Text
from surveys.parsing import load_json


class GeoJsonPoints:
    name = "geojson"
    label = Text("Điểm GeoJSON", "GeoJSON points")

    def matches(self, head: bytes) -> bool:
        text = head.decode("utf-8-sig", errors="replace").lstrip()
        return text.startswith("{") and '"FeatureCollection"' in text[:4096]

    def records(self, stream: BinaryIO, source: Source) -> Iterator[RawRecord | Issue]:
        for index, feature in features(stream):
            if isinstance(feature, Issue):
                yield feature
                continue
            if not isinstance(feature, dict):
                yield Issue(index, "", type(feature).__name__, "not_a_point", "error")
                continue
            geometry = feature.get("geometry")
            geometry = geometry if isinstance(geometry, dict) else {}
            coordinates = geometry.get("coordinates") if geometry.get("type") == "Point" else None
            if not (isinstance(coordinates, list) and len(coordinates) >= 2):
                yield Issue(index, "geometry", str(geometry.get("type")), "not_a_point", "error")
                continue
            properties = feature.get("properties")
            properties = properties if isinstance(properties, dict) else {}
            values = {k: properties.get(k) for k in COLUMNS if k not in ("lat", "lon")}
            values["lon"], values["lat"] = coordinates[0], coordinates[1]
            columns = {"lat": "geometry", "lon": "geometry"}
            # Feature numbers stand in for lines: "line" 3 is the third feature.
            yield RawRecord(index, values, columns)


def features(stream: BinaryIO) -> Iterator[tuple[int, Any]]:
    """(number, feature) of a FeatureCollection, numbered from 1; (1, Issue) when the file is not
    one. The file is parsed whole."""
    try:
        document = load_json(stream.read())
    except (ValueError, UnicodeDecodeError) as exc:
        yield 1, Issue(1, "", "", "bad_geojson", "error", {"detail": str(exc)[:200]})
        return
    found = document.get("features") if isinstance(document, dict) else None
    if not isinstance(found, list):
        yield 1, Issue(1, "features", "", "no_features", "error")
        return
    yield from enumerate(found, start=1)


FORMAT = GeoJsonPoints()
