"""Why a row of an upload was rejected or a value dropped: stable codes, each with its message in
Vietnamese and English. Issues are stored by code and values, and reports are rendered in the
reader's language (docs/coverage-formats.md lists the codes)."""

from __future__ import annotations

from collections.abc import Mapping

from surveys.errors import Text

REASONS: dict[str, Text] = {
    "missing_coordinate": Text("thiếu tọa độ", "missing coordinate"),
    "bad_coordinate": Text("tọa độ sai", "bad coordinate"),
    "no_gps_fix": Text("tọa độ sai (0, 0: chưa bắt được GPS)", "bad coordinate (0, 0: no GPS fix)"),
    "outside_vietnam": Text("ngoài lãnh thổ Việt Nam", "outside Vietnam"),
    "not_a_number": Text("không phải số", "not a number"),
    "missing_timestamp": Text("thiếu thời điểm đo", "missing timestamp"),
    "bad_timestamp": Text("thời điểm không đọc được (ISO 8601, dd/mm/yyyy hh:mm hoặc giây Unix)",
                          "not a date-time (ISO 8601, dd/mm/yyyy hh:mm or Unix seconds)"),
    "future_timestamp": Text("thời điểm ở tương lai", "timestamp in the future"),
    "old_timestamp": Text("thời điểm trước năm 2000", "timestamp before 2000"),
    "unknown_technology": Text("công nghệ không rõ (2g, 3g, 4g, 5g, LTE, NR, ...)",
                               "unknown technology (2g, 3g, 4g, 5g, LTE, NR, ...)"),
    "unknown_operator": Text("nhà mạng không rõ: ghi là 'unknown'",
                             "unknown operator: kept as 'unknown'"),
    "out_of_range": Text("ngoài khoảng vật lý {low}…{high}: bỏ giá trị",
                         "outside the physical range {low}…{high}: dropped"),
    "no_main_value": Text("không có cường độ tín hiệu (RSRP) hay tốc độ tải xuống dùng được",
                          "no usable signal (RSRP) or download speed"),
    "no_range": Text("trạm không có bán kính phủ sóng (range) dùng được",
                     "no usable coverage range for the cell"),
    "too_many_cells": Text("{n} ô cho {columns} cột", "{n} cells for {columns} columns"),
    "unreadable_row": Text("dòng không đọc được (một ô dài quá {limit} ký tự hoặc thiếu dấu \" đóng)",
                           "unreadable row (a cell over {limit} characters, or a quote never closed)"),
    "too_few_cells": Text("{n} ô, cần {columns}", "{n} cells, {columns} expected"),
    "bad_geojson": Text("không phải GeoJSON hợp lệ: {detail}", "not valid GeoJSON: {detail}"),
    "no_features": Text("FeatureCollection cần mảng features",
                        "a FeatureCollection needs a features array"),
    "not_a_point": Text("đối tượng không phải điểm (Point)", "feature is not a Point"),
    "bad_quadkey": Text("quadkey không hợp lệ (cần 16 chữ số 0–3)",
                        "not a zoom-16 quadkey (16 digits 0–3)"),
    "no_tests": Text("ô không có lượt đo (tests = 0)", "tile has no tests"),
    "tile_period_from_upload": Text(
        "tên tệp không có quý (YYYY-MM-DD_performance_...): lấy ngày tải lên",
        "no quarter in the file name (YYYY-MM-DD_performance_...): dated by the upload"),
    "tile_layer_assumed": Text(
        "tên tệp không nói lớp fixed hay mobile: coi là mobile",
        "the file name names neither the fixed nor the mobile layer: read as mobile"),
}


def text(code: str, params: Mapping[str, object] | None) -> Text:
    known = REASONS.get(code)
    return known.format(**(params or {})) if known is not None else Text(code, code)


def render(code: str, params: Mapping[str, object] | None, locale: str | None) -> str:
    return text(code, params).get(locale)
