"""Upload formats, one module each, in one registry; detected from the file's start."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, BinaryIO, Protocol

from surveys.coverage.validate import Issue
from surveys.errors import Text

# A record's columns when the file's names are ours: one shared, read-only mapping, since a
# dict per record would cost an allocation on every row of a large import.
NAMES_AS_IN_FILE: Mapping[str, str] = MappingProxyType({})


@dataclass(slots=True)
class RawRecord:
    line: int
    values: dict[str, Any]
    # canonical field → the file's column
    columns: Mapping[str, str] = field(default_factory=lambda: NAMES_AS_IN_FILE)


@dataclass(frozen=True)
class Source:
    """What a format may need besides the bytes: Ookla's tiles carry their quarter and layer only
    in the file's name."""

    filename: str
    received_at: datetime


class Format(Protocol):
    name: str
    label: Text  # shown on the upload page, in the reader's language

    def matches(self, head: bytes) -> bool: ...

    def records(self, stream: BinaryIO, source: Source) -> Iterator[RawRecord | Issue]: ...


def unreadable(line: int) -> Issue:
    """The error of a CSV row the reader could not read (surveys/coverage/reading.py)."""
    from surveys.coverage.reading import MAX_FIELD_CHARS
    return Issue(line, "", "", "unreadable_row", "error", {"limit": MAX_FIELD_CHARS})


def missing_columns(fmt: Format, head: bytes) -> list[str]:
    """The columns a format needs that the file's first line lacks ([] when none, or when the
    format has no header to check)."""
    check = getattr(fmt, "missing_columns", None)
    return list(check(head)) if check is not None else []


def _registry() -> dict[str, Format]:
    from surveys.coverage.formats import geojson_points, gnettrack, ookla, opencellid, phusong_csv

    # Order matters for detection: the most specific headers first, ours last but one, and
    # OpenCelliD (which may have no header at all) after every format with a header.
    formats: list[Format] = [gnettrack.FORMAT, ookla.CSV, ookla.GEOJSON, phusong_csv.FORMAT,
                             geojson_points.FORMAT, opencellid.FORMAT]
    return {f.name: f for f in formats}


FORMATS: dict[str, Format] = {}


def formats() -> dict[str, Format]:
    if not FORMATS:
        FORMATS.update(_registry())
    return FORMATS


def detect(stream: BinaryIO) -> Format | None:
    start = stream.tell()
    head = stream.read(64 * 1024)
    stream.seek(start)
    for candidate in formats().values():
        if candidate.matches(head):
            return candidate
    return None
