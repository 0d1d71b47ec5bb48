"""Do the indicators' 95 % intervals cover 95 %? A Monte Carlo simulation of `estimate_from_moments`.

Synthetic communes (3–8 villages of 100–800 households; one village for n = 15), households of 1–7
adults, a share of households (hh_fiber) and a share of adults (adult_smartphone) with an
intra-household correlation (ICC) of 0 or 0.3, villages that differ (logit of the village's share ~
logit(p) + N(0, 0.4²)). Each replication draws a simple random sample within every village (allocation
proportional to the village's households, or equal), sums the per-village moments
[n, Σy, Σx, Σy², Σx², Σxy, #(x>0)] with numpy and hands them to the real `estimate_from_moments`.
The truth is the finite population's own value.

Per cell: coverage of the true value, mean width, and the width of two oracle intervals that know
the estimator's true standard error (its standard deviation over the replications): Wilson's score
interval on the true effective n (the comparator of the width goal: near 0 % or 100 % a symmetric
interval is not a sensible one), and the plain ±1.96·SE (shown for reference).

Goals (issue 13): every cell with n ≥ 30 covers 93–98 %; one village at n = 15 covers ≥ 91 %; no
degenerate interval (a point, or none); mean width ≤ 1.25 × the oracle's at n ≥ 60. Exit 1 if a goal
fails. `python -m bench intervals --reps 2000 --seed 13` (2,000 replications per cell by default).

Each cell draws from its own random stream (the seed and the cell's place in the full grid), so a
subset gives the same figures as the full run: `--kind person --icc 0.3 --n 60 120 --p 1 3 97 99`
(`--allocation equal`, `--quiet` prints only the cells that miss a goal).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np

TRUE_SHARES = (0.01, 0.03, 0.10, 0.25, 0.50, 0.75, 0.90, 0.97, 0.99)
SAMPLE_SIZES = (15, 30, 60, 120, 400)
COMMUNES_PER_CELL = 4  # each cell's replications are split over this many synthetic communes
VILLAGE_SPREAD = 0.4  # SD of the villages' logit shares around the commune's
Z = 1.959963984540054


@dataclass(frozen=True)
class Cell:
    kind: str  # household | person
    n: int
    allocation: str  # proportional | equal | one village
    icc: float | None
    p: float


@dataclass
class Result:
    cell: Cell
    coverage: float
    width: float
    oracle: float
    wald: float
    degenerate: int
    seconds: float


def cells() -> list[Cell]:
    found = []
    for kind, iccs in (("household", (None,)), ("person", (0.0, 0.3))):
        for icc in iccs:
            for n in SAMPLE_SIZES:
                for allocation in (("one village",) if n == 15 else ("proportional", "equal")):
                    for p in TRUE_SHARES:
                        found.append(Cell(kind, n, allocation, icc, p))
    return found


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def population(rng: np.random.Generator, cell: Cell) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per village the households' y (trait) and x (1, or adults)."""
    villages = 1 if cell.allocation == "one village" else int(rng.integers(3, 9))
    ys, xs = [], []
    for _ in range(villages):
        size = int(rng.integers(100, 801))
        share = 1 / (1 + np.exp(-(_logit(cell.p) + (rng.normal(0, VILLAGE_SPREAD)
                                                     if villages > 1 else 0.0))))
        if cell.kind == "household":
            x = np.ones(size)
            y = (rng.random(size) < share).astype(float)
        else:
            x = rng.integers(1, 8, size).astype(float)
            if cell.icc:
                a = share * (1 - cell.icc) / cell.icc
                b = (1 - share) * (1 - cell.icc) / cell.icc
                q = rng.beta(a, b, size)
            else:
                q = np.full(size, share)
            y = rng.binomial(x.astype(int), q).astype(float)
        ys.append(y)
        xs.append(x)
    return ys, xs


