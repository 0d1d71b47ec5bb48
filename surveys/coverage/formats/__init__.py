"""Upload formats, one module each, in one registry; detected from the file's start."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol

from surveys.coverage.validate import Issue


@dataclass
class RawRecord:
    line: int
    values: dict[str, Any]
    columns: dict[str, str] = field(default_factory=dict)  # canonical field → the file's column


class Format(Protocol):
    name: str
    label: str

    def matches(self, head: bytes) -> bool: ...

    def records(self, stream: BinaryIO) -> Iterator[RawRecord | Issue]: ...


def _registry() -> dict[str, Format]:
    from surveys.coverage.formats import geojson_points, phusong_csv

    formats: list[Format] = [phusong_csv.FORMAT, geojson_points.FORMAT]
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
