"""surveys/collection/quality_flags.py: one entry per flag holds its code, rule, order and words."""

from __future__ import annotations

from datetime import UTC, datetime

from surveys.collection import quality_flags
from surveys.collection.quality_rules import Context, QualityLimits, Values


def test_each_flag_is_one_entry_with_both_languages() -> None:
    codes = [flag.code for flag in quality_flags.FLAGS]
    assert len(codes) == len(set(codes)) and tuple(codes) == quality_flags.FLAG_CODES
    assert quality_flags.FLAG_CODES == (  # the contract's codes, in the contract's order
        "gps_mock", "gps_inaccurate", "outside_commune", "far_from_village",
        "duplicate_household", "implausible", "too_fast", "time_out_of_range")
    for flag in quality_flags.FLAGS:
        assert flag.label.vi and flag.label.en and flag.label.vi != flag.label.en


def test_flags_come_out_in_the_registrys_order_with_their_words() -> None:
    now = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)
    values = Values(lat=16.8, lon=107.0, accuracy_m=0, answers={"consent": "yes",
                                                                "members_total": 40},
                    collected_at=now, received_at=now, started_at=now)
    flags = quality_flags.evaluate(values, Context(), QualityLimits())
    assert list(flags) == ["gps_mock", "implausible", "too_fast"]
    assert quality_flags.describe("too_fast", flags["too_fast"], "en") == [
        "Filled in 0 seconds; at least 120 are expected."]
    assert quality_flags.describe("implausible", flags["implausible"], "vi") == [
        "Số người trong hộ nhiều bất thường: 40 (thường không quá 15)."]
    assert quality_flags.label("gps_mock", "vi") == "Vị trí giả lập"
    assert quality_flags.describe("no_such_flag", {}, "vi") == []


def test_numbers_are_written_as_the_reader_writes_them() -> None:
    details = {"accuracy_m": 150.5, "limit_m": 100}
    assert quality_flags.describe("gps_inaccurate", details, "vi") == [
        "Độ chính xác GPS ±150,5 m; giới hạn là 100 m."]
    assert quality_flags.describe("gps_inaccurate", details, "en") == [
        "GPS accuracy ±150.5 m; the limit is 100 m."]
