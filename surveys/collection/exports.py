"""A commune's household submissions as CSV, XLSX or GeoJSON, streamed in constant memory.

Rows are read with `yield_per` (a server-side cursor on PostgreSQL) and written as they arrive:
the first bytes (the header) leave before the query runs, and memory does not grow with the
number of rows. Takes a Session; never imports Flask; never commits.

Columns: id, instance_id, village, surveyor, collected_at, received_at (Vietnam time), lat, lon,
accuracy_m, review_status, then one column per question of the survey in the definition's order
(select_multiple answers space-separated, as XLSForm stores them; an image question holds the
attachment's file name, never the photo).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from surveys.definitions import Question, SurveyDefinition
from surveys.errors import Problem, Text
from surveys.exports.spreadsheets import csv_cell
from surveys.exports.xlsx_stream import MAX_ROWS, stream_xlsx
from surveys.indicators.report import Period
from surveys.models import Commune, Submission, User, Village
from surveys.places.vntime import VIETNAM

BASE_COLUMNS = ("id", "instance_id", "village", "surveyor", "collected_at", "received_at", "lat",
                "lon", "accuracy_m", "review_status")
AnySelect = Select[*tuple[Any, ...]]  # the columns depend on the survey definition
BATCH = 500  # rows fetched per round trip
ROWS_PER_CHUNK = 200  # rows per piece of the response
STATUS = re.compile(r"^[a-z_]{1,16}$")
# Above this many rows the sheet may pass 2 GiB uncompressed: its ZIP entry then uses ZIP64.
ZIP64_ROWS = 250_000
# A text cell starting with one of these is a formula to Excel: CSV cells of free-text answers
# get a leading apostrophe (OWASP "CSV injection"). XLSX cells are inline strings, never formulas.


@dataclass(frozen=True)
class ExportFilter:
    village: Village | None = None
    period: Period | None = None
    status: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"village": self.village.slug if self.village else None,
                "period": self.period.label if self.period else None, "status": self.status}


def parse_status(value: str | None) -> str | None:
    if not value:
        return None
    if not STATUS.match(value):
        raise Problem("422.1", errors={"status": Text("Trạng thái duyệt không hợp lệ.",
                                                      "Not a review status.")})
    return value


def header(definition: SurveyDefinition) -> list[str]:
    return [*BASE_COLUMNS, *(q.name for q in definition.questions)]


def _query(commune: Commune, definition: SurveyDefinition, where: ExportFilter) -> AnySelect:
    query: AnySelect = (select(Submission.id, Submission.instance_id, Village.slug, User.username,
                    Submission.collected_at, Submission.received_at, Submission.lat,
                    Submission.lon, Submission.accuracy_m, Submission.review_status,
                    Submission.answers)
             .join(Village, Village.id == Submission.village_id)
             .join(User, User.id == Submission.surveyor_id)
             .where(Submission.commune_id == commune.id, Submission.survey == definition.name))
    if where.village is not None:
        query = query.where(Submission.village_id == where.village.id)
    if where.period is not None:
        query = query.where(Submission.collected_at >= where.period.start,
                            Submission.collected_at < where.period.end)
    if where.status is not None:
        query = query.where(Submission.review_status == where.status)
    return query


def count_rows(session: Session, commune: Commune, definition: SurveyDefinition,
               where: ExportFilter) -> int:
    subquery = _query(commune, definition, where).with_only_columns(Submission.id).subquery()
    return session.scalar(select(func.count()).select_from(subquery)) or 0


def _answer(question: Question, value: Any) -> Any:
    if value is None:
        return None
    if question.type == "select_multiple" and isinstance(value, list):
        return " ".join(str(v) for v in value)
    return value


def rows(session: Session, commune: Commune, definition: SurveyDefinition,
         where: ExportFilter) -> Iterator[list[Any]]:
    """One list per submission, oldest first: typed values (datetimes in Vietnam time, None for
    no answer). Lazy: the query runs at the first `next()`."""
    questions = definition.questions
    query = _query(commune, definition, where).order_by(Submission.id)
    for (sid, instance_id, village, surveyor, collected, received, lat, lon, accuracy, status,
         answers) in session.execute(query.execution_options(yield_per=BATCH)):
        answers = answers or {}
        yield [sid, instance_id, village, surveyor, collected.astimezone(VIETNAM),
               received.astimezone(VIETNAM), lat, lon, accuracy, status,
               *(_answer(q, answers.get(q.name)) for q in questions)]


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def csv_chunks(columns: list[str], records: Iterator[list[Any]]) -> Iterator[bytes]:
    """UTF-8 with a BOM (so Excel reads Vietnamese letters), the header first and alone; text that
    a spreadsheet could run as a formula gets a leading ' (surveys/exports/spreadsheets.py)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    for count, record in enumerate(records, start=1):
        writer.writerow(["" if value is None else csv_cell(_plain(value)) for value in record])
        if count % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def geojson_chunks(columns: list[str], records: Iterator[list[Any]]) -> Iterator[bytes]:
    """A FeatureCollection written feature by feature ([lon, lat]; null geometry without a
    location); the properties are the CSV columns except lat and lon."""
    lat_index, lon_index = columns.index("lat"), columns.index("lon")
    keep = [i for i in range(len(columns)) if i not in (lat_index, lon_index)]
    yield b'{"type": "FeatureCollection", "features": [\n'
    pieces: list[str] = []
    for count, record in enumerate(records):
        lat, lon = record[lat_index], record[lon_index]
        feature = {"type": "Feature", "id": record[0],
                   "geometry": None if lat is None or lon is None
                   else {"type": "Point", "coordinates": [lon, lat]},
                   "properties": {columns[i]: _plain(record[i]) for i in keep}}
        pieces.append(("" if count == 0 else ",\n") + json.dumps(feature, ensure_ascii=False))
        if len(pieces) >= ROWS_PER_CHUNK:
            yield "".join(pieces).encode("utf-8")
            pieces.clear()
    pieces.append("\n]}\n")
    yield "".join(pieces).encode("utf-8")


