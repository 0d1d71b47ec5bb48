"""The indicator table as CSV or XLSX, headers and statuses in the reader's language."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from surveys.errors import Text
from surveys.exports.spreadsheets import csv_row, xlsx_append
from surveys.indicators.results import IndicatorTable

COLUMNS: tuple[tuple[str, Text], ...] = (
    ("code", Text("Mã chỉ tiêu", "Code")),
    ("name", Text("Chỉ tiêu", "Indicator")),
    ("unit", Text("Đơn vị", "Unit")),
    ("value", Text("Giá trị (%)", "Value (%)")),
    ("ci_low", Text("Cận dưới KTC 95% (%)", "95% CI low (%)")),
    ("ci_high", Text("Cận trên KTC 95% (%)", "95% CI high (%)")),
    ("numerator", Text("Tử số", "Numerator")),
    ("denominator", Text("Mẫu số", "Denominator")),
    ("n", Text("Cỡ mẫu", "n")),
    ("weighted", Text("Có trọng số theo thôn", "Weighted by village")),
    ("target", Text("Chỉ tiêu kế hoạch (%)", "Target (%)")),
    ("comparator", Text("So sánh", "Comparator")),
    ("target_year", Text("Năm phải đạt", "Target year")),
    ("status", Text("Tình trạng", "Status")),
    ("gap", Text("Còn thiếu (điểm %)", "Gap (points)")),
    ("points_per_year", Text("Cần mỗi năm (điểm %)", "Points a year needed")),
    ("census", Text("Tổng điều tra (không có khoảng tin cậy)", "Census (no interval)")),
    ("unweighted", Text("Chưa có trọng số, có thể lệch", "Unweighted, may be biased")),
    ("source", Text("Nguồn (văn bản, điều khoản)", "Source (document, article)")),
)
UNITS = {"household": Text("hộ", "household"), "adult": Text("người trưởng thành", "adult"),
         "smartphone_user": Text("người dùng điện thoại thông minh", "smartphone user"),
         "village": Text("thôn", "village"), "area": Text("ô diện tích", "area cell")}
STATUSES = {"met": Text("Đạt", "Met"), "on_track": Text("Đúng tiến độ", "On track"),
            "behind": Text("Chậm tiến độ", "Behind"),
            "no_trajectory": Text("Chưa có lộ trình", "No trajectory"),
            "unweighted": Text("Chưa có trọng số, có thể lệch", "Unweighted, may be biased"),
            "insufficient_data": Text("Chưa đủ dữ liệu", "Insufficient data"),
            "baseline": Text("Số liệu cơ sở", "Baseline only")}
YES_NO = {True: Text("có", "yes"), False: Text("không", "no")}


def _cells(row: Mapping[str, Any], locale: str) -> list[Any]:
    values = []
    for key, _header in COLUMNS:
        value: Any = row.get(key)
        if key == "name":
            value = value[locale if locale == "en" else "vi"]
        elif key == "unit":
            value = UNITS[value].get(locale)
        elif key == "status":
            value = STATUSES[value].get(locale) if value else ""
        elif key in ("weighted", "census", "unweighted"):
            value = YES_NO[bool(value)].get(locale)
        values.append("" if value is None else value)
    return values


def render_csv(table: IndicatorTable, locale: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([header.get(locale) for _key, header in COLUMNS])
    for row in table["indicators"]:
        writer.writerow(csv_row(_cells(row, locale)))
    # The BOM makes Excel read the Vietnamese letters as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def render_xlsx(table: IndicatorTable, locale: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Chỉ tiêu" if locale != "en" else "Indicators"
    sheet.append([header.get(locale) for _key, header in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table["indicators"]:
        xlsx_append(sheet, _cells(row, locale))
    sheet.freeze_panes = "A2"
    sheet.column_dimensions["B"].width = 60
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class Exporter:
    mimetype: str
    render: Callable[[IndicatorTable, str], bytes]


EXPORTERS = {
    "csv": Exporter("text/csv; charset=utf-8", render_csv),
    "xlsx": Exporter("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     render_xlsx),
}
