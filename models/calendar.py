"""The work calendar (工作日历): which days are worked. Monday to Friday are, Saturday and Sunday are not, except the
days this table lists: China's statutory holidays (法定节假日, off) and the weekend days worked instead (调休, on).
It is loaded from the chinese-calendar package (the years the State Council had published when it was released); a
year the State Council publishes later the system administrator types in and then marks published (CalendarYear).
Until a year is published its statutory days (《全国年节及纪念日放假办法》) are computed (推算) from the lunar calendar and
listed, so that no deadline lands on 元旦 or 除夕; its 调休 stay unknown. All working-day arithmetic goes through
`add_workdays`, `is_workday` and `workdays_between`; what a deadline in an unpublished year says is `estimate_note`."""
from __future__ import annotations

import time
from bisect import bisect_right
from functools import cache
from itertools import accumulate
from datetime import date, datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import Boolean, Date, Integer, String, event, null, select, union_all
from sqlalchemy.orm import Mapped, Session, mapped_column

from .base import IdMixin, TimestampMixin, VersionMixin, db
from .errors import DomainError
from .periods import FIRST_DAY, LAST_DAY, date_refusal

SOURCE_PACKAGE = "chinese-calendar"
ESTIMATED = "推算（法定节日）"  # the source of a day computed from the law, in a year whose arrangement is not published
STATUTORY_FROM = 2025  # the first year under 《全国年节及纪念日放假办法》 as amended in 2024 (春节 from 除夕, two 劳动节 days)
MAX_WORKDAYS = 3650  # how far `add_workdays` counts (about 14 years)


class CalendarDay(IdMixin, TimestampMixin, VersionMixin, db.Model):
    """A day that differs from the Monday–Friday rule: a holiday on a weekday, or a weekend day worked (调休)."""

    __label__ = "工作日历"

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(Date, unique=True)
    working: Mapped[bool] = mapped_column(Boolean, default=False)  # True: a weekend day worked (调休上班)
    name: Mapped[str | None] = mapped_column(String(64))  # the holiday it belongs to (国庆节…)
    source: Mapped[str | None] = mapped_column(String(64))  # chinese-calendar's version, ESTIMATED, or blank when typed

    loaded = False  # set on a row the loader writes; any other write is typed by hand (see before_save)

    def before_save(self) -> None:
        if not self.loaded:  # typed (a screen, a command): the administrator's word, which no loader overwrites
            self.source = None

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


class CalendarYear(IdMixin, TimestampMixin, VersionMixin, db.Model):
    """A year whose 放假安排 the State Council has published and the calendar holds in full: one the chinese-calendar
    package knows (loaded with it), or one the system administrator typed in and marked. Typing a single day of a year
    does not publish it."""

    __label__ = "已公布年份"

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, unique=True)
    source: Mapped[str | None] = mapped_column(String(64))  # chinese-calendar's version, or blank when marked by hand
    note: Mapped[str | None] = mapped_column(String(200))  # the notice it was typed from (国办发明电〔…〕…号)

    def check(self) -> None:
        if self.year is None or not FIRST_DAY.year <= self.year <= LAST_DAY.year:
            raise DomainError(f"年份应在 {FIRST_DAY.year} 至 {LAST_DAY.year} 之间。")
        left = db.session.scalars(select(CalendarDay).where(
            CalendarDay.source == ESTIMATED, CalendarDay.day.between(date(self.year, 1, 1), date(self.year, 12, 31)))
            .order_by(CalendarDay.day)).all()
        if left:
            raise DomainError(
                f"{self.year}年还有 {len(left)} 个推算的日子：{'、'.join(f'{d.day:%m-%d}（{d.name}）' for d in left)}。"
                "请先按国务院办公厅公布的放假安排在“工作日历”中逐日录入（新增该日或打开后保存，即成为录入的日子），"
                "安排中没有的推算日子删除，再标记该年已公布。")

    def __str__(self) -> str:
        return f"{self.year}年（已公布）"


@cache
def statutory_days(year: int) -> dict[date, str]:
    """The days off by law in `year`, weekends included, by 《全国年节及纪念日放假办法》 as amended in 2024: 元旦 (1-1), 春节
    (除夕 to 初三), 清明 (the day of the solar term), 劳动节 (5-1, 5-2), 端午 (五月初五), 中秋 (八月十五), 国庆节 (10-1 to
    10-3). The lunar dates and the solar term come from lunar-python; a day two holidays share is named for both."""
    from lunar_python import Lunar

    def solar(day) -> date:
        return date(day.getYear(), day.getMonth(), day.getDay())

    eve = solar(Lunar.fromYmd(year, 1, 1).getSolar()) - timedelta(days=1)
    days = [(date(year, 1, 1), "元旦"), *((eve + timedelta(days=i), "春节") for i in range(4)),
            (solar(Lunar.fromYmd(year, 1, 1).getJieQiTable()["清明"]), "清明"),
            (date(year, 5, 1), "劳动节"), (date(year, 5, 2), "劳动节"),
            (solar(Lunar.fromYmd(year, 5, 5).getSolar()), "端午"), (solar(Lunar.fromYmd(year, 8, 15).getSolar()), "中秋"),
            *((date(year, 10, d), "国庆节") for d in (1, 2, 3))]
    named: dict[date, str] = {}
    for day, name in days:
        named[day] = f"{named[day]}、{name}" if day in named else name
    return dict(sorted(named.items()))


CACHE_KEY = "zq.calendar"
HORIZON_KEY = "zq.calendar_horizons"
CACHE_SECONDS = 60  # how soon another worker process sees a day the administrator added


