"""The work calendar (工作日历): which days are worked. Monday to Friday are, Saturday and Sunday are not, except the
days this table lists: China's statutory holidays (法定节假日, off) and the weekend days worked instead (调休, on).
It is loaded from the chinese-calendar package (the years the State Council has published when it was released) and
the system administrator adds a newly published year in the panel. All working-day arithmetic goes through
`add_workdays`, `is_workday` and `workdays_between`."""
from __future__ import annotations

import time
from bisect import bisect_right
from itertools import accumulate
from datetime import date, datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import Boolean, Date, String, event, extract, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .base import IdMixin, TimestampMixin, VersionMixin, db
from .errors import DomainError
from .periods import date_refusal

SOURCE_PACKAGE = "chinese-calendar"
MAX_WORKDAYS = 3650  # how far `add_workdays` counts (about 14 years)


class CalendarDay(IdMixin, TimestampMixin, VersionMixin, db.Model):
    """A day that differs from the Monday–Friday rule: a holiday on a weekday, or a weekend day worked (调休)."""

    __label__ = "工作日历"

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(Date, unique=True)
    working: Mapped[bool] = mapped_column(Boolean, default=False)  # True: a weekend day worked (调休上班)
    name: Mapped[str | None] = mapped_column(String(64))  # the holiday it belongs to (国庆节…)
    source: Mapped[str | None] = mapped_column(String(64))  # chinese-calendar's version, or blank when typed in

    def check(self) -> None:
        if self.day is None:
            raise DomainError("请填写日期。")
        message = date_refusal(self.day)
        if message:
            raise DomainError(message)
        weekend = self.day.isoweekday() > 5
        if self.working and not weekend:
            raise DomainError(f"{self.day}是工作日（周一至周五），不需要登记为调休上班；只有周六、周日上班才登记。")
        if not self.working and weekend:
            raise DomainError(f"{self.day}是周末，本来就不上班，不需要登记为节假日；只有周一至周五放假才登记。")

    def __str__(self) -> str:
        return f"{self.day} {'调休上班' if self.working else '放假'}{f'（{self.name}）' if self.name else ''}"


CACHE_KEY = "zq.calendar"
HORIZON_KEY = "zq.calendar_horizons"
CACHE_SECONDS = 60  # how soon another worker process sees a day the administrator added


def _listed() -> dict[int, dict[date, bool]]:
    """Every listed day (a few hundred rows), by year: read in one statement and kept by the app for a minute, so that a
    page that counts working days (the ledger, the desk) asks the database nothing more; a change made in this process
    is seen at once (see _forget), one made in another worker within CACHE_SECONDS."""
    store = current_app.extensions.setdefault(CACHE_KEY, {}) if has_app_context() else {}
    if not store or time.monotonic() - store["at"] > CACHE_SECONDS:
        years: dict[int, dict[date, bool]] = {}
        for day, working in db.session.execute(select(CalendarDay.day, CalendarDay.working)):
            years.setdefault(day.year, {})[day] = working
        store.update(at=time.monotonic(), years=years)
    return store["years"]


def _shifts() -> tuple[list[int], list[int]]:
    """The listed days as sorted ordinals, and the running sums of what each shifts the Monday–Friday count by (+1 for
    a weekend day worked, -1 for a weekday off), kept with _listed: a span's shift is two binary searches."""
    years = _listed()
    store = current_app.extensions.setdefault(CACHE_KEY, {}) if has_app_context() else {}
    if store.get("shifts_of") is not years:
        days = sorted((day.toordinal(), 1 if working else -1) for year in years.values() for day, working in year.items())
        store.update(shifts_of=years, shifts=([o for o, _ in days], list(accumulate((d for _, d in days), initial=0))))
    return store["shifts"]


def _year(year: int) -> dict[date, bool]:
    return _listed().get(year, {})


@event.listens_for(Session, "before_flush")
def _forget(session, flush_context, instances) -> None:
    if any(isinstance(o, CalendarDay) for o in (*session.new, *session.dirty, *session.deleted)):
        if has_app_context():
            current_app.extensions.pop(CACHE_KEY, None)
        session.info.pop(HORIZON_KEY, None)


def exceptions(start: date, end: date) -> dict[date, bool]:
    """The calendar's listed days from `start` to `end`: day → worked or not."""
    return {day: working for year in range(start.year, end.year + 1) for day, working in _year(year).items()
            if start <= day <= end}


def is_workday(day: date, listed: dict[date, bool] | None = None) -> bool:
    listed = _year(day.year) if listed is None else listed
    return listed.get(day, day.isoweekday() <= 5)


