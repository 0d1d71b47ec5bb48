"""The small pieces of exact statistics behind every interval: Student's t quantile and the Wilson
score interval. Pure Python, no scipy (docs/indicators.md, "Method").

- `t_quantile(q, df)`: Student's t for integer degrees of freedom, from the closed-form distribution
  function (Abramowitz & Stegun 26.7.3–26.7.4) solved by bisection to 1e-12;
- `wilson(p, n, z)`: Wilson's (1927) score interval for a proportion p on n (possibly effective,
  non-integer) observations with the critical value z (a t quantile under a survey design: Korn &
  Graubard 1998's degrees-of-freedom adjustment of the effective sample size, n·(z/t)², is the same
  interval).
"""

from __future__ import annotations

import math
from functools import lru_cache

Z95 = 1.959963984540054  # two-sided 95 %: the normal 0.975 quantile
Z95_ONE_SIDED = 1.6448536269514722  # the normal 0.95 quantile
LARGE_DF = 2_000  # beyond this the Cornish–Fisher expansion of t is exact to 1e-10


def t_two_sided_mass(t: float, df: int) -> float:
    """P(|T| < t) for Student's t with `df` (integer ≥ 1) degrees of freedom (A&S 26.7.3/4)."""
    if t <= 0:
        return 0.0
    theta = math.atan(t / math.sqrt(df))
    sin, cos2 = math.sin(theta), math.cos(theta) ** 2
    if df % 2 == 1:
        # 2/π · (θ + sinθ·cosθ·(1 + 2/3·cos²θ + 2·4/(3·5)·cos⁴θ + … up to cos^(df−3)θ))
        series, term = 0.0, 1.0
        for k in range(1, (df - 1) // 2 + 1):
            series += term
            term *= cos2 * (2 * k) / (2 * k + 1)
        return 2 / math.pi * (theta + sin * math.cos(theta) * series)
    # sinθ·(1 + 1/2·cos²θ + 1·3/(2·4)·cos⁴θ + … up to cos^(df−2)θ)
    series, term = 0.0, 1.0
    for k in range(1, df // 2 + 1):
        series += term
        term *= cos2 * (2 * k - 1) / (2 * k)
    return sin * series


@lru_cache(maxsize=4096)
def t_quantile(q: float, df: int) -> float:
    """The q quantile (0.5 < q < 1) of Student's t with `df` degrees of freedom."""
    if not 0.5 < q < 1:
        raise ValueError("q must be between 0.5 and 1")
    df = max(1, int(df))
    if df > LARGE_DF:
        # A&S 26.7.5: t ≈ z + (z³ + z)/(4ν) + (5z⁵ + 16z³ + 3z)/(96ν²)
        z = normal_quantile(q)
        return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df)
    mass = 2 * q - 1  # P(|T| < t)
    low, high = 0.0, 1.0
    while t_two_sided_mass(high, df) < mass:
        high *= 2
    while high - low > 1e-12 * max(1.0, high):
        middle = (low + high) / 2
        if t_two_sided_mass(middle, df) < mass:
            low = middle
        else:
            high = middle
    return (low + high) / 2


@lru_cache(maxsize=64)
def normal_quantile(q: float) -> float:
    """The standard normal q quantile (0.5 < q < 1), by bisection on erf."""
    low, high = 0.0, 40.0
    while high - low > 1e-13:
        middle = (low + high) / 2
        if 0.5 * (1 + math.erf(middle / math.sqrt(2))) < q:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def wilson(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for a proportion p observed on n (effective) observations."""
    if n <= 0:
        return 0.0, 1.0
    p = min(1.0, max(0.0, p))
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (Lentz's method; Press et al.,
    Numerical Recipes §6.4), converging for x < (a + 1)/(a + b + 2)."""
    tiny = 1e-300
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    fraction = d
    for m in range(1, 1000):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            fraction *= c * d
        if abs(c * d - 1) < 1e-15:
            break
    return fraction


def beta_cdf(x: float, a: float, b: float) -> float:
    """The regularised incomplete beta function I_x(a, b): P(X ≤ x) for X ~ Beta(a, b), a, b > 0."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x)
                 + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1 - math.exp(log_front) * _beta_fraction(b, a, 1 - x) / b


def beta_quantile(q: float, a: float, b: float) -> float:
    """The q quantile of Beta(a, b): Newton's steps on beta_cdf, kept inside a bisection bracket
    (a step that leaves it is replaced by the bracket's middle), to 1e-12."""
    low, high = 0.0, 1.0
    x = a / (a + b)
    log_norm = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    for _ in range(200):
        error = beta_cdf(x, a, b) - q
        if abs(error) < 1e-14:
            break
        if error < 0:
            low = x
        else:
            high = x
        if high - low < 1e-12:
            return (low + high) / 2
        density = math.exp(log_norm + (a - 1) * math.log(x) + (b - 1) * math.log1p(-x))
        step = x - error / density if density > 0 else -1.0
        if not low < step < high:
            step = (low + high) / 2
        if abs(step - x) < 1e-14:
            return step
        x = step
    return x


def clopper_pearson(x: float, n: float, q: float = 0.975) -> tuple[float, float]:
    """Clopper & Pearson's (1934) 'exact' interval for x successes out of n (both may be
    non-integer: an effective sample): the lower bound is Beta(x, n − x + 1)'s 1 − q quantile (0
    when x = 0), the upper bound Beta(x + 1, n − x)'s q quantile (1 when x = n)."""
    if n <= 0:
        return 0.0, 1.0
    x = min(n, max(0.0, x))
    low = 0.0 if x <= 0 else beta_quantile(1 - q, x, n - x + 1)
    high = 1.0 if x >= n else beta_quantile(q, x + 1, n - x)
    return low, high


def korn_graubard(p: float, effective_n: float, df: int, q: float = 0.975) -> tuple[float, float]:
    """Korn & Graubard's (1998) interval for a survey proportion: Clopper–Pearson on the effective
    sample size adjusted for the design's degrees of freedom, n* = n_eff·(z_q/t_q(df))², with
    x* = p·n*."""
    if effective_n <= 0:
        return 0.0, 1.0
    z = normal_quantile(q)
    adjusted = effective_n * (z / t_quantile(q, df)) ** 2
    p = min(1.0, max(0.0, p))
    return clopper_pearson(p * adjusted, adjusted, q)
