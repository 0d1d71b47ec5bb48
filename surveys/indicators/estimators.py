"""The statistics behind each indicator's number (the catalogue is in catalogue.py). Pure: no
database, no Flask.

Every household-based indicator is a ratio R = Σ w·y / Σ w·x over consenting households, where y and x
come from one household's answers (x = 1 for a share of households; x = adults, smartphone users, ...
for a share of people). Households are the sampling units and villages the strata: each household of
village v weighs N_v / n_v. Intervals (95 %), for shares of households and of people alike: the
ratio's linearised variance with the household as the cluster (people of one household are not
independent), stratified by village, with the finite-population correction; from it the design's
effective sample size (never above what the weights allow), and Wilson's score interval on it with
Student's t on households − villages degrees of freedom (Korn & Graubard 1998; fewer for a rare or
near-universal trait of people that the sample shows clustered in households) — never a point, not
symmetric near 0 % or 100 %. Census indicators (village_4g, area_*) count every unit assessed: no
interval.
docs/indicators.md explains the same in Vietnamese and English.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import mul, sub
from typing import NamedTuple

from surveys.indicators.catalogue import CATALOGUE as CATALOGUE
from surveys.indicators.catalogue import PLAN_WORDING as PLAN_WORDING
from surveys.indicators.catalogue import Answers, Indicator
from surveys.indicators.intervals import Z95, korn_graubard, t_quantile, wilson

Z = Z95  # two-sided 95 % (kept for callers of surveys.indicators.Z)

VILLAGE_MIN_HOUSEHOLDS = 5
# Fewer villages or populated cells than this and no status is claimed (households: a setting).
MIN_VILLAGES = 3
MIN_CELLS = 10
VILLAGE_COVERED_SHARE = 0.8
AREA_COVERED_SHARE = 0.5
AREA_TECHNOLOGIES = {"area_4g": ("4g", "5g"), "area_5g": ("5g",)}


class Household(NamedTuple):
    """One consenting, accepted household as the statistics see it."""

    village_id: int
    answers: Answers
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class Estimate:
    value: float | None  # percent
    ci_low: float | None
    ci_high: float | None
    numerator: float
    denominator: float
    n: int  # sampling units behind the number: households, villages or cells
    weighted: bool
    households_share: float | None = None  # share of the commune's households in surveyed villages
    census: bool = False  # every unit assessed (villages, populated cells): a count, no interval
    strata: int = 0  # villages behind the number
    effective_n: float | None = None  # the design's effective sample size behind the interval
    df: int | None = None  # degrees of freedom of its t quantile: households − strata
    ci_low_one_sided: float | None = None  # one-sided 95 % lower bound (percent)

    @property
    def unweighted(self) -> bool:
        """Pooled over several villages without their household counts: may be biased."""
        return not self.census and not self.weighted and self.strata > 1


def _percent(x: float | None) -> float | None:
    return None if x is None else round(100 * x, 2)


Moments = list[float]  # n, Σy, Σx, Σy², Σx², Σxy, households with x > 0


def add_moments(moments: Moments, y: float, x: float) -> None:
    moments[0] += 1
    moments[1] += y
    moments[2] += x
    moments[3] += y * y
    moments[4] += x * x
    moments[5] += x * y
    moments[6] += x > 0


def ratio_moments(indicator: Indicator, households: Iterable[Household]) -> dict[int, Moments]:
    """Per village the moments from which the estimate and its variance follow, in one pass."""
    assert indicator.numerator and indicator.denominator
    numerator_of, denominator_of = indicator.numerator, indicator.denominator
    moments: dict[int, Moments] = defaultdict(lambda: [0.0] * 7)
    for household in households:
        add_moments(moments[household.village_id], numerator_of(household.answers),
                    denominator_of(household.answers))
    return moments


def estimate_ratio(indicator: Indicator, households: Iterable[Household],
                   village_sizes: Mapping[int, int | None]) -> Estimate:
    """Stratified (by village) ratio estimate; pooled when a surveyed village has no count."""
    return estimate_from_moments(indicator, ratio_moments(indicator, households), village_sizes)


def estimate_from_moments(indicator: Indicator, moments: Mapping[int, Moments],
                          village_sizes: Mapping[int, int | None]) -> Estimate:
    """The estimate from per-village moments (n, Σy, Σx, Σy², Σx², Σxy, n with x > 0): the same
    numbers whether the moments come from households or from the rollups of surveys/indicators/rollups.py.

    Stratified (by village) ratio R = Σ w·y / Σ w·x with its linearised variance (the household as
    the cluster); the 95 % interval is Wilson's on the design's effective sample size with Student's
    t on households − strata degrees of freedom (docs/indicators.md, "Method")."""
    moments = {v: m for v, m in moments.items() if m[0] > 0}
    # The villages' moments as seven columns, in the villages' order: every sum below adds the
    # same terms in the same order as a sum over the villages would (a province has 2,000).
    columns = _Columns(list(moments.values()))
    n = int(sum(columns.positive))
    numerator = sum(columns.sum_y)
    denominator = sum(columns.sum_x)
    weighted = bool(moments) and all(village_sizes.get(v) for v in moments)
    strata = len(moments)
    if denominator == 0:
        return Estimate(None, None, None, numerator, denominator, n, weighted, strata=strata)
    households = int(sum(columns.count))
    if not weighted:
        # One stratum of weight 1 and no finite-population correction: the plain pooled ratio.
        columns = _Columns([[sum(column) for column in columns.all]])
        weights, corrections = [1.0], [1.0]
    else:
        weights, corrections = [], []
        for v, count in zip(moments, columns.count, strict=True):
            known = village_sizes.get(v)
            size = max(float(known), count) if known else count
            weights.append(size / count)
            corrections.append(1 - count / size)
    total_y = sum(map(mul, weights, columns.sum_y))
    total_x = sum(map(mul, weights, columns.sum_x))
    ratio = total_y / total_x
    # Linearisation: Var(R) ≈ Var(Σ w·(y − R·x)) / X², the household (cluster) as the unit.
    variance = 0.0
    for weight, correction, count, sy, sx, syy, sxx, sxy in zip(
            weights, corrections, columns.count, columns.sum_y, columns.sum_x, columns.sum_yy,
            columns.sum_xx, columns.sum_xy, strict=True):
        variance += count * weight ** 2 * correction * _spread(
            count, sy - ratio * sx, syy - 2 * ratio * sxy + ratio * ratio * sxx,
            syy + ratio * ratio * sxx)
    variance /= total_x ** 2
    effective_n = _effective_n(ratio, variance, columns, weights, corrections)
    df = max(1, households - columns.strata)
    fraction = sum(columns.count) / sum(map(mul, weights, columns.count))
    minority = _minority_df(ratio, columns, fraction)
    if minority is not None:
        df = min(df, minority)
    low, high, one_sided = interval(min(1.0, max(0.0, ratio)), effective_n, df)
    return Estimate(_percent(ratio), _percent(low), _percent(high), numerator, denominator, n,
                    weighted, strata=strata, effective_n=round(effective_n, 2), df=df,
                    ci_low_one_sided=_percent(one_sided))


class _Columns:
    """Moments of several villages as columns (n, Σy, Σx, Σy², Σx², Σxy, n with x > 0)."""

    __slots__ = ("all", "count", "sum_y", "sum_x", "sum_yy", "sum_xx", "sum_xy", "positive",
                 "strata")

    def __init__(self, rows: list[Moments]) -> None:
        self.all = [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * 7
        (self.count, self.sum_y, self.sum_x, self.sum_yy, self.sum_xx, self.sum_xy,
         self.positive) = self.all
        self.strata = len(rows)


# Below this (degrees-of-freedom adjusted) effective sample size the interval is Korn–Graubard's
# instead of Wilson's (docs/indicators.md, "Small samples"): one village of 15 households gives
# 11.7–13 (chosen with the bench: 15 made equal allocation at n = 30 cover 98.7 % at seed 42).
EXACT_BELOW = 13.0


def interval(p: float, effective_n: float, df: int) -> tuple[float, float, float]:
    """The two-sided 95 % interval and the one-sided 95 % lower bound of a share p on an effective
    sample with `df` degrees of freedom: Wilson's score interval with Student's t; Korn–Graubard's
    (Clopper–Pearson on n·(z/t)²) when that adjusted sample is below EXACT_BELOW, where the score
    interval's bound on the short side falls short (14 of 15 households in one village: Wilson's
    upper bound is 98.99 %, below a true 99 %; Korn–Graubard's is 99.93 %)."""
    t = t_quantile(0.975, df)
    adjusted = effective_n * (Z95 / t) ** 2
    if adjusted < EXACT_BELOW:
        low, high = korn_graubard(p, effective_n, df)
        one_sided = korn_graubard(p, effective_n, df, 0.95)[0]
        return low, high, one_sided
    low, high = wilson(p, effective_n, t)
    return low, high, wilson(p, effective_n, t_quantile(0.95, df))[0]


