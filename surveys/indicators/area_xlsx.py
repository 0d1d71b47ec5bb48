"""The spreadsheet of an area (province or group of communes): its indicators with intervals,
targets and statuses, and the table of its communes ranked for one indicator."""

from __future__ import annotations

import io
from typing import Literal

from openpyxl import Workbook

from surveys.errors import Text
from surveys.exports.spreadsheets import xlsx_append
from surveys.indicators.results import AreaDashboard

INDICATOR_HEADERS = (Text("Mã", "Code"), Text("Chỉ tiêu", "Indicator"), Text("Giá trị", "Value"),
                     Text("Cận dưới 95%", "95% low"), Text("Cận trên 95%", "95% high"),
                     Text("Số đơn vị", "n"), Text("Chỉ tiêu kế hoạch", "Target"),
                     Text("Năm", "Year"), Text("Trạng thái", "Status"))
COMMUNE_HEADERS = (Text("Hạng", "Rank"), Text("Xã", "Commune"), Text("Mã xã", "Slug"),
                   Text("Giá trị", "Value"), Text("Cận dưới 95%", "95% low"),
                   Text("Cận trên 95%", "95% high"), Text("Số đơn vị", "n"),
                   Text("Trạng thái", "Status"), Text("Hộ đã khảo sát", "Households surveyed"),
                   Text("Số hộ", "Households"))


def render_area_xlsx(data: AreaDashboard, locale: str,
                     status_labels: dict[str | None, str]) -> bytes:
    lang: Literal["vi", "en"] = "en" if locale == "en" else "vi"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Chi tieu" if lang == "vi" else "Indicators"
    xlsx_append(sheet, [data["area"].name, data["period"].label if data["period"] else ""])
    xlsx_append(sheet, [h.get(lang) for h in INDICATOR_HEADERS])
    for row in data["table"]["indicators"]:
        xlsx_append(sheet, [row["code"], row["name"][lang], row["value"], row["ci_low"],
                      row["ci_high"], row["n"], row["target"], row["target_year"],
                      status_labels.get(row["status"], row["status"] or "")])
    communes = book.create_sheet("Xa" if lang == "vi" else "Communes")
    xlsx_append(communes, [data["row"]["name"][lang]])
    xlsx_append(communes, [h.get(lang) for h in COMMUNE_HEADERS])
    for rank, item in enumerate(data["ranking"], start=1):
        xlsx_append(communes, [rank if item.value is not None else None, item.name, item.slug,
                         item.value, item.ci_low, item.ci_high, item.n,
                         status_labels.get(item.status, item.status or ""), item.surveyed,
                         item.known])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
