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