def xlsx_chunks(columns: list[str], records: Iterator[list[Any]], *, sheet_name: str,
                expected_rows: int) -> Iterator[bytes]:
    local = ((v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in record)
             for record in records)
    return stream_xlsx(columns, (list(r) for r in local), sheet_name=sheet_name,
                       zip64=expected_rows > ZIP64_ROWS, rows_per_chunk=ROWS_PER_CHUNK)


@dataclass(frozen=True)
class Format:
    mimetype: str
    render: Callable[..., Iterator[bytes]]


FORMATS = {
    "csv": Format("text/csv; charset=utf-8", csv_chunks),
    "xlsx": Format("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx_chunks),
    "geojson": Format("application/geo+json", geojson_chunks),
}


def export(session: Session, commune: Commune, definition: SurveyDefinition, where: ExportFilter,
           fmt: str, *, sheet_name: str = "Phiếu hộ") -> Iterator[bytes]:
    """The chosen format's bytes, lazily. XLSX refuses more rows than a sheet holds (422)."""
    columns = header(definition)
    records = rows(session, commune, definition, where)
    if fmt == "csv":
        return csv_chunks(columns, records)
    if fmt == "geojson":
        return geojson_chunks(columns, records)
    expected = count_rows(session, commune, definition, where)
    if expected >= MAX_ROWS:
        raise Problem("422.1", errors={"format": Text(
            f"Quá {MAX_ROWS - 1} phiếu cho một trang tính Excel; hãy tải CSV hoặc lọc theo kỳ.",
            f"More than {MAX_ROWS - 1} rows do not fit in an Excel sheet; download CSV or filter "
            "by period.")})
    return xlsx_chunks(columns, records, sheet_name=sheet_name, expected_rows=expected)
