"""Read partners' text files as they come: UTF-8 with or without BOM, else Windows-1258/1252;
comma, semicolon or tab separated; decimal commas; '-', 'NA' or empty for a missing value."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from typing import BinaryIO

MISSING = frozenset({"", "-", "--", "na", "n/a", "null", "none", "nan"})
SEPARATORS = (",", ";", "\t")
# No real cell comes near this; a longer field (or a quote that never closes) makes that row
# unreadable, reported as its error, instead of stopping the import.
MAX_FIELD_CHARS = 100_000
csv.field_size_limit(MAX_FIELD_CHARS)


def detect_encoding(stream: BinaryIO, sample_size: int = 1 << 20) -> str:
    """utf-8-sig when the start decodes as UTF-8 (BOM or not); else cp1258, then cp1252."""
    start = stream.tell()
    sample = stream.read(sample_size)
    stream.seek(start)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        # A multi-byte character cut at the sample's end is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    for encoding in ("cp1258", "cp1252"):
        try:
            sample.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    return "latin-1"


def detect_separator(header_line: str) -> str:
    counts = {sep: header_line.count(sep) for sep in SEPARATORS}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


def csv_rows(stream: BinaryIO) -> Iterator[tuple[int, list[str] | None]]:
    """(line number, cells), the header included as line 1; blank lines skipped. Streams: one
    line in memory at a time, whatever the file's size. Cells are None for a row that cannot be
    read (a field longer than MAX_FIELD_CHARS, a quote that never closes): the caller reports it
    as that row's error (`unreadable_row`) and goes on."""
    text = io.TextIOWrapper(stream, encoding=detect_encoding(stream), errors="replace", newline="")
    try:
        first = text.readline()
        if not first:
            return
        separator = detect_separator(first)
        rest = csv.reader(text, delimiter=separator)
        try:
            head = next(csv.reader([first], delimiter=separator), [])
        except csv.Error:
            head = []
        yield 1, head
        while True:
            try:
                for row in rest:
                    # The first cell settles almost every row, without a generator per row.
                    if (row and row[0].strip()) or any(cell.strip() for cell in row):
                        yield rest.line_num + 1, row
                return
            except csv.Error:  # the reader starts afresh on the next line
                yield rest.line_num + 1, None
    finally:
        text.detach()  # the caller owns the binary stream: do not close it


def number(text: str | None, *, separator: str = ",") -> float | None:
    """A float, or None when missing; raises ValueError when it is not a number.
    A decimal comma ("12,5") is read as a decimal point: the separator is never "," then."""
    if text is None:
        return None
    try:  # the common case, fast: a plain number
        result = float(text)
    except ValueError:
        pass
    else:
        if result != result or result in (float("inf"), float("-inf")):
            if text.strip().lower() in MISSING:  # "nan" means missing
                return None
            raise ValueError("not a finite number")
        return result
    value = text.strip()
    if value.lower() in MISSING:
        return None
    if "," in value and "." not in value:
        value = value.replace(",", ".")
    result = float(value)
    if result != result or result in (float("inf"), float("-inf")):
        raise ValueError("not a finite number")
    return result


def is_missing(text: str | None) -> bool:
    return text is None or text.strip().lower() in MISSING
