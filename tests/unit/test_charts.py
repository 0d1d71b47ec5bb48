"""The SVG charts: exact elements, labels and widths for known values; text escaped; accessible."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from surveys.indicators.charts import (
    STATUS_COLOURS,
    TECHNOLOGY_COLOURS,
    Bar,
    MapHex,
    MapPlace,
    Point,
    commune_map,
    progress_bar,
    trend_chart,
    vi_percent,
    village_bars,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # well-formed XML, or this raises
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.get("aria-label") and root[0].tag == f"{SVG}title"
    assert root[0].text == root.get("aria-label")
    return root


def all_of(root: ET.Element, tag: str, css: str | None = None) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}{tag}") if css is None or e.get("class") == css]


def test_vi_percent_uses_a_decimal_comma() -> None:
    assert vi_percent(62.4) == "62,4 %"
    assert vi_percent(100) == "100,0 %"


def test_village_bars_widths_whiskers_target_and_labels() -> None:
    svg = village_bars([Bar("Thôn 1", 50.0, 40.0, 60.0, "met", "n = 40"),
                        Bar("Thôn 2", 100.0, 90.0, 100.0, "behind"),
                        Bar("Thôn 3", None)],
                       title="Hộ dùng cáp quang theo thôn", target=80.0, target_label="Chỉ tiêu 80 %")
    root = parse(svg)
    assert root.get("viewBox") == "0 0 360 120"  # 20 + 3 rows × 26 + 22
    bars = all_of(root, "rect", "bar")
    assert len(bars) == 3  # every village keeps its row, even without data
    # The plot runs from x = 122 to 298 (176 px for 0–100 %).
    assert [b.get("width") for b in bars] == ["88", "176", "0"]
    assert [b.get("fill") for b in bars] == [STATUS_COLOURS["met"], STATUS_COLOURS["behind"],
                                             STATUS_COLOURS[None]]
    whiskers = all_of(root, "path", "ci")
    assert len(whiskers) == 2
    assert whiskers[0].get("d") == "M192.4 28v10M192.4 33H227.6M227.6 28v10"
    [target] = all_of(root, "line", "target")
    assert target.get("x1") == target.get("x2") == "262.8"
    assert [t.text for t in all_of(root, "text", "label")] == ["Thôn 1", "Thôn 2", "Thôn 3"]
    assert [t.text for t in all_of(root, "text", "value")] == ["50,0 %", "100,0 %", "—"]
    assert [t.text for t in all_of(root, "text", "target-label")] == ["Chỉ tiêu 80 %"]
    assert [t.text for t in all_of(root, "text", "tick")] == ["0 %", "50 %", "100 %"]
    tips = [g.find(f"{SVG}title").text for g in all_of(root, "g", "row")]
    assert tips == ["Thôn 1: 50,0 % (40,0–60,0), n = 40", "Thôn 2: 100,0 % (90,0–100,0)",
                    "Thôn 3: —"]


def test_village_bars_without_target_and_with_an_english_formatter() -> None:
    root = parse(village_bars([Bar("Village A", 25.0)], title="By village",
                              percent=lambda v: f"{v:.1f} %"))
    assert not all_of(root, "line", "target") and not all_of(root, "path", "ci")
    assert root.get("viewBox") == "0 0 360 54"
    assert all_of(root, "rect", "bar")[0].get("width") == "44"
    assert all_of(root, "text", "value")[0].text == "25.0 %"


def test_text_is_escaped_and_long_names_shortened() -> None:
    svg = village_bars([Bar('<script>alert("x")</script> & a very long village name', 10.0)],
                       title='A <b>"title"</b> & more')
    assert "<script>" not in svg and "<b>" not in svg
    root = parse(svg)
    assert root.get("aria-label") == 'A <b>"title"</b> & more'
    label = all_of(root, "text", "label")[0].text
    assert len(label) == 18 and label.endswith("…")
    assert all_of(root, "g", "row")[0].find(f"{SVG}title").text.startswith('<script>alert("x")')


def test_trend_chart_points_whiskers_line_and_labels() -> None:
    svg = trend_chart([Point("2026-Q1", 40.0, 30.0, 50.0, "n = 12"), Point("2026-Q2", None),
                       Point("2026-Q3", 55.0, 45.0, 65.0)], title="Xu hướng", target=70.0)
    root = parse(svg)
    points = all_of(root, "circle", "point")
    assert len(points) == 2  # a period without a value has no point
    # x from 64 to 322; y: 168 at 0 %, 14 at 100 % (1.54 per percent)
    assert [(p.get("cx"), p.get("cy")) for p in points] == [("64", "106.4"), ("322", "83.3")]
    assert all_of(root, "polyline", "trend")[0].get("points") == "64,106.4 322,83.3"
    assert len(all_of(root, "path", "ci")) == 2
    assert len(all_of(root, "line", "grid")) == 5
    [target] = all_of(root, "line", "target")
    assert target.get("y1") == target.get("y2") == "60.2"
    assert [t.text for t in all_of(root, "text", "period-label")] == ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert all_of(root, "g", "period")[0].find(f"{SVG}title").text == \
        "2026-Q1: 40,0 % (30,0–50,0), n = 12"


def test_trend_chart_labels_at_most_six_periods_and_one_point_is_centred() -> None:
    many = [Point(f"2026-{m:02d}", 50.0) for m in range(1, 13)]
    root = parse(trend_chart(many, title="t"))
    assert len(all_of(root, "circle", "point")) == 12
    assert [t.text for t in all_of(root, "text", "period-label")] == [
        "2026-01", "2026-03", "2026-05", "2026-07", "2026-09", "2026-11", "2026-12"]
    single = parse(trend_chart([Point("2026-Q4", 10.0)], title="t"))
    assert all_of(single, "circle", "point")[0].get("cx") == "193"
    assert not all_of(single, "polyline")


def test_progress_bar_widths_are_the_percentages() -> None:
    root = parse(progress_bar(62.4, title="Cáp quang: 62,4 %", target=80.0, low=55.1, high=69.2,
                              status="behind"))
    assert root.get("viewBox") == "0 0 100 14" and root.get("preserveAspectRatio") == "none"
    [track] = all_of(root, "rect", "track")
    [fill] = all_of(root, "rect", "fill")
    assert (track.get("width"), fill.get("width")) == ("100", "62.4")
    assert fill.get("fill") == STATUS_COLOURS["behind"]
    [ci] = all_of(root, "line", "ci")
    assert (ci.get("x1"), ci.get("x2")) == ("55.1", "69.2")
    [target] = all_of(root, "line", "target")
    assert target.get("x1") == "80"
    over = parse(progress_bar(130.0, title="130 %"))  # more surveys than known households
    assert all_of(over, "rect", "fill")[0].get("width") == "100"
    empty = parse(progress_bar(None, title="—"))
    assert not all_of(empty, "rect", "fill") and not all_of(empty, "line")


SQUARE = {"type": "Polygon", "coordinates": [[[106.0, 16.0], [106.1, 16.0], [106.1, 16.1],
                                              [106.0, 16.1], [106.0, 16.0]]]}


def test_commune_map_projects_boundary_villages_and_hexes() -> None:
    hexagon = [(16.05, 106.04), (16.06, 106.05), (16.05, 106.06), (16.04, 106.05)]
    svg = commune_map(SQUARE, [MapPlace("Thôn 1", 16.05, 106.05, "met", "80,0 %")],
                      [MapHex(hexagon, "4g", "4G"), MapHex(hexagon, None)], title="Bản đồ")
    root = parse(svg)
    # cos(16.05°) = 0.961: the 0.1° square fills 572 px across, so 0.1° of latitude is
    # 572 / 0.961 = 595.2 px, plus 14 px of margin on each side
    assert root.get("viewBox") == "0 0 600 623.2"
    [boundary] = all_of(root, "path", "boundary")
    assert boundary.get("d") == "M14 609.2L586 609.2L586 14L14 14L14 609.2Z"
    hexes = all_of(root, "path", "hex")
    assert [h.get("fill") for h in hexes] == [TECHNOLOGY_COLOURS["4g"], TECHNOLOGY_COLOURS[None]]
    assert hexes[0].get("data-category") == "4g" and hexes[1].get("data-category") is None
    [village] = all_of(root, "g", "village")
    circle = village.find(f"{SVG}circle")
    assert (circle.get("cx"), circle.get("cy"), circle.get("fill")) == ("300", "311.6",
                                                                        STATUS_COLOURS["met"])
    assert village.find(f"{SVG}title").text == "Thôn 1: 80,0 %"
    assert village.find(f"{SVG}text").text == "Thôn 1"


def test_commune_map_reads_multipolygons_and_features_and_survives_no_data() -> None:
    multi = {"type": "Feature", "geometry": {"type": "MultiPolygon",
                                             "coordinates": [SQUARE["coordinates"]] * 2}}
    root = parse(commune_map(multi, [], [], title="m"))
    assert all_of(root, "path", "boundary")[0].get("d").count("M") == 2
    empty = parse(commune_map(None, [], [], title="m"))
    assert empty.get("viewBox") == "0 0 600 28" and not list(empty)[1:]


def test_charts_are_small() -> None:
    bars = village_bars([Bar(f"Thôn {i}", 50.0 + i, 40.0, 60.0, "on_track") for i in range(12)],
                        title="t", target=80.0)
    assert len(bars.encode()) < 8_000
    assert not re.search(r"\d\.\d\d", bars)  # coordinates are rounded to one decimal
