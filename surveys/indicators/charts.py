"""Small server-rendered SVG charts: pure functions from numbers to an SVG string. No Flask.

Every chart is one `<svg role="img" aria-label=…>` with a `<title>`, scales with its container
(a viewBox, no fixed pixel width) and weighs a few kilobytes. Text is escaped here; callers pass
labels already translated and a `percent` formatter for the reader's conventions ("62,4 %").
Colours of a status always come with a text label next to the chart: never colour alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from html import escape
from typing import Any, NamedTuple

# Status colours (met … baseline) and signal classes; distinguishable in grey too (lightness).
STATUS_COLOURS = {"met": "#1e6b2f", "on_track": "#2f6fb0", "behind": "#b3261e",
                  "no_trajectory": "#6a4c93", "unweighted": "#9c4a00",
                  "insufficient_data": "#8a96a0", "baseline": "#8a6d00", None: "#0b5d5b"}
# A coverage hexagon by the best technology usable in it (None: no usable mobile coverage).
TECHNOLOGY_COLOURS = {"5g": "#1e7b3a", "4g": "#8cc265", "3g": "#f2c94c", "2g": "#f08a4b",
                      None: "#b3261e"}
WIDTH = 360  # the viewBox width of bar and line charts: a phone's width, scaled up on a desktop


class Bar(NamedTuple):
    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    status: str | None = None
    note: str = ""  # extra words for the bar's tooltip, e.g. "n = 40"


class Point(NamedTuple):
    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    note: str = ""


class MapPlace(NamedTuple):
    label: str
    lat: float
    lon: float
    status: str | None = None
    note: str = ""


class MapHex(NamedTuple):
    boundary: Sequence[tuple[float, float]]  # (lat, lon) corners, as h3.cell_to_boundary gives
    category: str | None  # a key of the map's hex_colours, e.g. the best technology
    note: str = ""


def vi_percent(value: float) -> str:
    """62.4 → "62,4 %": the default formatter (Vietnamese decimal comma)."""
    return f"{value:.1f}".replace(".", ",") + " %"


def _f(x: float) -> str:
    """A coordinate: at most one decimal, no trailing zero."""
    return f"{round(x, 1):g}"


def _attrs(**attributes: Any) -> str:
    return "".join(f' {k.rstrip("_").replace("_", "-")}="{escape(str(v))}"'
                   for k, v in attributes.items() if v is not None)


def _svg(width: float, height: float, title: str, body: Iterable[str], css: str,
         **extra: Any) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" role="img"'
            f' viewBox="0 0 {_f(width)} {_f(height)}"{_attrs(aria_label=title, **extra)}>'
            f"<title>{escape(title)}</title>{''.join(body)}</svg>")


def _shorten(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[:limit - 1] + "…"


def _interval(low: float | None, high: float | None, percent: Callable[[float], str]) -> str:
    if low is None or high is None:
        return ""
    return f" ({percent(low).removesuffix(' %')}–{percent(high).removesuffix(' %')})"


def village_bars(bars: Sequence[Bar], *, title: str, target: float | None = None,
                 target_label: str = "", percent: Callable[[float], str] = vi_percent,
                 no_data: str = "—") -> str:
    """One horizontal bar per village (0–100 %), its 95 % interval as a whisker, the target as a
    dashed vertical line. A village without a value keeps its row, with a zero-width bar."""
    label_w, value_w, row_h, bar_h = 118, 62, 26, 16
    top = 20 if target is not None else 6
    x0, x1 = label_w + 4, WIDTH - value_w
    plot = x1 - x0
    height = top + row_h * len(bars) + 22

    def x(value: float) -> float:
        return x0 + plot * min(100.0, max(0.0, value)) / 100

    body = []
    for i, bar in enumerate(bars):
        y = top + i * row_h
        mid = y + row_h / 2
        words = percent(bar.value) + _interval(bar.low, bar.high, percent) if bar.value is not None \
            else no_data
        tip = f"{bar.label}: {words}" + (f", {bar.note}" if bar.note else "")
        width = 0.0 if bar.value is None else x(bar.value) - x0
        parts = [f"<title>{escape(tip)}</title>",
                 f'<text class="label" x="{label_w}" y="{_f(mid + 4)}" text-anchor="end">'
                 f"{escape(_shorten(bar.label, 18))}</text>",
                 f'<rect class="bar"{_attrs(x=_f(x0), y=_f(mid - bar_h / 2), width=_f(width), height=bar_h)}'
                 f' fill="{STATUS_COLOURS.get(bar.status, STATUS_COLOURS[None])}"/>']
        if bar.low is not None and bar.high is not None:
            a, b = _f(x(bar.low)), _f(x(bar.high))
            parts.append(f'<path class="ci" d="M{a} {_f(mid - 5)}v10M{a} {_f(mid)}H{b}M{b} {_f(mid - 5)}v10"'
                         ' stroke="#1b1f23" stroke-width="1.5" fill="none"/>')
        parts.append(f'<text class="value" x="{WIDTH - 2}" y="{_f(mid + 4)}" text-anchor="end">'
                     f"{escape(percent(bar.value) if bar.value is not None else no_data)}</text>")
        body.append(f'<g class="row">{"".join(parts)}</g>')
    axis_y = top + row_h * len(bars)
    body.append(f'<line class="axis" x1="{_f(x0)}" y1="{_f(axis_y)}" x2="{_f(x1)}" y2="{_f(axis_y)}"'
                ' stroke="#505b65"/>')
    for tick in (0, 50, 100):
        body.append(f'<text class="tick" x="{_f(x(tick))}" y="{_f(axis_y + 16)}" text-anchor="middle">'
                    f"{tick} %</text>")
    if target is not None:
        tx = _f(x(target))
        body.append(f'<line class="target" x1="{tx}" y1="{top - 4}" x2="{tx}" y2="{_f(axis_y)}"'
                    ' stroke="#1b1f23" stroke-width="1.5" stroke-dasharray="4 3"/>')
        anchor = "end" if target > 60 else "start"
        body.append(f'<text class="target-label" x="{tx}" y="12" text-anchor="{anchor}">'
                    f"{escape(target_label or percent(target))}</text>")
    return _svg(WIDTH, height, title, body, "bars", font_size="12")


def trend_chart(points: Sequence[Point], *, title: str, target: float | None = None,
                target_label: str = "", percent: Callable[[float], str] = vi_percent) -> str:
    """A line through the periods' values (0–100 %) with each period's interval as a whisker."""
    height, x0, x1, y0, y1 = 200, 40, WIDTH - 14, 14, 168

    def y(value: float) -> float:
        return y1 - (y1 - y0) * min(100.0, max(0.0, value)) / 100

    def x(i: int) -> float:
        first, last = x0 + 24, x1 - 24  # room for the first and last period's label
        return (first + last) / 2 if len(points) == 1 else first + (last - first) * i / (len(points) - 1)

    body = []
    for tick in (0, 25, 50, 75, 100):
        ty = _f(y(tick))
        body.append(f'<line class="grid" x1="{x0}" y1="{ty}" x2="{x1}" y2="{ty}" stroke="#dfe4e8"/>')
        body.append(f'<text class="tick" x="{x0 - 4}" y="{_f(y(tick) + 4)}" text-anchor="end">'
                    f"{tick} %</text>")
    if target is not None:
        ty = _f(y(target))
        body.append(f'<line class="target" x1="{x0}" y1="{ty}" x2="{x1}" y2="{ty}" stroke="#1b1f23"'
                    ' stroke-width="1.5" stroke-dasharray="4 3"/>')
        body.append(f'<text class="target-label" x="{x1}" y="{_f(y(target) - 4)}" text-anchor="end">'
                    f"{escape(target_label or percent(target))}</text>")
    valued = [(x(i), y(p.value)) for i, p in enumerate(points) if p.value is not None]
    if len(valued) > 1:
        line = " ".join(f"{_f(a)},{_f(b)}" for a, b in valued)
        body.append(f'<polyline class="trend" points="{line}" fill="none" stroke="#0b5d5b"'
                    ' stroke-width="2"/>')
    step = max(1, math.ceil(len(points) / 6))  # at most six period labels on a phone
    for i, point in enumerate(points):
        px = _f(x(i))
        if point.value is not None:
            words = percent(point.value) + _interval(point.low, point.high, percent)
            tip = f"{point.label}: {words}" + (f", {point.note}" if point.note else "")
            parts = [f"<title>{escape(tip)}</title>"]
            if point.low is not None and point.high is not None:
                a, b = _f(y(point.high)), _f(y(point.low))
                parts.append(f'<path class="ci" d="M{_f(x(i) - 4)} {a}h8M{px} {a}V{b}M{_f(x(i) - 4)} {b}h8"'
                             ' stroke="#1b1f23" stroke-width="1.5" fill="none"/>')
            parts.append(f'<circle class="point" cx="{px}" cy="{_f(y(point.value))}" r="4"'
                         ' fill="#0b5d5b"/>')
            body.append(f'<g class="period">{"".join(parts)}</g>')
        if i % step == 0 or i == len(points) - 1:
            body.append(f'<text class="period-label" x="{px}" y="{height - 12}" text-anchor="middle">'
                        f"{escape(point.label)}</text>")
    return _svg(WIDTH, height, title, body, "trend", font_size="12")


def progress_bar(value: float | None, *, title: str, target: float | None = None,
                 low: float | None = None, high: float | None = None,
                 status: str | None = None) -> str:
    """A 0–100 % bar: the value filled in its status colour, the interval as a thin line, the
    target as a tick. viewBox units are percent, so widths read as the numbers themselves."""
    body = ['<rect class="track" x="0" y="2" width="100" height="10" fill="#e4e9ed"/>']
    if value is not None:
        body.append(f'<rect class="fill" x="0" y="2" width="{_f(min(100.0, max(0.0, value)))}"'
                    f' height="10" fill="{STATUS_COLOURS.get(status, STATUS_COLOURS[None])}"/>')
    if low is not None and high is not None:
        body.append(f'<line class="ci" x1="{_f(low)}" y1="7" x2="{_f(high)}" y2="7" stroke="#1b1f23"'
                    ' stroke-width="2" vector-effect="non-scaling-stroke"/>')
    if target is not None:
        tx = _f(min(100.0, max(0.0, target)))
        body.append(f'<line class="target" x1="{tx}" y1="0" x2="{tx}" y2="14" stroke="#1b1f23"'
                    ' stroke-width="2" vector-effect="non-scaling-stroke"/>')
    return _svg(100, 14, title, body, "progress", preserveAspectRatio="none")


def _rings(geometry: Mapping[str, Any] | None) -> list[list[tuple[float, float]]]:
    """The (lon, lat) rings of a GeoJSON Polygon or MultiPolygon (or a Feature holding one)."""
    if not geometry:
        return []
    if geometry.get("type") == "Feature":
        return _rings(geometry.get("geometry"))
    if geometry.get("type") == "Polygon":
        polygons = [geometry["coordinates"]]
    elif geometry.get("type") == "MultiPolygon":
        polygons = geometry["coordinates"]
    else:
        return []
    return [[(float(p[0]), float(p[1])) for p in ring] for polygon in polygons for ring in polygon]


def commune_map(boundary: Mapping[str, Any] | None, places: Sequence[MapPlace],
                hexes: Sequence[MapHex], *, title: str, width: int = 600, max_height: int = 640,
                hex_colours: Mapping[str | None, str] = TECHNOLOGY_COLOURS) -> str:
    """A static map: coverage hexagons under the commune boundary, villages as dots coloured by
    status and named. Equirectangular, x scaled by cos(latitude): true to shape at a commune's
    size, no tiles, prints anywhere."""
    rings = _rings(boundary)
    lons = [lon for ring in rings for lon, _ in ring] + [p.lon for p in places] \
        + [lon for h in hexes for _lat, lon in h.boundary]
    lats = [lat for ring in rings for _, lat in ring] + [p.lat for p in places] \
        + [lat for h in hexes for lat, _lon in h.boundary]
    pad = 14
    if not lons:
        return _svg(width, 2 * pad, title, [], "map")
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    shrink = math.cos(math.radians((south + north) / 2))
    span_x, span_y = max((east - west) * shrink, 1e-6), max(north - south, 1e-6)
    scale = min((width - 2 * pad) / span_x, (max_height - 2 * pad) / span_y)
    height = span_y * scale + 2 * pad
    left = (width - span_x * scale) / 2

    def xy(lon: float, lat: float) -> str:
        return f"{_f(left + (lon - west) * shrink * scale)} {_f(pad + (north - lat) * scale)}"

    body = []
    for cell in hexes:
        d = "M" + "L".join(xy(lon, lat) for lat, lon in cell.boundary) + "Z"
        tip = f"<title>{escape(cell.note)}</title>" if cell.note else ""
        body.append(f'<path class="hex"{_attrs(data_category=cell.category)} d="{d}"'
                    f' fill="{hex_colours.get(cell.category, hex_colours[None])}"'
                    f' fill-opacity=".6" stroke="#fff" stroke-width=".5">{tip}</path>')
    if rings:
        d = "".join("M" + "L".join(xy(lon, lat) for lon, lat in ring) + "Z" for ring in rings)
        body.append(f'<path class="boundary" d="{d}" fill="none" stroke="#1b1f23" stroke-width="2"'
                    ' stroke-linejoin="round"/>')
    for place in places:
        cx, cy = xy(place.lon, place.lat).split()
        tip = place.label + (f": {place.note}" if place.note else "")
        body.append(f'<g class="village"><title>{escape(tip)}</title>'
                    f'<circle cx="{cx}" cy="{cy}" r="6" stroke="#fff" stroke-width="2"'
                    f' fill="{STATUS_COLOURS.get(place.status, STATUS_COLOURS[None])}"/>'
                    f'<text x="{_f(float(cx) + 9)}" y="{_f(float(cy) + 4)}" paint-order="stroke"'
                    f' stroke="#fff" stroke-width="3">{escape(place.label)}</text></g>')
    return _svg(width, height, title, body, "map", font_size="13")
