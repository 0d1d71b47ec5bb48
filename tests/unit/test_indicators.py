"""The statistics, checked against numbers worked out by hand (the arithmetic is spelled out)."""

from __future__ import annotations

import math
from datetime import date

import pytest

from surveys.indicators.estimators import (
    CATALOGUE,
    Estimate,
    Household,
    estimate,
    estimate_area,
    estimate_from_moments,
    estimate_villages,
    wilson,
)
from surveys.indicators.intervals import (
    beta_cdf,
    beta_quantile,
    clopper_pearson,
    korn_graubard,
    t_quantile,
    t_two_sided_mass,
)
from surveys.indicators.targets import FULL_TARGET_TOLERANCE, expected_by, progress, status
from surveys.models import Target

Z = 1.959963984540054
A, B = 1, 2  # village A: 100 households; village B: 300


def paper_wilson(p: float, n: float, z: float = Z) -> tuple[float, float]:
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


# Student's t, 0.975 and 0.95 quantiles, from the printed tables (e.g. Abramowitz & Stegun 26.10).
T975 = {1: 12.7062047, 2: 4.3026527, 3: 3.1824463, 4: 2.7764451, 5: 2.5705818, 10: 2.2281389,
        14: 2.1447867, 30: 2.0422725, 120: 1.9799304}
T95 = {1: 6.3137515, 4: 2.1318468, 5: 2.0150484, 30: 1.6972609}


def pct(x: float) -> float:
    return round(100 * x, 2)


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
    # 0 of 10 with z: the upper bound is z²/(n + z²) = 27.75 %.
    assert round(wilson(0.0, 10)[1], 4) == round(Z * Z / (10 + Z * Z), 4) == 0.2775


@pytest.mark.parametrize(("df", "value"), sorted(T975.items()))
def test_t_quantile_matches_the_tables(df: int, value: float) -> None:
    assert t_quantile(0.975, df) == pytest.approx(value, abs=5e-7)


@pytest.mark.parametrize(("df", "value"), sorted(T95.items()))
def test_one_sided_t_quantile_matches_the_tables(df: int, value: float) -> None:
    assert t_quantile(0.95, df) == pytest.approx(value, abs=5e-7)


def test_t_quantile_tends_to_the_normal() -> None:
    assert t_quantile(0.975, 10**6) == pytest.approx(Z, abs=1e-5)
    assert t_quantile(0.975, 2000) == pytest.approx(t_quantile(0.975, 2001), abs=1e-6)
    assert t_two_sided_mass(T975[3], 3) == pytest.approx(0.95, abs=1e-7)


def fiber_interval() -> tuple[float, float]:
    """SAMPLE's hh_fiber (87.5 %) interval in percent, as worked out below: Korn–Graubard's
    [7.18, 100.0] on an effective n of 3.42 (Wilson's [23.68, 99.37] before issue 13's seed
    follow-up)."""
    effective_n = 400 ** 2 / (4 * 25 ** 2 + 2 * 150 ** 2) / (1 - 6 / 400)
    adjusted = effective_n * (Z / T975[4]) ** 2
    low, high = clopper_pearson(0.875 * adjusted, adjusted)
    return pct(low), pct(high)


def test_household_share_weighted_by_village() -> None:
    # A: 2 of 4 on fibre, weight 100/4 = 25; B: 2 of 2, weight 300/2 = 150.
    # p = (25·2 + 150·2) / (25·4 + 150·2) = 350 / 400 = 0.875.
    # Var = [100²·(1 − 4/100)·s²_A/4 + 0] / 400², s²_A = var(1,1,0,0) = 1/3 → 800 / 160000 = 0.005,
    # so Kish's n = 0.875·0.125 / 0.005 = 21.875 — but B's all-yes sample adds no variance, and the
    # weights allow no more than (Σw)²/Σw² = 400² / (4·25² + 2·150²) = 3.368 households, divided by
    # the finite-population correction 1 − 6/400. t on 6 households − 2 villages = 4 df.
    # So small a sample (3.42·(z/t)² = 1.70 < 13) gets Korn–Graubard's interval: Clopper–Pearson
    # on 0.875 × 1.70 of 1.70 (issue 13's follow-up; it was Wilson's [23.68, 99.37]).
    result = estimate(CATALOGUE["hh_fiber"], SAMPLE, {A: 100, B: 300})
    effective_n = 400 ** 2 / (4 * 25 ** 2 + 2 * 150 ** 2) / (1 - 6 / 400)
    adjusted = effective_n * (Z / T975[4]) ** 2
    assert adjusted < 13
    low, high = clopper_pearson(0.875 * adjusted, adjusted)
    assert (result.value, result.ci_low, result.ci_high) == (87.5, pct(low), pct(high))
    assert result.df == 4 and result.effective_n == round(effective_n, 2)
    assert result.ci_low_one_sided == pct(korn_graubard(0.875, effective_n, 4, 0.95)[0])
    assert result.weighted and not result.unweighted and not result.census