# The intra-household correlation assumed when the sample cannot show one (no spread at all): a
# moderate clustering of adults' digital habits within a household (the issue's simulation's 0.3;
# 0.5 puts the ICC 0 width at n = 60 on the bench's 1.25 limit, docs/indicators.md).
NO_SPREAD_ICC = 0.3
# The fewest degrees of freedom the minority rule (_minority_df) gives: t(0.975, 10) = 2.23.
MINORITY_MIN_DF = 10
# A sample of at least this share of the commune's households is near a census (_minority_df).
NEAR_CENSUS = 0.5
ROUND_OFF = 1e-9  # a spread below this share of Σz² is floating-point noise, not data


def _spread(count: float, sum_z: float, sum_zz: float, scale: float) -> float:
    """The sample variance of z in one village from Σz and Σz²; 0 for one household, and exactly 0
    when all z are equal (the subtraction leaves round-off of order 1e-18 that is no variance)."""
    if count < 2:
        return 0.0
    spread = sum_zz - sum_z * sum_z / count
    if spread <= ROUND_OFF * scale:
        return 0.0
    return spread / (count - 1)


def _minority_df(ratio: float, columns: _Columns, fraction: float = 0.0) -> int | None:
    """Degrees of freedom of the design effect behind a share of people when the households that
    carry the rarer outcome (the trait below 50 %, its absence above) cluster it, or None.

    Near 0 % or 100 % the design effect rests on the few households with the rarer outcome: with
    c = that outcome's count per household (y, or x − y), the effective number of them is
    k = (Σc)²/Σc² (Kish's formula) and the clustering they show is e = Σc²/Σc − 1 − (m − 1)·q, the
    excess over independent people (m = Σx²/Σx, q = Σc/Σx; 0 when each has one such person, as for
    a share of households: then the design effect is known, no rule). A
    variance estimated from k skewed cluster totals has about k/e degrees of freedom, not
    households − villages (Satterthwaite 1946; Valliant & Rust 2010: the degrees of freedom depend
    on the variable, and are far fewer for a rare, clustered one), with e capped at 1 and never
    below MINORITY_MIN_DF (docs/indicators.md, "Rare and near-universal traits"). When the sample
    shows no clustering but covers at least NEAR_CENSUS of the households (`fraction`), the
    variance left by the finite-population correction rests on the k carriers: k degrees of
    freedom (still at least MINORITY_MIN_DF)."""
    if ratio < 0.5:
        total = sum(columns.sum_y)
        squares = sum(columns.sum_yy)
    else:
        total = sum(map(sub, columns.sum_x, columns.sum_y))
        squares = sum([sxx - 2 * sxy + syy for sxx, sxy, syy in zip(
            columns.sum_xx, columns.sum_xy, columns.sum_yy, strict=True)])
    people = sum(columns.sum_x)
    if total <= 0 or squares <= 0 or people <= 0:
        return None
    # Independent people would give Σc²/Σc = 1 + (m − 1)·q (q = the rarer share, m = Σx²/Σx):
    # only the excess over it is clustering.
    size = sum(columns.sum_xx) / people
    clustering = squares / total - 1 - (size - 1) * total / people
    if clustering <= ROUND_OFF:
        if fraction >= NEAR_CENSUS and size > 1 + ROUND_OFF:
            # Most of the commune sampled: the finite-population correction leaves the variance
            # resting on the few carriers seen and the few households unseen: k degrees of freedom.
            return max(MINORITY_MIN_DF, int(total * total / squares))
        return None
    return max(MINORITY_MIN_DF, int(total * total / squares / min(1.0, clustering)))


