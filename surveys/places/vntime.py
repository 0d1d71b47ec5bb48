"""Vietnam time for people: the one helper every page, report and chart uses to show a time.

Times are stored in UTC and the API keeps ISO 8601 with an offset; what a person reads is the time
on the wall in Vietnam (Asia/Ho_Chi_Minh, UTC+7, no daylight saving) in Vietnamese formats
("08:05, 23/11/2026", "Quý 4/2026") or, when English is chosen, English ones ("23 Nov 2026, 08:05",
"Q4 2026"). Jinja has the same functions as filters (`|vn_datetime`, `|vn_date`, `|vn_period`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")


def local(moment: datetime) -> datetime:
    """A stored time as the wall clock in Vietnam (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM)


def local_date(moment: datetime | date | None) -> date | None:
    """The day in Vietnam of a stored time (a date is already a day)."""
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return local(moment).date()
    return moment


def today(now: datetime | None = None) -> date:
    """Today's date in Vietnam, whatever the server's own time zone."""
    return local(now or datetime.now(UTC)).date()


def format_datetime(moment: datetime | None, locale: str = "vi") -> str:
    """'08:05, 23/11/2026' in Vietnamese, '23 Nov 2026, 08:05' in English."""
    if moment is None:
        return ""
    wall = local(moment)
    if locale == "en":
        return f"{wall.day} {_MONTHS_EN[wall.month - 1][:3]} {wall.year}, {wall:%H:%M}"
    return f"{wall:%H:%M}, {wall:%d/%m/%Y}"


def format_date(moment: datetime | date | None, locale: str = "vi", *, long: bool = False) -> str:
    """'23/11/2026' (long: 'ngày 23 tháng 11 năm 2026') or '23 Nov 2026' ('23 November 2026')."""
    day = local_date(moment)
    if day is None:
        return ""
    if locale == "en":
        month = _MONTHS_EN[day.month - 1]
        return f"{day.day} {month if long else month[:3]} {day.year}"
    if long:
        return f"ngày {day.day} tháng {day.month} năm {day.year}"
    return f"{day:%d/%m/%Y}"


_PERIOD = re.compile(r"^(\d{4})(?:-Q([1-4])|-(\d{2}))?$")


def format_period(label: str | None, locale: str = "vi") -> str:
    """A period label of the API ('2026', '2026-Q4', '2026-03') as people read it:
    'Năm 2026', 'Quý 4/2026', 'Tháng 3/2026' (English: '2026', 'Q4 2026', 'March 2026')."""
    if not label:
        return ""
    found = _PERIOD.match(label)
    if found is None:
        return label
    year, quarter, month = found.groups()
    if locale == "en":
        if quarter:
            return f"Q{quarter} {year}"
        return f"{_MONTHS_EN[int(month) - 1]} {year}" if month else year
    if quarter:
        return f"Quý {quarter}/{year}"
    return f"Tháng {int(month)}/{year}" if month else f"Năm {year}"
