"""The hexes API's body is built from each cell's cached outline (geojson.py `hexes_body`): it must
be, byte for byte, what serialising the whole document in one call gives (the ETag is its hash),
and read back as the same document the standard library's json writes."""

from __future__ import annotations

import json
import random

import h3

from surveys.coverage.geojson import _polygon_json, encode, hex_polygon, hexes_body


def _cells(rng: random.Random, resolution: int, count: int) -> list[dict[str, object]]:
    centre = h3.latlng_to_cell(18.25, 106.1, resolution)
    cells = sorted(h3.grid_disk(centre, 12))[:count]
    return [{"h3": cell, "n": rng.randint(0, 900), "estimated": rng.randint(0, 2),
             "households": rng.choice([None, 0, 3]),
             "best_technology": rng.choice([None, "3g", "4g", "5g"]),
             "signal_class": rng.choice([None, "tốt", "fair"]),
             "median_rsrp_dbm": rng.choice([None, -101.0, -87.5]),
             "median_download_mbps": rng.choice([None, 0.06, 29.34, 1e-05]),
             "median_upload_mbps": rng.choice([None, 3.36]),
             "operators": rng.choice([[], ["viettel"], ["mobifone", "viettel"]]),
             "gap": rng.random() < 0.5} for cell in cells]


def test_the_body_is_the_whole_document_serialised_at_once() -> None:
    rng = random.Random(16)
    for resolution in (6, 8, 10):
        cells = _cells(rng, resolution, 200)
        head = {"type": "FeatureCollection", "commune": "cẩm-xuyên", "resolution": resolution,
                "technology": None, "operator": "viettel", "period": "2026-Q4",
                "bbox": [106.0, 18.0, 106.2, 18.3]}
        document = {**head, "features": [
            {"type": "Feature", "id": cell["h3"], "geometry": hex_polygon(str(cell["h3"])),
             "properties": cell} for cell in cells]}
        expected = encode(document)
        _polygon_json.cache_clear()
        assert hexes_body(head, cells) == expected  # outlines computed
        assert hexes_body(head, cells) == expected  # outlines from the cache
        assert json.loads(expected) == document
        assert "cẩm-xuyên".encode() in expected  # UTF-8, not \u escapes
    assert hexes_body({"type": "FeatureCollection"}, []) == b'{"type":"FeatureCollection","features":[]}'


def test_encode_reads_back_as_json_wrote_it() -> None:
    document = {"a": [1, 2.5, -87.5, 1e-05, None, True], "b": {"c": "Thôn Đông"}, 3: "key"}
    assert json.loads(encode(document)) == json.loads(json.dumps(document))
    assert encode({"x": float("nan")}) == b'{"x":null}'  # never the invalid NaN