def _listed() -> dict[int, dict[date, bool]]:
    """Every listed day (about 1,200 rows, most of them the computed years to 2099), by year: read in one statement and kept by the app for a minute, so that a
    page that counts working days (the ledger, the desk) asks the database nothing more; a change made in this process
    is seen at once (see _forget), one made in another worker within CACHE_SECONDS."""
    return _store()["years"]


def _store() -> dict:
    """The listed days by year and the published years, read together and kept for CACHE_SECONDS (see _listed)."""
    store = current_app.extensions.setdefault(CACHE_KEY, {}) if has_app_context() else {}
    if not store or time.monotonic() - store["at"] > CACHE_SECONDS:
        years: dict[int, dict[date, bool]] = {}
        published = set()
        for day, working, year in db.session.execute(union_all(  # one statement: a desk's budget is a handful
                select(CalendarDay.day, CalendarDay.working, null()), select(null(), null(), CalendarYear.year))):
            if day is None:
                published.add(year)
            else:
                years.setdefault(day.year, {})[day] = working
        store.update(at=time.monotonic(), years=years, published=frozenset(published))
    return store


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
    if any(isinstance(o, CalendarDay | CalendarYear) for o in (*session.new, *session.dirty, *session.deleted)):
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
    why = (f"法定节假日（{listed.name}{'，推算' if listed.source == ESTIMATED else ''}）" if listed is not None and listed.name
           else "周末" if day.isoweekday() > 5 else "节假日")
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


def published_years() -> frozenset[int]:
    """The years whose 放假安排 the calendar holds in full (CalendarYear), read with the listed days."""
    return _store()["published"]


def unpublished_years(first: int, last: int) -> list[int]:
    """The years from `first` to `last` whose 放假安排 is not published: their working days count the statutory days
    computed by law (from STATUTORY_FROM on), and no 调休."""
    published = published_years()
    return [year for year in range(first, last + 1) if year not in published]


def estimate_note(start: date, end: date) -> str | None:
    """What a deadline (or any count of working days) between `start` and `end` must say when it crosses a year whose
    放假安排 is not published: “2027年放假安排尚未发布，按法定节日推算”; None when every year is published."""
    years = unpublished_years(min(start, end).year, max(start, end).year)
    if not years:
        return None
    computed = [str(y) for y in years if y >= STATUTORY_FROM]
    unknown = [str(y) for y in years if y < STATUTORY_FROM]
    return "；".join(filter(None, (
        computed and f"{'、'.join(computed)}年放假安排尚未发布，按法定节日推算",
        unknown and f"{'、'.join(unknown)}年的放假安排不在工作日历中，只按周末计算")))


def desk_note(today: date, deadlines=()) -> str | None:
    """The office desk's note (estimate_note) on the years not published among this year, next year from October on
    (when the State Council usually publishes it), and the years of the `deadlines` the desk lists."""
    ends = [today, date(today.year + (1 if today.month >= 10 else 0), 12, 31), *deadlines]
    return estimate_note(min(ends), max(ends))


def load_package_calendar() -> int:
    """The days of the chinese-calendar package the table lacks, each taking the place of a computed (推算) one, and
    the package's years marked published (their other computed days removed); how many days were added or replaced.
    Typed days (the administrator's) are left as they are."""
    import chinese_calendar
    from chinese_calendar.constants import holidays, workdays

    source = f"{SOURCE_PACKAGE} {chinese_calendar.__version__}"
    known = {day.year for day in (*holidays, *workdays)}
    listed = {row.day: row for row in db.session.scalars(
        select(CalendarDay).where(CalendarDay.day.between(date(min(known), 1, 1), date(max(known), 12, 31))))}
    changed = 0
    for days, working in ((holidays, False), (workdays, True)):
        for day, name in days.items():
            if (day.isoweekday() > 5) != working:  # a weekend holiday is no exception to the rule
                continue
            row = listed.get(day)
            if row is None:
                row = CalendarDay(day=day)
                db.session.add(row)
            elif row.source != ESTIMATED:
                continue
            row.working, row.name, row.source, row.loaded = working, _chinese(name), source, True
            changed += 1
    for row in listed.values():
        if row.source == ESTIMATED:  # the published arrangement does not list it
            db.session.delete(row)
    db.session.flush()
    marked = set(db.session.scalars(select(CalendarYear.year)))
    db.session.add_all(CalendarYear(year=year, source=source) for year in sorted(known - marked))
    return changed


def estimate_unpublished() -> int:
    """The statutory days (statutory_days) on weekdays of each year not published, from STATUTORY_FROM to the last
    year the system keeps dates of, listed as computed (推算) where the calendar has nothing on that day; how many were
    added. No 调休 is invented: a year's 调休 are known only when it is published."""
    published = set(db.session.scalars(select(CalendarYear.year)))
    have = set(db.session.scalars(select(CalendarDay.day).where(CalendarDay.day >= date(STATUTORY_FROM, 1, 1))))
    added = 0
    for year in range(STATUTORY_FROM, LAST_DAY.year + 1):
        if year in published:
            continue
        for day, name in statutory_days(year).items():
            if day.isoweekday() <= 5 and day not in have:
                row = CalendarDay(day=day, working=False, name=name, source=ESTIMATED)
                row.loaded = True
                db.session.add(row)
                added += 1
    return added


def estimated_day(day) -> CalendarDay | None:
    """The computed (推算) row of `day`, which a day typed on it takes the place of."""
    if not isinstance(day, date):
        return None
    return db.session.scalar(select(CalendarDay).where(CalendarDay.day == day, CalendarDay.source == ESTIMATED))


def _chinese(name: str) -> str:
    from chinese_calendar.constants import Holiday

    return next((h.chinese for h in Holiday if h.value == name), name)
