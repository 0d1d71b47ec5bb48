"""The quality flags, one registry: per flag its code (a contract: the API, the review queue's
filter, the API docs use it), its rule (surveys/collection/quality_rules.py), its place in the order
flags are stored and shown (the registry's order), its label and the sentences the review page
shows about what it rests on, in Vietnamese and English. A new flag is one entry here (with its
rule, and its paragraph in docs/quality.md). Pure: no database, no Flask.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from babel.numbers import format_decimal

from surveys.collection import quality_rules as rules
from surveys.collection.quality_rules import Context, Details, Flags, QualityLimits, Values
from surveys.errors import Text

Rule = Callable[[Values, Context, QualityLimits], Details]
Describe = Callable[[Mapping[str, Any], str], list[Text]]


@dataclass(frozen=True)
class QualityFlag:
    code: str
    label: Text
    rule: Rule
    describe: Describe  # (details, locale) -> what the flag rests on, a sentence each


def number(value: Any, locale: str) -> str:
    """A number as the reader writes it (1,5 in Vietnamese); anything else as text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_decimal(value, locale=locale)
    return str(value)


IMPLAUSIBLE_LABELS = {
    "many_adults": Text("Số người từ 15 tuổi trong hộ nhiều bất thường",
                        "Unusually many adults in one household"),
    "many_members": Text("Số người trong hộ nhiều bất thường",
                         "Unusually many people in one household"),
    "plan_faster_than_line": Text("Tốc độ gói cước vượt khả năng của loại kết nối này",
                                  "Plan speed above what this connection type carries"),
    "measured_faster_than_home": Text("Tốc độ đo được vượt mọi kết nối của hộ",
                                      "Measured speed above every connection of the home"),
    "bars_without_signal": Text("Có vạch sóng nhưng ghi là không có sóng",
                                "Signal bars reported with no signal"),
}


def _gps_mock(d: Mapping[str, Any], locale: str) -> list[Text]:
    return [Text("Độ chính xác báo đúng 0 m: GPS thật không bao giờ báo như vậy (vị trí giả lập).",
                 "Accuracy reported as exactly 0 m: no real GPS fix does that (mock location).")]


def _gps_inaccurate(d: Mapping[str, Any], locale: str) -> list[Text]:
    return [Text("Độ chính xác GPS ±{m} m; giới hạn là {limit} m.",
                 "GPS accuracy ±{m} m; the limit is {limit} m.").format(
        m=number(d.get("accuracy_m"), locale), limit=number(d.get("limit_m"), locale))]


def _outside_commune(d: Mapping[str, Any], locale: str) -> list[Text]:
    return [Text("Vị trí nằm ngoài địa giới hành chính của xã.",
                 "The location lies outside the commune's boundary.")]


def _far_from_village(d: Mapping[str, Any], locale: str) -> list[Text]:
    to = (Text("tính đến ranh giới thôn", "its boundary") if d.get("measured_to") == "boundary"
          else Text("tính đến tâm thôn", "its centre"))
    return [Text("Cách thôn đã chọn {km} km ({to}); giới hạn là {limit} km.",
                 "{km} km from the chosen village ({to}); the limit is {limit} km.").format(
        km=number(d.get("distance_km"), locale), to=to.get(locale),
        limit=number(d.get("limit_km"), locale))]


def _duplicate_household(d: Mapping[str, Any], locale: str) -> list[Text]:
    lines = []
    if d.get("household_code"):
        lines.append(Text("Trùng mã hộ {code} với một phiếu khác của thôn.",
                          "Same household code {code} as another survey of the village.").format(
            code=d["household_code"]))
    for near in d.get("nearby", []):
        lines.append(Text("Cách phiếu số {id} {m} m, {share}% câu trả lời giống nhau.",
                          "{m} m from survey no. {id}, with {share}% of the answers equal.").format(
            m=number(near.get("distance_m"), locale), id=near.get("id"),
            share=number(round(100 * near.get("similarity", 0)), locale)))
    return lines


