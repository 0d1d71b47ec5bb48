"""The shapes the indicator code hands to the API, the pages, the report and the exports.

They are JSON-shaped (the API returns them as they are), so they are TypedDicts: plain dicts at
run time, checked by mypy. docs/indicators.md and the OpenAPI document describe each field."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypedDict

if TYPE_CHECKING:
    from surveys.indicators.areas import CommuneValue
    from surveys.indicators.dashboard import VillageProgress, VillageValue
    from surveys.indicators.report import Period
    from surveys.models import Commune
    from surveys.places.areas import Area


class Bilingual(TypedDict):
    vi: str
    en: str


class Progress(TypedDict):
    """What is left to do against a target (surveys/indicators/targets.py, `progress`)."""

    gap: float | None
    years_left: float | None
    points_per_year: float | None
    expected: float | None


class IndicatorRow(Progress):
    """One indicator of the table: the estimate, its interval and the status against its target."""

    code: str
    name: Bilingual
    unit: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    numerator: float | None
    denominator: float | None
    n: int
    weighted: bool
    households_share: float | None
    census: bool
    unweighted: bool
    effective_n: float | None
    df: int | None
    ci_low_one_sided: float | None
    target: float | None
    comparator: str | None
    target_year: int | None
    baseline: float | None
    baseline_year: int | None
    start_year: int | None  # the plan's first year: where the straight line to the target starts
    status: str | None  # None: no target nor baseline
    source: str | None
    targets: list[int]
    definition: Bilingual
    plan_wording: Bilingual


class IndicatorTable(TypedDict):
    commune: str | None  # None for an area of communes (a province or group)
    village: str | None
    period: str | None
    households: int
    indicators: list[IndicatorRow]


class TrendPoint(TypedDict):
    period: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    weighted: bool
    census: bool
    unweighted: bool


class Trend(TypedDict):
    commune: str
    village: str | None
    code: str
    by: str
    points: list[TrendPoint]


class TargetStatus(Progress):
    """A target (any, not only the one in force) against all data: the targets page."""

    value: float | None
    census: bool
    unweighted: bool
    status: str | None


class Sources(TypedDict):
    """Partners' coverage uploads with measurements in the commune (the report's data sources)."""

    uploads: int
    partners: list[str]
    measurements: int


class Dashboard(TypedDict):
    commune: Commune
    period: Period | None
    today: date
    table: IndicatorTable
    code: str
    row: IndicatorRow
    villages: list[VillageValue]
    trend: Trend
    progress: list[VillageProgress]
    progress_total: VillageProgress
    first_survey: datetime | None
    last_survey: datetime | None
    lang: NotRequired[Literal["vi", "en"]]  # set by the page: the reader's language


class Report(Dashboard):
    """The printable report: the dashboard's numbers, the targets alone, sources, map."""

    targets: list[IndicatorRow]
    sources: Sources
    hexes: list[dict[str, Any]]  # GeoJSON features (surveys/coverage/hexes.py)


class NamedCommune(TypedDict):
    slug: str
    name: str


class AreaIndicatorTable(IndicatorTable):
    """A province's, group's (or commune's, asked as an area) table: a commune's fields and more."""

    area: str
    level: str  # province, group or commune
    name: str
    households_share: float | None
    communes: int
    communes_with_data: list[str]
    communes_without_data: list[NamedCommune]


class AreaDashboard(TypedDict):
    """What an area's dashboard, report and spreadsheet show (surveys/indicators/areas.py)."""

    area: Area
    period: Period | None
    today: date
    table: AreaIndicatorTable
    code: str
    row: IndicatorRow
    ranking: list[CommuneValue]
    behind: list[CommuneValue]
    surveyed: int
    known: int | None
    targets: list[IndicatorRow]
    # Set by the pages: the reader's language, the area above this one and the level's name.
    lang: NotRequired[Literal["vi", "en"]]
    parent: NotRequired[Area | None]
    level_label: NotRequired[str]