def test_household_share_pooled_when_a_village_has_no_count() -> None:
    # 4 of 6 pooled: s² = (4 − 16/6)/5, Var = s²/6 = 2/45, Kish's n = (2/9)/(2/45) = 5; t on 5 df.
    # Korn–Graubard (5·(z/t)² = 2.91 < 13): Clopper–Pearson on 2/3 of 2.91.
    result = estimate(CATALOGUE["hh_fiber"], SAMPLE, {A: 100, B: None})
    adjusted = 5 * (Z / T975[5]) ** 2
    low, high = clopper_pearson(4 / 6 * adjusted, adjusted)
    assert (result.value, result.ci_low, result.ci_high) == (66.67, pct(low), pct(high))
    assert result.weighted is False and result.unweighted  # two villages, no weights: may be biased


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
    # Kish's n r(1 − r)/Var, at most the adults over the weights' design effect:
    # (Σw·x)² / Σw²·x = 1100² / (25²·8 + 150²·6), with the finite-population correction.
    ceiling = 1100 ** 2 / (25 ** 2 * 8 + 150 ** 2 * 6) / (1 - 6 / 400)
    effective_n = min(ceiling, r * (1 - r) / variance)
    adjusted = effective_n * (Z / T975[4]) ** 2  # below 13: Korn–Graubard
    assert adjusted < 13
    low, high = clopper_pearson(r * adjusted, adjusted)
    result = estimate(CATALOGUE["adult_smartphone"], SAMPLE, {A: 100, B: 300})
    assert (result.value, result.ci_low, result.ci_high) == (pct(r), pct(low), pct(high))
    assert (result.numerator, result.denominator, result.n) == (11, 14, 6)
    assert result.ci_low < result.value < result.ci_high


def test_ratio_pooled_without_counts() -> None:
    # 11 / 14; SRS ratio variance s²_z / (n·x̄²) with z = y − R·x over all six households.
    r = 11 / 14
    pairs = [(2, 2), (1, 2), (0, 1), (3, 3), (1, 2), (4, 4)]
    z = [y - r * x for y, x in pairs]
    variance = sum(v * v for v in z) / 5 / (6 * (14 / 6) ** 2)
    result = estimate(CATALOGUE["adult_smartphone"], SAMPLE, {A: None, B: None})
    adjusted = min(14, r * (1 - r) / variance) * (Z / T975[5]) ** 2  # below 13: Korn–Graubard
    assert adjusted < 13
    low, _high = clopper_pearson(r * adjusted, adjusted)
    assert result.value == pct(r) and result.weighted is False and result.unweighted
    assert result.ci_low == pct(low)