def _implausible(d: Mapping[str, Any], locale: str) -> list[Text]:
    lines = []
    for r in d.get("rules", []):
        label = IMPLAUSIBLE_LABELS.get(r.get("rule"))
        lines.append(Text("{rule}: {value} (thường không quá {limit}).",
                          "{rule}: {value} (at most {limit} expected).").format(
            rule=label.get(locale) if label else r.get("rule"),
            value=number(r.get("value"), locale), limit=number(r.get("limit"), locale)))
    return lines


def _too_fast(d: Mapping[str, Any], locale: str) -> list[Text]:
    return [Text("Điền trong {s} giây; cần ít nhất {limit} giây.",
                 "Filled in {s} seconds; at least {limit} are expected.").format(
        s=number(d.get("seconds"), locale), limit=number(d.get("limit_seconds"), locale))]


def _time_out_of_range(d: Mapping[str, Any], locale: str) -> list[Text]:
    if d.get("reason") == "future":
        return [Text("Thời điểm khảo sát muộn hơn lúc máy chủ nhận {s} giây: đồng hồ điện thoại "
                     "chạy nhanh.",
                     "Collected {s} seconds after the server received it: the phone's clock is "
                     "ahead.").format(s=number(d.get("seconds_ahead"), locale))]
    return [Text("Khảo sát {days} ngày trước khi đợt {round} bắt đầu; tối đa {limit} ngày.",
                 "Collected {days} days before round {round} began; at most {limit}.").format(
        days=number(d.get("days_before"), locale), round=d.get("round"),
        limit=number(d.get("limit_days"), locale))]


# The order is the order flags are stored, listed and shown.
FLAGS: tuple[QualityFlag, ...] = (
    QualityFlag("gps_mock", Text("Vị trí giả lập", "Mock location"), rules.gps_mock, _gps_mock),
    QualityFlag("gps_inaccurate", Text("GPS kém chính xác", "Inaccurate GPS"),
                rules.gps_inaccurate, _gps_inaccurate),
    QualityFlag("outside_commune", Text("Ngoài địa giới xã", "Outside the commune"),
                rules.outside_commune, _outside_commune),
    QualityFlag("far_from_village", Text("Xa thôn đã chọn", "Far from the village"),
                rules.far_from_village, _far_from_village),
    QualityFlag("duplicate_household", Text("Có thể trùng hộ", "Possible duplicate household"),
                rules.duplicate_household, _duplicate_household),
    QualityFlag("implausible", Text("Câu trả lời khó tin", "Implausible answers"),
                rules.implausible, _implausible),
    QualityFlag("too_fast", Text("Điền quá nhanh", "Filled in too fast"), rules.too_fast,
                _too_fast),
    QualityFlag("time_out_of_range", Text("Thời điểm bất thường", "Date out of range"),
                rules.time_out_of_range, _time_out_of_range),
)
BY_CODE = {flag.code: flag for flag in FLAGS}
FLAG_CODES = tuple(BY_CODE)


def evaluate(v: Values, context: Context, limits: QualityLimits) -> Flags:
    """Every flag that applies, in the registry's order, with what it rests on."""
    flags: Flags = {}
    for flag in FLAGS:
        details = flag.rule(v, context, limits)
        if details is not None:
            flags[flag.code] = details
    return flags


def label(code: str, locale: str) -> str:
    """A flag's name in the reader's language (the code itself for an unknown one)."""
    flag = BY_CODE.get(code)
    return flag.label.get(locale) if flag is not None else code


def describe(code: str, details: Mapping[str, Any] | None, locale: str) -> list[str]:
    """What a flag rests on, in the reader's language: a sentence each."""
    flag = BY_CODE.get(code)
    if flag is None:
        return []
    return [text.get(locale) for text in flag.describe(details or {}, locale)]
