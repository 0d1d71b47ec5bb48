"""The statistics, checked against numbers worked out by hand (the arithmetic is spelled out)."""

from __future__ import annotations

import math
from datetime import date

import pytest

from surveys.indicators import (
    CATALOGUE,
    Estimate,
    Household,
    estimate,
    estimate_area,
    estimate_villages,
    wilson,
)
from surveys.models import Target
from surveys.targets import expected_by, status

Z = 1.959963984540054
A, B = 1, 2  # village A: 100 households; village B: 300


def paper_wilson(p: float, n: float) -> tuple[float, float]:
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return centre - half, centre + half


def household(village: int, fiber: bool, adults: int, smart: int, tech: str = "4g",
              lat: float | None = None, lon: float | None = None) -> Household:
    return Household(village, {"consent": "yes", "fixed_broadband": "fiber" if fiber else "none",
                               "members_adult": adults, "smartphone_users": smart,
                               "mobile_best_technology": tech}, lat, lon)


SAMPLE = [household(A, True, 2, 2), household(A, True, 2, 1), household(A, False, 1, 0),
          household(A, False, 3, 3), household(B, True, 2, 1), household(B, True, 4, 4)]


def test_wilson_matches_the_textbook() -> None:
    # Wilson (1927): 2 of 3 → 20.77 % to 93.85 %; 4 of 6 → 30.00 % to 90.32 %.
    assert tuple(round(x, 4) for x in wilson(2 / 3, 3)) == (0.2077, 0.9385)
    assert tuple(round(x, 4) for x in wilson(4 / 6, 6)) == (0.3000, 0.9032)
    assert wilson(0.0, 10)[0] == 0.0 and wilson(0.0, 10)[1] > 0.25  # never a [0, 0] interval


def test_household_share_weighted_by_village() -> None:
    # A: 2 of 4 on fibre, weight 100/4 = 25; B: 2 of 2, weight 300/2 = 150.
    # p = (25·2 + 150·2) / (25·4 + 150·2) = 350 / 400 = 0.875.
    # Var = [100²·(1 − 4/100)·s²_A/4 + 0] / 400², s²_A = var(1,1,0,0) = 1/3 → 800 / 160000 = 0.005.
    # Wilson on the effective n = 0.875·0.125 / 0.005 = 21.875.
    result = estimate(CATALOGUE["hh_fiber"], SAMPLE, {A: 100, B: 300})
    low, high = paper_wilson(0.875, 21.875)
    assert result == Estimate(87.5, round(100 * low, 2), round(100 * high, 2), 4, 6, 6, True)


def test_household_share_pooled_when_a_village_has_no_count() -> None:
    result = estimate(CATALOGUE["hh_fiber"], SAMPLE, {A: 100, B: None})
    low, high = paper_wilson(4 / 6, 6)
    assert result == Estimate(66.67, round(100 * low, 2), round(100 * high, 2), 4, 6, 6, False)


def test_person_ratio_with_households_as_clusters() -> None:
    # Smartphone users / adults. A: 6/8, weight 25; B: 5/6, weight 150.
    # R = (25·6 + 150·5) / (25·8 + 150·6) = 900 / 1100.
    r = 900 / 1100
    # Residuals z = y − R·x per household, their variance within each village:
    z_a = [2 - 2 * r, 1 - 2 * r, 0 - r, 3 - 3 * r]
    z_b = [1 - 2 * r, 4 - 4 * r]

    def s2(z: list[float]) -> float:
        m = sum(z) / len(z)
        return sum((v - m) ** 2 for v in z) / (len(z) - 1)

    variance = (100 ** 2 * (1 - 4 / 100) * s2(z_a) / 4
                + 300 ** 2 * (1 - 2 / 300) * s2(z_b) / 2) / 1100 ** 2
    half = Z * math.sqrt(variance)
    result = estimate(CATALOGUE["adult_smartphone"], SAMPLE, {A: 100, B: 300})
    assert result == Estimate(round(100 * r, 2), round(100 * max(0, r - half), 2),
                              round(100 * min(1, r + half), 2), 11, 14, 6, True)