def test_no_spread_is_not_a_point_nor_round_off() -> None:
    # The round-off: (Σz² − (Σz)²/n)/(n − 1) left 1.7e-18 for a village all alike, Kish's n
    # became 2.7e18 and the interval [8.75, 8.75]. Every household alike in each village now adds
    # exactly no variance, and the interval rests on the households the weights allow.
    moments = {1: [7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0], 2: [5.0, 0.0, 5.0, 0.0, 5.0, 0.0, 5.0],
               3: [8.0, 0.0, 8.0, 0.0, 8.0, 0.0, 8.0]}
    result = estimate_from_moments(CATALOGUE["hh_fiber"], moments, {1: 70, 2: 400, 3: 330})
    assert result.value == 8.75 and result.ci_low < result.ci_high
    assert result.effective_n is not None and result.effective_n < 20
    # No adult with the trait: [0, something], never [0, 0]. The design effect cannot be estimated,
    # so it is that of households of m = Σx²/Σx = 100/30 adults at ρ = 0.3: 1 + (10/3 − 1)·0.3 =
    # 1.7; the effective n is the 30 adults (fpc 1 − 10/200) over it = 18.58, and the upper bound
    # Wilson's t²/(n + t²) with t(0.975, 9) = 2.262157: 5.1174/23.693 = 21.60 % (the adjusted n,
    # 18.58·(1.959964/2.262157)² = 13.95, is not below 13: no Korn–Graubard).
    # (Until the bench follow-up the households, 10/0.95 = 10.53, were the effective n here.)
    zero = estimate_from_moments(CATALOGUE["adult_vneid"], {1: [10.0, 0.0, 30.0, 0.0, 100.0, 0.0,
                                                                10.0]}, {1: 200})
    assert zero.value == 0.0 and zero.ci_low == 0.0 and zero.ci_high == 21.6
    assert zero.effective_n == round(30 / (1 - 10 / 200) / (1 + (100 / 30 - 1) * 0.3), 2) == 18.58
    assert zero.df == 9
    every = estimate_from_moments(CATALOGUE["adult_vneid"], {1: [10.0, 30.0, 30.0, 100.0, 100.0,
                                                                 100.0, 10.0]}, {1: 200})
    assert every.value == 100.0 and every.ci_high == 100.0 and every.ci_low < 90


@pytest.mark.parametrize(("x", "n", "low", "high"), [
    # Clopper & Pearson (1934) as printed (e.g. Agresti & Coull 1998; Brown, Cai & DasGupta 2001):
    (0, 10, 0.0, 30.85),     # 1 − 0.025^(1/10)
    (14, 15, 68.05, 99.83),
    (1, 15, 0.17, 31.95),
    (15, 15, 78.20, 100.0),  # 0.025^(1/15)
    (1, 60, 0.04, 8.94),
    (5, 20, 8.66, 49.10),
])
def test_clopper_pearson_textbook_values(x: int, n: int, low: float, high: float) -> None:
    found = clopper_pearson(x, n)
    assert (pct(found[0]), pct(found[1])) == (low, high)


def test_beta_distribution_pieces() -> None:
    # I_x(a, 1) = x^a and I_x(1, b) = 1 − (1 − x)^b; Beta(2, 2)'s cdf 3x² − 2x³.
    assert beta_cdf(0.9, 7.5, 1) == pytest.approx(0.9 ** 7.5, rel=1e-12)
    assert beta_cdf(0.1, 1, 12.3) == pytest.approx(1 - 0.9 ** 12.3, rel=1e-12)
    assert beta_cdf(0.3, 2, 2) == pytest.approx(3 * 0.09 - 2 * 0.027, rel=1e-12)
    assert beta_quantile(0.975, 60, 1) == pytest.approx(0.975 ** (1 / 60), abs=1e-11)
    assert beta_quantile(0.5, 3.5, 3.5) == pytest.approx(0.5, abs=1e-11)


def test_korn_graubard_is_clopper_pearson_on_the_df_adjusted_n() -> None:
    # Korn & Graubard (1998): n* = n_eff·(z/t_df)², x* = p·n*; with df large it is Clopper–Pearson.
    assert korn_graubard(14 / 15, 15, 10 ** 6) == pytest.approx(clopper_pearson(14, 15), abs=1e-5)
    adjusted = 15 * (Z / T975[14]) ** 2  # 12.52
    assert korn_graubard(14 / 15, 15, 14) == pytest.approx(
        clopper_pearson(14 / 15 * adjusted, adjusted), abs=1e-8)
    # One-sided 95 %: 0 of n → upper 1 − 0.05^(1/n); n of n → lower 0.05^(1/n).
    assert korn_graubard(1.0, 60, 10 ** 6, 0.95)[0] == pytest.approx(0.05 ** (1 / 60), abs=1e-5)