def allocate(n: int, sizes: list[int], allocation: str) -> list[int]:
    """Households to survey per village (at least 2 each, never more than the village has)."""
    if allocation == "equal":
        base = [n // len(sizes) + (1 if i < n % len(sizes) else 0) for i in range(len(sizes))]
    else:
        exact = [n * s / sum(sizes) for s in sizes]
        base = [max(2, int(e)) for e in exact]
        order = sorted(range(len(sizes)), key=lambda i: exact[i] - int(exact[i]), reverse=True)
        i = 0
        while sum(base) < n:
            base[order[i % len(order)]] += 1
            i += 1
        while sum(base) > n:
            j = max(range(len(base)), key=lambda k: base[k])
            base[j] -= 1
    return [min(b, s) for b, s in zip(base, sizes, strict=True)]


def simulate(cell: Cell, reps: int, rng: np.random.Generator) -> Result:
    from surveys.indicators import CATALOGUE, estimate_from_moments

    indicator = CATALOGUE["hh_fiber" if cell.kind == "household" else "adult_smartphone"]
    started = time.perf_counter()
    truths, estimates, lows, highs = [], [], [], []
    degenerate = 0
    for commune in range(COMMUNES_PER_CELL):
        count = reps // COMMUNES_PER_CELL + (1 if commune < reps % COMMUNES_PER_CELL else 0)
        ys, xs = population(rng, cell)
        truth = 100 * sum(y.sum() for y in ys) / sum(x.sum() for x in xs)
        sizes = [len(y) for y in ys]
        takes = allocate(cell.n, sizes, cell.allocation)
        per_village = []
        for y, x, take in zip(ys, xs, takes, strict=True):
            picked = np.argpartition(rng.random((count, len(y))), take - 1, axis=1)[:, :take]
            sy, sx = y[picked], x[picked]
            per_village.append(np.stack([
                np.full(count, float(take)), sy.sum(1), sx.sum(1), (sy * sy).sum(1),
                (sx * sx).sum(1), (sx * sy).sum(1), (sx > 0).sum(1).astype(float)], axis=1))
        village_sizes = dict(enumerate(sizes))
        found = np.stack(per_village, axis=1).tolist()  # reps × villages × 7
        for moments in found:
            result = estimate_from_moments(indicator, dict(enumerate(moments)), village_sizes)
            if result.value is None or result.ci_low is None or result.ci_high is None \
                    or result.ci_high <= result.ci_low:
                degenerate += 1
                continue
            truths.append(truth)
            estimates.append(result.value)
            lows.append(result.ci_low)
            highs.append(result.ci_high)
    truth_a, value_a = np.array(truths), np.array(estimates)
    low_a, high_a = np.array(lows), np.array(highs)
    covered = (low_a <= truth_a + 1e-9) & (truth_a - 1e-9 <= high_a)
    coverage = 100 * covered.sum() / reps
    # Oracles: the true SE (SD over replications, around each commune's truth).
    se = float(np.sqrt(np.mean((value_a - truth_a) ** 2))) / 100
    p_true = float(np.mean(truth_a)) / 100
    true_n = p_true * (1 - p_true) / se ** 2 if se > 0 else float("inf")
    oracle = float(np.mean(_wilson_width(value_a / 100, true_n))) * 100
    return Result(cell, coverage, float(np.mean(high_a - low_a)), oracle, 2 * Z * se * 100,
                  degenerate, time.perf_counter() - started)


def _wilson_width(p: np.ndarray, n: float) -> np.ndarray:
    if not np.isfinite(n):
        return np.zeros_like(p)
    z2 = Z * Z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return np.minimum(1, centre + half) - np.maximum(0, centre - half)


def failures(result: Result) -> list[str]:
    cell, failed = result.cell, []
    if cell.n == 15 and result.coverage < 91:
        failed.append("coverage < 91 %")
    if cell.n >= 30 and not 93 <= result.coverage <= 98:
        failed.append("coverage outside 93–98 %")
    if result.degenerate:
        failed.append(f"{result.degenerate} degenerate")
    if cell.n >= 60 and result.width > 1.25 * result.oracle:
        failed.append("width > 1.25 × oracle")
    return failed


def selected(options: argparse.Namespace) -> list[tuple[int, Cell]]:
    """The cells the options ask for, each with its place in the full grid (its random stream)."""
    return [(i, c) for i, c in enumerate(cells())
            if (not options.kind or c.kind in options.kind)
            and (not options.icc or (c.icc is not None and c.icc in options.icc))
            and (not options.n or c.n in options.n)
            and (not options.p or round(100 * c.p) in options.p)
            and (not options.allocation or c.allocation in options.allocation)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench intervals")
    parser.add_argument("--reps", type=int, default=2000, help="replications per cell (2000)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--quiet", action="store_true", help="print failing cells and the summary")
    parser.add_argument("--kind", nargs="+", choices=("household", "person"))
    parser.add_argument("--icc", nargs="+", type=float, help="person cells' ICC: 0 0.3")
    parser.add_argument("--n", nargs="+", type=int, help="sample sizes: 15 30 60 120 400")
    parser.add_argument("--p", nargs="+", type=int, help="true shares in percent: 1 3 10 … 99")
    parser.add_argument("--allocation", nargs="+", choices=("proportional", "equal", "one village"))
    options = parser.parse_args(argv or [])
    started = time.perf_counter()
    print(f"{'kind':9} {'ICC':>4} {'n':>4} {'allocation':12} {'p %':>4} {'cover %':>8} "
          f"{'width':>6} {'oracle':>6} {'ratio':>5} {'±1.96SE':>7}  goals")
    failed = 0
    results = []
    for index, cell in selected(options):
        result = simulate(cell, options.reps, np.random.default_rng([options.seed, index]))
        results.append(result)
        problems = failures(result)
        failed += bool(problems)
        if problems or not options.quiet:
            icc = "-" if cell.icc is None else f"{cell.icc:.1f}"
            ratio = result.width / result.oracle if result.oracle else float("inf")
            print(f"{cell.kind:9} {icc:>4} {cell.n:>4} {cell.allocation:12} {100 * cell.p:>4.0f} "
                  f"{result.coverage:>8.1f} {result.width:>6.2f} {result.oracle:>6.2f} "
                  f"{ratio:>5.2f} {result.wald:>7.2f}  {'; '.join(problems) or 'ok'}")
    elapsed = time.perf_counter() - started
    coverages = [r.coverage for r in results if r.cell.n >= 30] or [float("nan")]
    one = [r.coverage for r in results if r.cell.n == 15] or [float("nan")]
    ratios = [r.width / r.oracle for r in results if r.cell.n >= 60 and r.oracle] or [float("nan")]
    print(f"{len(results)} cells × {options.reps} replications in {elapsed:.0f} s; "
          f"n ≥ 30 coverage {min(coverages):.1f}–{max(coverages):.1f} %, n = 15 ≥ {min(one):.1f} %, "
          f"width/oracle at n ≥ 60 ≤ {max(ratios):.2f}, degenerate "
          f"{sum(r.degenerate for r in results)}; {failed} cell(s) miss a goal")
    return 1 if failed else 0