def _effective_n(ratio: float, variance: float, columns: _Columns, weights: list[float],
                 corrections: list[float]) -> float:
    """Kish's effective sample size p(1 − p)/Var, never above what the weights allow: the units
    (people for a share of people, households for a share of households) divided by Kish's
    weighting design effect, with the finite-population correction. When the sample shows no spread
    at all (p = 0 or 1, or every village all-yes or all-no) the design effect cannot be estimated:
    it is then the clustering design effect 1 + (m − 1)·ρ of households of m people (m = Σw·x²/Σw·x,
    the people-weighted household size) at NO_SPREAD_ICC = 0.3, between people independent (1) and
    people of one household all alike (m: the households as the sample). For a share of households
    m = 1: the households. An interval is never a point."""
    sampled = sum(columns.count)
    population = sum(map(mul, weights, columns.count))
    fpc = 1.0
    if any(c < 1 for c in corrections) and population > sampled:
        fpc = max(0.05, 1 - sampled / population)

    def kish(units: list[float]) -> float:
        """Units (Σx, people; or households with x > 0) over Kish's weighting effect."""
        total = sum(map(mul, weights, units))
        squares = sum(map(mul, [w ** 2 for w in weights], units))
        return max(1.0, total * total / squares / fpc) if squares > 0 else 1.0

    if variance <= 0 or not 0 < ratio < 1:
        people = sum(map(mul, weights, columns.sum_x))
        size = sum(map(mul, weights, columns.sum_xx)) / people if people > 0 else 1.0
        return max(1.0, kish(columns.sum_x) / (1 + (max(1.0, size) - 1) * NO_SPREAD_ICC))
    return max(1.0, min(kish(columns.sum_x), ratio * (1 - ratio) / variance))


