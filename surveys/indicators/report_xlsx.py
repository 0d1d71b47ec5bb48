"""The printable report as an XLSX workbook: targets, by village, data sources. No Flask.

Headers in Vietnamese unless the reader chose English; numbers and dates are real cells.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from surveys.errors import Text
from surveys.exports.spreadsheets import xlsx_append
from surveys.indicators.dashboard import local_date
from surveys.indicators.exports import STATUSES
from surveys.indicators.results import IndicatorRow, Report

SHEETS = {"targets": Text("Chỉ tiêu", "Targets"), "villages": Text("Theo thôn", "By village"),
          "sources": Text("Nguồn dữ liệu", "Sources")}
TARGET_COLUMNS = (
    Text("Mã chỉ tiêu", "Code"), Text("Chỉ tiêu", "Indicator"), Text("Giá trị (%)", "Value (%)"),
    Text("Cận dưới KTC 95% (%)", "95% CI low (%)"), Text("Cận trên KTC 95% (%)", "95% CI high (%)"),
    Text("Cỡ mẫu", "n"), Text("So sánh", "Comparator"), Text("Chỉ tiêu kế hoạch (%)", "Target (%)"),
    Text("Năm phải đạt", "Target year"), Text("Giá trị cơ sở (%)", "Baseline (%)"),
    Text("Năm cơ sở", "Baseline year"), Text("Tình trạng", "Status"),
    Text("Nguồn (văn bản, điều khoản)", "Source (document, article)"),
    Text("Còn thiếu (điểm %)", "Gap (points)"), Text("Cần mỗi năm (điểm %)", "Points a year needed"),
    Text("Ghi chú", "Note"),
)
CENSUS = Text("Tổng điều tra mọi đơn vị được đánh giá: không có khoảng tin cậy",
              "Census of every unit assessed: no sampling interval")
NOT_OFFICIAL = Text("Không phải số liệu chính thức: chưa có trọng số (thiếu số hộ của thôn), có thể "
                    "bị lệch — giá trị tính được {value} %",
                    "Not an official figure: unweighted (the villages' household counts are "
                    "missing), may be biased — computed value {value} %")
VILLAGE_COLUMNS = (
    Text("Thôn", "Village"), Text("Số hộ", "Households"), Text("Số hộ đã khảo sát", "Surveyed"),
    Text("Đã khảo sát (%)", "Surveyed (%)"), Text("Chỉ tiêu", "Indicator"),
    Text("Giá trị (%)", "Value (%)"), Text("Cận dưới KTC 95% (%)", "95% CI low (%)"),
    Text("Cận trên KTC 95% (%)", "95% CI high (%)"), Text("Cỡ mẫu", "n"),
    Text("Tình trạng", "Status"),
)
ALL_DATA = Text("Toàn bộ số liệu", "All data")


def _status(code: str | None, locale: str) -> str:
    return STATUSES[code].get(locale) if code in STATUSES else ""


def _target_row(r: IndicatorRow, lang: Literal["vi", "en"]) -> list[Any]:
    """A row of the targets sheet; an unweighted commune value is not given as the figure."""
    official = not r.get("unweighted")
    note = ""
    if not official:
        note = NOT_OFFICIAL.format(value=r["value"]).get(lang)
    elif r.get("census"):
        note = CENSUS.get(lang)
    return [r["code"], r["name"][lang], r["value"] if official else None,
            r["ci_low"] if official else None, r["ci_high"] if official else None, r["n"],
            r["comparator"], r["target"], r["target_year"], r["baseline"], r["baseline_year"],
            _status(r["status"], lang), r["source"], r.get("gap"), r.get("points_per_year"), note]


def _table(sheet: Worksheet, headers: Sequence[Text], rows: list[list[Any]], locale: str) -> None:
    sheet.append([h.get(locale) for h in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        xlsx_append(sheet, ["" if value is None else value for value in row])
    sheet.freeze_panes = "A2"


def render_report_xlsx(report: Report, locale: str, notes: Sequence[str]) -> bytes:
    """`report`: dashboard.commune_report; `notes`: the method notes in the reader's language."""
    lang: Literal["vi", "en"] = "en" if locale == "en" else "vi"
    workbook = Workbook()
    targets = workbook.active
    targets.title = SHEETS["targets"].get(lang)
    _table(targets, TARGET_COLUMNS, [_target_row(r, lang) for r in report["targets"]], lang)
    targets.column_dimensions["B"].width = 60

    villages = workbook.create_sheet(SHEETS["villages"].get(lang))
    name = report["row"]["name"][lang]
    progress = {p.slug: p for p in report["progress"]}
    _table(villages, VILLAGE_COLUMNS, [
        [v.name, progress[v.slug].known, progress[v.slug].surveyed, progress[v.slug].percent, name,
         v.value, v.ci_low, v.ci_high, v.n, _status(v.status, lang)] for v in report["villages"]],
        lang)
    villages.column_dimensions["A"].width = 24
    villages.column_dimensions["E"].width = 40

    sources = workbook.create_sheet(SHEETS["sources"].get(lang))
    commune, period, found = report["commune"], report["period"], report["sources"]
    total = report["progress_total"]
    for label, value in (
            (Text("Xã", "Commune"), commune.name), (Text("Tỉnh", "Province"), commune.province),
            (Text("Kỳ", "Period"), period.label if period else ALL_DATA.get(lang)),
            (Text("Ngày báo cáo", "Report date"), report["today"]),
            (Text("Số hộ đã khảo sát", "Households surveyed"), total.surveyed),
            (Text("Số hộ của xã", "Households in the commune"), total.known),
            (Text("Khảo sát từ ngày", "Surveyed from"), local_date(report["first_survey"])),
            (Text("Khảo sát đến ngày", "Surveyed until"), local_date(report["last_survey"])),
            (Text("Tệp số liệu đo của doanh nghiệp viễn thông", "Partner coverage uploads"),
             found["uploads"]),
            (Text("Doanh nghiệp", "Partners"), ", ".join(found["partners"])),
            (Text("Số phép đo trong xã", "Measurements in the commune"), found["measurements"])):
        xlsx_append(sources, [label.get(lang), "" if value is None else value])
        if hasattr(value, "year"):
            sources.cell(sources.max_row, 2).number_format = "dd/mm/yyyy" if lang == "vi" \
                else "yyyy-mm-dd"
    sources.append([])
    sources.append([Text("Phương pháp", "Method").get(lang)])
    sources.cell(sources.max_row, 1).font = Font(bold=True)
    for note in notes:
        xlsx_append(sources, [note])
        sources.cell(sources.max_row, 1).alignment = Alignment(wrap_text=True, vertical="top")
    sources.column_dimensions["A"].width = 48
    sources.column_dimensions["B"].width = 40

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