def test_one_small_village_gets_an_exact_interval() -> None:
    # Issue 13, seed 7: one village, 14 of its 15 sampled households (of 400) on fibre, truly 99 %.
    # Kish's n = (n − 1)/fpc = 14/(1 − 15/400) = 14.55, t on 14 df: adjusted 12.14 < 13, so
    # Korn–Graubard; its upper bound reaches 99 % where Wilson's (98.99 %) did not.
    result = estimate_from_moments(CATALOGUE["hh_fiber"], {1: [15.0, 14.0, 15.0, 14.0, 15.0, 14.0,
                                                               15.0]}, {1: 400})
    assert result.df == 14 and result.effective_n == round(14 / (1 - 15 / 400), 2)
    adjusted = 14 / (1 - 15 / 400) * (Z / T975[14]) ** 2
    low, high = clopper_pearson(14 / 15 * adjusted, adjusted)
    assert (result.ci_low, result.ci_high) == (pct(low), pct(high))
    assert result.ci_high > 99 > pct(paper_wilson(14 / 15, 14 / (1 - 15 / 400), T975[14])[1])
    # 15 of 15: the lower bound is 0.025^(1/n*), the upper bound 100 %.
    every = estimate_from_moments(CATALOGUE["hh_fiber"], {1: [15.0] * 7}, {1: 400})
    assert every.ci_high == 100.0 and every.ci_low is not None and every.ci_low < 80


def test_a_near_census_of_a_rare_trait_rests_on_its_carriers() -> None:
    # 400 of 420 households sampled; 3 adults with the trait, each in its own household (no
    # clustering shown). The finite-population correction (1 − 400/420) shrinks the variance: the
    # degrees of freedom are then the k = 3²/3 = 3 carriers, floored at 10, not 399.
    moments = [400.0, 3.0, 1600.0, 3.0, 8000.0, 12.0, 400.0]
    near = estimate_from_moments(CATALOGUE["adult_vneid"], {1: moments}, {1: 420})
    assert near.df == 10
    # The same sample from a commune of 2,000 households (20 % sampled): households − villages.
    assert estimate_from_moments(CATALOGUE["adult_vneid"], {1: moments}, {1: 2000}).df == 399


def test_a_rare_clustered_trait_has_the_degrees_of_freedom_of_its_carriers() -> None:
    # 200 households of 3 adults; 12 carry the trait: 10 with one such adult, 2 with two (Σy = 14,
    # Σy² = 18). Effective carriers k = 14²/18 = 10.89; clustering beyond independent people
    # e = 18/14 − 1 − (m − 1)·q = 0.2857 − 2·14/600 = 0.2390 (m = Σx²/Σx = 3), so df = k/e = 45.6
    # → 45 instead of households − villages = 199 (Satterthwaite; Valliant & Rust).
    rare = [200.0, 14.0, 600.0, 18.0, 1800.0, 42.0, 200.0]
    assert estimate_from_moments(CATALOGUE["adult_vneid"], {1: rare}, {1: 2000}).df == 45
    # The same near 100 %: the 12 households with someone *without* it (u = x − y) decide.
    common = [200.0, 586.0, 600.0, 1800 - 2 * 42 + 18.0, 1800.0, 1800 - 42.0, 200.0]
    assert estimate_from_moments(CATALOGUE["adult_vneid"], {1: common}, {1: 2000}).df == 45
    # One adult with the trait per carrier household (Σy² = Σy): no clustering shown (e < 0), the
    # design effect is known, households − villages it stays.
    single = [200.0, 14.0, 600.0, 14.0, 1800.0, 42.0, 200.0]
    assert estimate_from_moments(CATALOGUE["adult_vneid"], {1: single}, {1: 2000}).df == 199
    # Two carriers of 3 and 1 (k = 16/10, e = 1.49 capped at 1): never below 10 degrees of freedom.
    few = [200.0, 4.0, 600.0, 10.0, 1800.0, 12.0, 200.0]
    assert estimate_from_moments(CATALOGUE["adult_vneid"], {1: few}, {1: 2000}).df == 10
    # A share of households (y ∈ {0, 1}, x = 1) never shows clustering: unchanged.
    households = [200.0, 14.0, 200.0, 14.0, 200.0, 14.0, 200.0]
    assert estimate_from_moments(CATALOGUE["hh_fiber"], {1: households}, {1: 2000}).df == 199


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
    # A census of the villages with enough data: a count, no sampling interval.
    assert result == Estimate(50.0, None, None, 1, 2, 2, False, census=True)


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
           baseline: tuple[float, int] | None = None, start: int | None = None) -> Target:
    return Target(indicator="hh_fiber", comparator=comparator, value=value, target_year=year,
                  baseline_value=baseline[0] if baseline else None,
                  baseline_year=baseline[1] if baseline else None, start_year=start)


def est(low: float, high: float, n: int = 100) -> Estimate:
    return Estimate((low + high) / 2, low, high, 0, 0, n, True)


