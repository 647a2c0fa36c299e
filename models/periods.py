"""Reporting periods: the week of a 周调度 and the 旬 of a 旬通报, with their due dates."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .errors import DomainError
from .vocab import ReportKind

# The dates the system stores or reports on: wide enough for any campaign and the policies it cites, narrow enough
# that a period's arithmetic never leaves the calendar (0001-01-01 and 9999-12-31 have no week around them) and that
# a typed 0024 for 2024 is caught.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2099, 12, 31)


def date_refusal(value) -> str | None:
    """The Chinese message refusing a date (or date and time) outside FIRST_DAY … LAST_DAY, or None."""
    day = value.date() if isinstance(value, datetime) else value
    if isinstance(day, date) and not FIRST_DAY <= day <= LAST_DAY:
        return f"日期 {day} 超出范围：应在 {FIRST_DAY} 至 {LAST_DAY} 之间。"
    return None


@dataclass(frozen=True)
class Period:
    kind: str  # 周调度 or 旬通报
    start: date
    end: date
    due: date

    @property
    def label(self) -> str:
        if self.kind == ReportKind.DEKAD:
            part = "上旬" if self.start.day == 1 else "中旬" if self.start.day == 11 else "下旬"
            return f"{self.start.year}年{self.start.month}月{part}"
        return f"{self.start:%Y-%m-%d}至{self.end:%Y-%m-%d}"


def report_day(text: str) -> date:
    """The date of a report from user input (YYYY-MM-DD), or a DomainError in Chinese."""
    try:
        day = date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise DomainError(f"日期“{str(text)[:20]}”无效，应为 YYYY-MM-DD 格式，如 2024-09-15。") from None
    message = date_refusal(day)
    if message:
        raise DomainError(message)
    return day


def week(day: date, due_weekday: int = 3) -> Period:
    """The 周调度 week containing `day`: it ends on its due weekday (ISO, 3 = 周三) and starts six days before."""
    end = day + timedelta(days=(due_weekday - day.isoweekday()) % 7)
    return Period(ReportKind.WEEKLY, end - timedelta(days=6), end, end)


def dekad(day: date, due_day: int = 8) -> Period:
    """The 旬 containing `day` (上旬 1–10, 中旬 11–20, 下旬 21–month end), due on its `due_day`-th day (8 → 8/18/28)."""
    start_day = 1 if day.day <= 10 else 11 if day.day <= 20 else 21
    last = calendar.monthrange(day.year, day.month)[1]
    end_day = 10 if start_day == 1 else 20 if start_day == 11 else last
    start = day.replace(day=start_day)
    return Period(ReportKind.DEKAD, start, day.replace(day=end_day), start + timedelta(days=min(due_day, end_day - start_day + 1) - 1))


def period_for(kind: str, day: date, recurrence_day: int) -> Period:
    """The period of report `kind` containing `day`, given the day its task recurs on."""
    return week(day, recurrence_day) if kind == ReportKind.WEEKLY else dekad(day, recurrence_day)