def _share_estimate(covered: int, assessed: int) -> Estimate:
    """A count of all the units assessed (a census): no sampling interval."""
    if assessed == 0:
        return Estimate(None, None, None, 0, 0, 0, False, census=True)
    return Estimate(_percent(covered / assessed), None, None, covered, assessed, assessed, False,
                    census=True)


NO_CELL = "-"  # households without a position, counted for village_4g only


def cell_counts(households: Iterable[Household], resolution: int) -> dict[tuple[int, str], list[int]]:
    """(village, H3 cell) → [households, with 4G or better at home, with 5G, with 3G or better,
    with 2G or better] (the order of HouseholdCell's columns)."""
    import h3

    counts: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0] * 5)
    for household in households:
        cell = NO_CELL if household.lat is None or household.lon is None else \
            h3.latlng_to_cell(household.lat, household.lon, resolution)
        best = household.answers.get("mobile_best_technology")
        found = counts[(household.village_id, cell)]
        found[0] += 1
        found[1] += best in ("4g", "5g")
        found[2] += best == "5g"
        found[3] += best in ("3g", "4g", "5g")
        found[4] += best in ("2g", "3g", "4g", "5g")
    return counts


def estimate_villages(households: Iterable[Household]) -> Estimate:
    """village_4g: a village counts once enough of its surveyed households report 4G/5G at home.
    Partner measurements do not count here (docs/indicators.md)."""
    return estimate_villages_from_counts(cell_counts(households, 8))


def estimate_villages_from_counts(counts: Mapping[tuple[int, str], list[int]]) -> Estimate:
    by_village: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for (village, _cell), (n, with_4g, *_others) in counts.items():
        by_village[village][0] += n
        by_village[village][1] += with_4g
    assessed = [(n, k) for n, k in by_village.values() if n >= VILLAGE_MIN_HOUSEHOLDS]
    covered = sum(1 for n, k in assessed if k / n >= VILLAGE_COVERED_SHARE)
    return _share_estimate(covered, len(assessed))


def estimate_area(code: str, households: Iterable[Household], resolution: int,
                  measured: Mapping[str, frozenset[str]] | None = None) -> Estimate:
    """area_4g / area_5g: populated H3 cells (cells with located surveyed households) where most
    households have the technology at home, or where telecom partners measured usable coverage of
    it (`measured`: technology → cells, from the coverage rollups)."""
    return estimate_area_from_counts(code, cell_counts(households, resolution), resolution, measured)


def estimate_area_from_counts(code: str, counts: Mapping[tuple[int, str], list[int]],
                              resolution: int,
                              measured: Mapping[str, frozenset[str]] | None = None) -> Estimate:
    """The same from counts per (village, cell) at `resolution` or finer (summed to it)."""
    import h3

    technologies = AREA_TECHNOLOGIES[code]
    measured_cells: set[str] = set()
    for technology in technologies:
        measured_cells |= (measured or {}).get(technology, frozenset())
    cells: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (_village, cell), (n, with_4g, with_5g, *_others) in counts.items():
        if cell == NO_CELL:
            continue
        if h3.get_resolution(cell) > resolution:
            cell = h3.cell_to_parent(cell, resolution)
        cells[cell][0] += n
        cells[cell][1] += with_5g if technologies == ("5g",) else with_4g
    covered = sum(1 for cell, (n, k) in cells.items()
                  if k / n > AREA_COVERED_SHARE or cell in measured_cells)
    return _share_estimate(covered, len(cells))


def estimate(indicator: Indicator, households: list[Household],
             village_sizes: Mapping[int, int | None], *, h3_resolution: int = 8,
             measured: Mapping[str, frozenset[str]] | None = None) -> Estimate:
    if indicator.kind == "village":
        return estimate_villages(households)
    if indicator.kind == "area":
        return estimate_area(indicator.code, households, h3_resolution, measured)
    return estimate_ratio(indicator, households, village_sizes)