@pytest.mark.parametrize(("estimate_", "target_", "today", "expected"), [
    (est(85, 95), target(85, 2030), date(2026, 6, 1), "met"),  # lower bound reaches ≥ 85
    (est(85, 95), target(85, 2030, ">"), date(2026, 6, 1), "no_trajectory"),  # not yet sure
    (est(50, 60), target(100, 2030, ">=", (20, 2020)), date(2025, 7, 2), "behind"),  # path ≈ 64
    (est(60, 70), target(100, 2030, ">=", (20, 2020)), date(2025, 7, 2), "on_track"),
    (est(80, 89), target(90, 2025), date(2026, 1, 1), "behind"),  # deadline passed, no baseline
    (est(10, 20), target(90, 2030), date(2026, 1, 1), "no_trajectory"),  # no path, no baseline
    (est(80, 89), target(90, 2025), date(2024, 6, 1), "no_trajectory"),  # its year not come
    (est(85, 95, n=12), target(50, 2030), date(2026, 1, 1), "insufficient_data"),
    (est(85, 95), target(None, None, None, (65, 2025)), date(2026, 1, 1), "baseline"),
    (est(85, 95), None, date(2026, 1, 1), None),
])
def test_status(estimate_: Estimate, target_: Target | None, today: date, expected: str) -> None:
    assert status(estimate_, target_, minimum=30, today=today) == expected


def full(low_one_sided: float, value: float = 100.0) -> Estimate:
    return Estimate(value, 96.0, 100.0, 0, 0, 100, True, ci_low_one_sided=low_one_sided)


@pytest.mark.parametrize(("estimate_", "expected"), [
    (full(FULL_TARGET_TOLERANCE), "met"),  # none without it found, lower bound at the tolerance
    (full(97.1), "met"),
    (full(FULL_TARGET_TOLERANCE - 0.01), "no_trajectory"),  # too few households to say
    (full(96.0, value=99.5), "no_trajectory"),  # one exception found: not every household
])
def test_a_100_percent_target_can_be_met_by_a_sample(estimate_: Estimate, expected: str) -> None:
    assert status(estimate_, target(100, 2030), minimum=30, today=date(2026, 1, 1)) == expected


def census(value: float, n: int = 6) -> Estimate:
    return Estimate(value, None, None, 0, n, n, False, census=True)


@pytest.mark.parametrize(("estimate_", "target_", "today", "expected"), [
    (census(100), target(100, 2030), date(2026, 1, 1), "met"),  # 6 of 6 villages
    (census(85.71, 7), target(100, 2030), date(2026, 1, 1), "no_trajectory"),
    (census(85.71, 7), target(100, 2025), date(2026, 1, 1), "behind"),
    (census(60), target(50, 2025, ">"), date(2026, 1, 1), "met"),
    (census(50), target(50, 2025, ">"), date(2026, 1, 1), "behind"),
    (census(60), target(100, 2030, ">=", (20, 2020)), date(2025, 1, 1), "on_track"),  # path 60
])
def test_census_status_compares_the_count(estimate_: Estimate, target_: Target, today: date,
                                         expected: str) -> None:
    assert status(estimate_, target_, minimum=3, today=today) == expected


def test_an_unweighted_commune_value_claims_no_status() -> None:
    pooled = Estimate(80.0, 70.0, 88.0, 0, 0, 100, False, strata=3)
    assert pooled.unweighted
    assert status(pooled, target(50, 2030), minimum=30, today=date(2026, 1, 1)) == "unweighted"
    one_village = Estimate(80.0, 70.0, 88.0, 0, 0, 100, False, strata=1)
    assert status(one_village, target(50, 2030), minimum=30, today=date(2026, 1, 1)) == "met"


def test_progress_gives_the_gap_and_the_points_per_year() -> None:
    # 12.5 % against ≥ 95 % by the end of 2030, on 1 Jan 2026: 82.5 points in 5 years.
    found = progress(Estimate(12.5, 5.0, 25.0, 0, 0, 40, True), target(95, 2030), date(2026, 1, 1))
    assert found["gap"] == 82.5 and found["years_left"] == 5.0
    assert found["points_per_year"] == 16.5 and found["expected"] is None
    reached = progress(Estimate(97.0, 95.0, 99.0, 0, 0, 40, True), target(95, 2030),
                       date(2026, 1, 1))
    assert reached["gap"] == 0 and reached["points_per_year"] == 0
    late = progress(Estimate(50.0, 40.0, 60.0, 0, 0, 40, True), target(90, 2025), date(2026, 3, 1))
    assert late["gap"] == 40 and late["years_left"] == 0 and late["points_per_year"] is None
    assert progress(Estimate(50.0, 40.0, 60.0, 0, 0, 40, True), None, date(2026, 1, 1))["gap"] is None


