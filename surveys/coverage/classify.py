"""Signal and speed classes (docs/coverage.md cites the sources).

Signal levels are Android's own (SignalStrength / CellSignalStrengthLte & CellSignalStrengthNr,
the bars a phone shows): LTE RSRP −115/−105/−95/−85 dBm, NR SS-RSRP −110/−90/−80/−65 dBm separate
none / poor / moderate / good / great. "Usable coverage" here means a class of moderate or better
(≥ 2 of 4 bars): a phone holds a call and loads a page. Speed: QCVN 81:2019/BTTTT (4G) and
QCVN 126:2021/BTTTT (5G, average download ≥ 100 Mbps).
"""

from __future__ import annotations

from bisect import bisect_right

CLASSES = ("none", "poor", "moderate", "good", "great")
USABLE = frozenset({"moderate", "good", "great"})

# Lower bounds of poor, moderate, good, great (dBm). 2G/3G have no RSRP: classed by speed only.
RSRP_THRESHOLDS = {"4g": (-115.0, -105.0, -95.0, -85.0), "5g": (-110.0, -90.0, -80.0, -65.0)}
# Physical ranges reported by phones (3GPP TS 36.133 / 38.133); outside is a sentinel or a bug.
RSRP_RANGE = {"4g": (-140.0, -43.0), "5g": (-140.0, -44.0)}
RSRQ_RANGE = (-20.0, -3.0)
SINR_RANGE = (-23.0, 40.0)
SPEED_RANGE = (0.0, 10_000.0)
LATENCY_RANGE = (0.0, 60_000.0)
# The largest coverage disc taken from a cell list: LTE's timing advance reaches about 100 km,
# but a disc that wide says nothing about a commune.
MAX_FOOTPRINT_M = 35_000.0
# QCVN 126:2021 (5G): average download ≥ 100 Mbps. QCVN 81:2019 (4G) is used with 4G's usual
# planning figure; both are settings-free constants documented in docs/coverage.md.
SPEED_TARGET_MBPS = {"5g": 100.0, "4g": 20.0}


def signal_class(technology: str, rsrp_dbm: float | None) -> str | None:
    thresholds = RSRP_THRESHOLDS.get(technology)
    if thresholds is None or rsrp_dbm is None:
        return None
    # Once per imported row, so counted in C: bisect_right counts the bounds at or below the value
    # (thresholds ascend). NaN compares false with everything: bisect would read it as above every
    # bound, where a count of `>=` reads it as below all, so it is kept apart.
    if rsrp_dbm != rsrp_dbm:
        return CLASSES[0]
    return CLASSES[bisect_right(thresholds, rsrp_dbm)]