def day_off_notice(day, what: str = "办理时限") -> str | None:
    """A Chinese warning when `day` is not a working day (a deadline on a holiday or weekend), else None."""
    if not isinstance(day, date):
        return None
    listed = db.session.scalar(select(CalendarDay).where(CalendarDay.day == day))
    if is_workday(day, {day: listed.working} if listed is not None else {}):
        return None
    why = f"法定节假日（{listed.name}）" if listed is not None and listed.name else ("周末" if day.isoweekday() > 5 else "节假日")
    return f"注意：{what} {day:%Y-%m-%d} 是非工作日（{why}），请确认是否需要改为工作日。"


def add_workdays(start: date, n: int) -> date:
    """The date `n` working days after `start` (`start` itself not counted), or before it for a negative `n`:
    2024-09-27 plus 5 is 2024-10-10, since 09-29 (a Sunday) is worked and 10-01 to 10-07 are 国庆节."""
    if not -MAX_WORKDAYS <= n <= MAX_WORKDAYS:
        raise DomainError(f"工作日天数应在 {-MAX_WORKDAYS} 至 {MAX_WORKDAYS} 之间，当前为 {n}。")
    step = timedelta(days=1 if n >= 0 else -1)
    day, left = start, abs(n)
    while left:
        day += step
        if is_workday(day):
            left -= 1
    return day


def _weekdays_to(day: date) -> int:
    """Mondays to Fridays from 0001-01-01 (a Monday) up to and including `day`."""
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


def workdays_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative when `end` is before `start`): the weekdays
    between them, less the listed holidays on weekdays, plus the listed weekend days worked."""
    if end < start:
        return -workdays_between(end, start)
    ordinals, sums = _shifts()
    return (_weekdays_to(end) - _weekdays_to(start)
            + sums[bisect_right(ordinals, end.toordinal())] - sums[bisect_right(ordinals, start.toordinal())])


def workdays_left(deadline: date, today: date) -> int:
    """Working days from `today` to `deadline`: 0 when it is today (or only days off lie between), negative once
    past it, by at least one."""
    if deadline < today:
        return min(-1, -workdays_between(deadline, today))
    return workdays_between(today, deadline)


def yellow_horizon(today: date, yellow_days: int) -> date:
    """The last deadline that leaves at most `yellow_days` working days after `today` (a weekend or holiday right
    after it counts with it): the yellow window's end, the same for the ledger's SQL and a single problem's light."""
    cache = db.session.info.setdefault(HORIZON_KEY, {})
    key = (today, yellow_days)
    if key not in cache:
        cache[key] = add_workdays(today, yellow_days + 1) - timedelta(days=1)
    return cache[key]


def workdays_back(now: datetime, days: int) -> datetime:
    """The moment `days` working days before `now` (at the same time of day): the 7日无进展 cutoff."""
    return datetime.combine(add_workdays(now.date(), -days), now.time(), now.tzinfo)


def covered_years() -> set[int]:
    """The years the calendar lists any day of."""
    return {int(year) for year in db.session.scalars(select(extract("year", CalendarDay.day)).distinct())}


def years_without_data(first: int, last: int) -> list[int]:
    """The years from `first` to `last` the calendar lists nothing of: their holidays are unknown, and working days
    in them count weekends only."""
    have = covered_years()
    return [year for year in range(first, last + 1) if year not in have]


def missing_years(today: date) -> list[int]:
    """This year and, from October on, next year, when the calendar lists nothing of them."""
    return years_without_data(today.year, today.year + (1 if today.month >= 10 else 0))


def load_package_calendar() -> int:
    """The days of the chinese-calendar package the table lacks; how many were added. Days already listed (also
    those the administrator typed in) are left as they are."""
    import chinese_calendar
    from chinese_calendar.constants import holidays, workdays

    source = f"{SOURCE_PACKAGE} {chinese_calendar.__version__}"
    have = set(db.session.scalars(select(CalendarDay.day)))
    added = 0
    for listed, working in ((holidays, False), (workdays, True)):
        for day, name in listed.items():
            if day in have or (day.isoweekday() > 5) != working:  # a weekend holiday is no exception to the rule
                continue
            db.session.add(CalendarDay(day=day, working=working, name=_chinese(name), source=source))
            have.add(day)
            added += 1
    return added


def _chinese(name: str) -> str:
    from chinese_calendar.constants import Holiday

    return next((h.chinese for h in Holiday if h.value == name), name)