def test_ratio_pooled_without_counts() -> None:
    # 11 / 14; SRS ratio variance s²_z / (n·x̄²) with z = y − R·x over all six households.
    r = 11 / 14
    pairs = [(2, 2), (1, 2), (0, 1), (3, 3), (1, 2), (4, 4)]
    z = [y - r * x for y, x in pairs]
    variance = sum(v * v for v in z) / 5 / (6 * (14 / 6) ** 2)
    result = estimate(CATALOGUE["adult_smartphone"], SAMPLE, {A: None, B: None})
    assert result.value == round(100 * r, 2) and result.weighted is False
    assert result.ci_low == round(100 * (r - Z * math.sqrt(variance)), 2)


def test_households_without_the_denominator_do_not_count_in_n() -> None:
    # smartphone_egov's denominator is smartphone users: A's third household has none.
    result = estimate(CATALOGUE["smartphone_egov"], SAMPLE, {A: 100, B: 300})
    assert result.n == 5 and result.denominator == 11


def test_no_data_gives_no_number() -> None:
    result = estimate(CATALOGUE["hh_fiber"], [], {})
    assert result.value is None and result.n == 0


def test_village_4g_rule() -> None:
    covered = [household(1, True, 1, 1, "4g")] * 4 + [household(1, True, 1, 1, "3g")]  # 80 %
    not_covered = [household(2, True, 1, 1, "4g")] * 3 + [household(2, True, 1, 1, "2g")] * 2
    too_few = [household(3, True, 1, 1, "5g")] * 4
    result = estimate_villages(covered + not_covered + too_few)
    low, high = paper_wilson(0.5, 2)
    assert result == Estimate(50.0, round(100 * low, 2), round(100 * high, 2), 1, 2, 2, False)


def test_area_cells_from_located_households() -> None:
    here = (16.7512, 106.9531)
    far = (16.80, 107.00)
    homes = [household(1, True, 1, 1, "5g", *here), household(1, True, 1, 1, "5g", *here),
             household(1, True, 1, 1, "4g", *far), household(1, True, 1, 1, "5g")]  # no GPS
    five_g = estimate_area("area_5g", homes, 8)
    four_g = estimate_area("area_4g", homes, 8)
    assert (five_g.numerator, five_g.denominator) == (1, 2)
    assert (four_g.numerator, four_g.denominator) == (2, 2)


def target(value: float | None, year: int | None, comparator: str | None = ">=",
           baseline: tuple[float, int] | None = None) -> Target:
    return Target(indicator="hh_fiber", comparator=comparator, value=value, target_year=year,
                  baseline_value=baseline[0] if baseline else None,
                  baseline_year=baseline[1] if baseline else None)


def est(low: float, high: float, n: int = 100) -> Estimate:
    return Estimate((low + high) / 2, low, high, 0, 0, n, True)


@pytest.mark.parametrize(("estimate_", "target_", "today", "expected"), [
    (est(85, 95), target(85, 2030), date(2026, 6, 1), "met"),  # lower bound reaches ≥ 85
    (est(85, 95), target(85, 2030, ">"), date(2026, 6, 1), "on_track"),  # > 85 not yet sure
    (est(50, 60), target(100, 2030, ">=", (20, 2020)), date(2025, 7, 2), "behind"),  # path ≈ 64
    (est(60, 70), target(100, 2030, ">=", (20, 2020)), date(2025, 7, 2), "on_track"),
    (est(80, 89), target(90, 2025), date(2026, 1, 1), "behind"),  # deadline passed, no baseline
    (est(10, 20), target(90, 2030), date(2026, 1, 1), "on_track"),  # no path without baseline
    (est(85, 95, n=12), target(50, 2030), date(2026, 1, 1), "insufficient_data"),
    (est(85, 95), target(None, None, None, (65, 2025)), date(2026, 1, 1), "baseline"),
    (est(85, 95), None, date(2026, 1, 1), None),
])
def test_status(estimate_: Estimate, target_: Target | None, today: date, expected: str) -> None:
    assert status(estimate_, target_, minimum=30, today=today) == expected


def test_linear_path_from_baseline() -> None:
    # 20 % in 2020 → 100 % in 2030: on 1 Jan 2025 the plan stands at 60 %.
    assert expected_by(target(100, 2030, ">=", (20, 2020)), date(2025, 1, 1)) == pytest.approx(60)


def test_every_indicator_says_what_plan_wording_it_answers() -> None:
    from surveys.indicators import PLAN_WORDING

    assert set(PLAN_WORDING) == set(CATALOGUE)
    for code, indicator in CATALOGUE.items():
        assert indicator.name.vi and indicator.name.en and indicator.definition.vi, code
        assert indicator.unit in {"household", "adult", "smartphone_user", "village", "area"}
