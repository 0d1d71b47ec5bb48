"""Indicators: the catalogue, the estimators (pure), the rollups they read, targets and statuses,
the tables, maps, reports and exports built on them.

`from surveys.indicators import estimate_from_moments, CATALOGUE` is a public contract (outside
checks call it), kept here whatever module the estimators live in."""

from surveys.indicators.estimators import CATALOGUE, Estimate, estimate_from_moments

__all__ = ["CATALOGUE", "Estimate", "estimate_from_moments"]