def test_linear_path_from_baseline() -> None:
    # 20 % in 2020 → 100 % in 2030: on 1 Jan 2025 the plan stands at 60 %.
    assert expected_by(target(100, 2030, ">=", (20, 2020)), date(2025, 1, 1)) == pytest.approx(60)


@pytest.mark.parametrize(("estimate_", "target_", "expected"), [
    # "= 100 %" ("đạt 100 %") follows the 100 % rule, as ">= 100" does:
    (full(97.1), target(100, 2030, "="), "met"),
    (full(FULL_TARGET_TOLERANCE - 0.01), target(100, 2030, "="), "no_trajectory"),
    (full(96.0, value=99.5), target(100, 2030, "="), "no_trajectory"),  # an exception found
    (census(100), target(100, 2025, "="), "met"),  # every village
    (census(85.71, 7), target(100, 2025, "="), "behind"),
    # "= 65 %" is a level to reach: met once the whole interval is at or above it, as ">="...
    (est(65.0, 80.0), target(65, 2026, "="), "met"),
    (est(66.0, 90.0), target(65, 2026, "="), "met"),  # passing it is still reaching it
    # ...never because the interval merely contains it (that would flatter a small sample)
    (est(40.0, 90.0), target(65, 2030, "="), "no_trajectory"),
    (est(40.0, 60.0), target(65, 2025, "="), "behind"),
    (census(65), target(65, 2025, "="), "met"),
    (census(64.9), target(65, 2025, "="), "behind"),
])
def test_an_equals_target_is_reached_like_at_least(estimate_: Estimate, target_: Target,
                                                   expected: str) -> None:
    assert status(estimate_, target_, minimum=3, today=date(2026, 1, 1)) == expected


def test_the_plan_start_year_sets_the_line() -> None:
    # Baseline 20 % (measured in 2020), plan 2021–2030, target 100 %: the line runs from 20 % at
    # the start of 2021 to 100 % at the end of 2030 (10 years), so on 1 Jan 2026 it stands at
    # 20 + 80·5/10 = 60 %; without the start year it ran from the baseline year: 20 + 80·6/10 = 68.
    with_start = target(100, 2030, ">=", (20, 2020), start=2021)
    assert expected_by(with_start, date(2026, 1, 1)) == pytest.approx(60)
    assert expected_by(target(100, 2030, ">=", (20, 2020)), date(2026, 1, 1)) == pytest.approx(68)
    # A one-year plan (2026 → 2026): half-way through the year, half-way along.
    one_year = target(60, 2026, ">", (40, 2025), start=2026)
    assert expected_by(one_year, date(2026, 7, 2)) == pytest.approx(50, abs=0.1)
    assert expected_by(one_year, date(2025, 6, 1)) == 40  # before the plan starts: the baseline
    # Status on that line: 55–65 % on 1 Jan 2026 is on track with the start year (60 %), behind
    # without it (68 %).
    found = est(55.0, 65.0)
    assert status(found, with_start, minimum=30, today=date(2026, 1, 1)) == "on_track"
    assert status(found, target(100, 2030, ">=", (20, 2020)), minimum=30,
                  today=date(2026, 1, 1)) == "behind"
    # A start year without a baseline gives no line: no_trajectory, with the gap per year.
    alone = target(100, 2030, ">=", None, start=2021)
    assert expected_by(alone, date(2026, 1, 1)) is None
    assert status(found, alone, minimum=30, today=date(2026, 1, 1)) == "no_trajectory"
    assert progress(found, alone, date(2026, 1, 1))["points_per_year"] == 8.0


def test_every_indicator_says_what_plan_wording_it_answers() -> None:
    from surveys.indicators.estimators import PLAN_WORDING

    assert set(PLAN_WORDING) == set(CATALOGUE)
    for code, indicator in CATALOGUE.items():
        assert indicator.name.vi and indicator.name.en and indicator.definition.vi, code
        assert indicator.unit in {"household", "adult", "smartphone_user", "village", "area"}
