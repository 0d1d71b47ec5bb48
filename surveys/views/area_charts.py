"""The chart of an area's dashboard: its communes ranked for one indicator, drawn server-side by
surveys/indicators/charts.py as the commune dashboard's village bars are (one bar per commune with
data, its 95 % interval as a whisker, the area's target as a dashed line). The ranking table under
it is the chart's text alternative; communes without data have no bar and are named there."""

from __future__ import annotations

from flask_babel import gettext as _

from surveys.indicators import CATALOGUE, charts
from surveys.indicators.results import AreaDashboard
from surveys.views.dashboard import percent, sample_text, status_labels, target_percent


def ranking_chart(data: AreaDashboard) -> str:
    """One horizontal bar per commune with a value, best first, as the ranking lists them."""
    row, lang = data["row"], data.get("lang", "vi")
    labels = status_labels()
    unit = CATALOGUE[row["code"]].unit
    bars = [charts.Bar(c.name, c.value, c.ci_low, c.ci_high, c.status,
                       f"{sample_text(unit, c.n)}, {labels[c.status]}")
            for c in data["ranking"] if c.value is not None]
    target_label = "" if row["target"] is None else _("Target %(value)s",
                                                      value=target_percent(row["target"]))
    return charts.village_bars(bars, title=_("%(indicator)s by commune",
                                             indicator=row["name"][lang]),
                               target=row["target"], target_label=target_label, percent=percent)
