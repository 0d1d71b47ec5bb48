"""The one guard against formulas in exported spreadsheets ("CSV injection"), used by every CSV and
XLSX export and by the upload errors report.

Text that begins with `=`, `+`, `-`, `@`, a tab or a carriage return could be run as a formula by a
spreadsheet (`=HYPERLINK(...)` in a village name, a target's source, a partner's cell value):
- in CSV it gets a leading `'` (`csv_cell`), which spreadsheets show as text;
- in XLSX it is stored as a string cell (`xlsx_append` for openpyxl; the streaming writer in
  surveys/exports/xlsx_stream.py writes every text as an inline string), so it is never a formula and its
  value stays exactly as written.
Numbers stay numbers: a real int or float (−95 dBm) is never touched, nor is text that is a plain
number (`-95`, `+84`, `-12.5`), which no spreadsheet reads as a formula.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+([.,][0-9]+)?([eE][+-]?[0-9]+)?")


def formula_like(value: object) -> bool:
    return (isinstance(value, str) and value.startswith(FORMULA_START)
            and not _PLAIN_NUMBER.fullmatch(value))


def csv_cell(value: Any) -> Any:
    return "'" + value if formula_like(value) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(value) for value in values]


def xlsx_append(sheet: Any, values: Sequence[Any]) -> None:
    """openpyxl's `sheet.append`, with formula-like text kept as a string cell (openpyxl would
    otherwise store any text beginning with `=` as a formula)."""
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if formula_like(cell.value):
            cell.data_type = "s"
