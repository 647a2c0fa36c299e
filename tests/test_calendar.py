"""The work calendar (models.calendar): China's statutory holidays and 调休 days from the chinese-calendar package, the
administrator's additions, working-day arithmetic, `flask workdays`, and the years not yet published: their statutory
days computed by law (推算), replaced when the year is published, never over a typed day."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from models import CalendarDay, CalendarYear, db
from models.calendar import (ESTIMATED, add_workdays, estimate_note, estimate_unpublished, is_workday,
                             load_package_calendar, published_years, statutory_days, workdays_between, workdays_left)
from models.errors import DomainError

from .conftest import csrf_token
from .helpers import flashes


def test_the_seeded_calendar_knows_national_day_2024(seeded):
    with seeded.app_context():
        assert not is_workday(date(2024, 10, 1)) and not is_workday(date(2024, 10, 7))
        assert is_workday(date(2024, 9, 29)) and is_workday(date(2024, 10, 12))  # Sunday and Saturday worked (调休)
        assert not is_workday(date(2024, 9, 28)) and is_workday(date(2024, 10, 8))
        assert add_workdays(date(2024, 9, 27), 5) == date(2024, 10, 10)
        assert add_workdays(date(2024, 9, 27), 0) == date(2024, 9, 27)
        assert workdays_between(date(2024, 9, 27), date(2024, 10, 10)) == 5
        assert workdays_between(date(2024, 10, 10), date(2024, 9, 27)) == -5
        assert db.session.get(CalendarDay, db.session.scalar(select(CalendarDay.id).where(
            CalendarDay.day == date(2024, 10, 1)))).name == "国庆节"
        assert load_package_calendar() == 0  # loading again adds nothing


def test_counting_working_days_agrees_with_walking_the_calendar_day_by_day(seeded):
    """workdays_between counts weekdays arithmetically and corrects by the listed days; add_workdays walks. Both agree
    with a plain day-by-day walk over any span of 2023–2026 (Spring Festival, 国庆 and their 调休 included), forward
    and back, and a deadline's days left never jump over a holiday week."""
    from datetime import timedelta

    from hypothesis import given, settings, strategies as st

    with seeded.app_context():
        def walked(start, end):
            return sum(1 for i in range(1, (end - start).days + 1) if is_workday(start + timedelta(days=i)))

        @settings(max_examples=150, deadline=None, database=None)
        @given(st.dates(date(2023, 1, 1), date(2026, 12, 31)), st.integers(0, 400))
        def agree(start, span):
            end = start + timedelta(days=span)
            n = workdays_between(start, end)
            assert n == walked(start, end) and workdays_between(end, start) == -n
            if n:
                landed = add_workdays(start, n)
                assert landed <= end and is_workday(landed) and walked(start, landed) == n
                assert add_workdays(landed, -n) <= start and walked(add_workdays(landed, -n), landed) == n

        agree()
        assert add_workdays(date(2024, 10, 10), -5) == date(2024, 9, 27)  # back over 国庆, 09-29 worked
        assert workdays_left(date(2024, 10, 8), date(2024, 9, 30)) == 1  # the 国庆 week is no time to work in
        assert workdays_left(date(2024, 10, 19), date(2024, 10, 20)) == -1  # a Saturday deadline, seen on Sunday
        assert workdays_left(date(2024, 10, 18), date(2024, 10, 21)) == -1


def test_the_workdays_command(seeded):
    runner = seeded.test_cli_runner()
    result = runner.invoke(args=["workdays", "2024-09-27", "5"])
    assert result.exit_code == 0 and result.output.strip() == "2024-10-10"
    for args, message in ((["2024-02-30", "5"], "FROM：日期“2024-02-30”无效"), (["2024-09-27", "五"], "N 应为 0 至 3650 之间的整数"),
                          (["2024-09-27", "-1"], "N 应为"), (["2024-09-27", "99999"], "N 应为")):
        result = runner.invoke(args=["workdays", *args])
        assert result.exit_code == 1 and message in result.output, result.output
    result = runner.invoke(args=["workdays", "2099-01-05", "3"])
    assert result.exit_code == 0 and "2099-01-08" in result.output and "2099年放假安排尚未发布，按法定节日推算" in result.output
    result = runner.invoke(args=["workdays", "2026-12-07", "19"])  # the answer lies in 2027, not yet published
    assert result.exit_code == 0 and result.output.splitlines() == ["2027-01-04", "注意：2027年放假安排尚未发布，按法定节日推算。"]
    result = runner.invoke(args=["workdays", "2026-11-02", "5"])  # all of it in 2026, published
    assert result.exit_code == 0 and result.output.strip() == "2026-11-09"


def test_a_calendar_day_must_be_an_exception_to_the_weekday_rule(seeded):
    with seeded.app_context():
        db.session.add(CalendarDay(day=date(2030, 3, 6), working=True))  # a Wednesday
        with pytest.raises(DomainError, match="只有周六、周日上班才登记"):
            db.session.commit()
        db.session.rollback()
        with pytest.raises(DomainError, match="工作日天数应在 -3650 至 3650 之间"):
            add_workdays(date(2024, 1, 1), 5000)


def test_a_deadline_on_a_day_off_is_flagged_at_assign(seeded, login_as):
    """交办 with a 办理时限 on a weekend goes through, with a warning naming the day; on a working day, no warning."""
    from datetime import timedelta

    from models import Person, Problem, Unit, workflow
    from tests.factories import miluo, named

    with seeded.app_context():
        campaign = miluo()
        unit = named(Unit, "市发改局")
        lead = db.session.scalars(select(Person).where(Person.unit_id == unit.id)).first()
        problems = [Problem(campaign=campaign, description=f"时限测试{i}") for i in range(2)]
        db.session.add_all(problems)
        db.session.commit()
        ids, unit_id, lead_id = [p.id for p in problems], unit.id, lead.id
        today = workflow.today()
        saturday = today + timedelta(days=(6 - today.isoweekday()) % 7 or 7)
        weekday = add_workdays(today, 3)
    office = login_as("coordinator")
    for pk, deadline, warned in ((ids[0], saturday, True), (ids[1], weekday, False)):
        form = office.get(f"/admin/problem/step/assign/?id={pk}")
        done = office.post(f"/admin/problem/step/assign/?id={pk}", data={
            "csrf_token": csrf_token(form.text), "responsible_unit": str(unit_id), "lead_person": str(lead_id),
            "deadline": f"{deadline:%Y-%m-%d}"}, follow_redirects=True)
        messages = flashes(done.text)
        assert any(m.startswith("已将") and "交办" in m for m in messages), messages
        assert any(f"办理时限 {deadline:%Y-%m-%d} 是非工作日（周末）" in m for m in messages) == warned, messages


def test_a_day_added_is_counted_at_once_in_the_same_session(seeded):
    """The calendar's years are read once per database session; adding a day clears what was read."""
    with seeded.app_context():
        assert add_workdays(date(2031, 3, 3), 1) == date(2031, 3, 4)  # 2031 has no data: reads an empty year
        db.session.add(CalendarDay(day=date(2031, 3, 4), working=False, name="测试假日"))
        db.session.commit()
        assert not is_workday(date(2031, 3, 4)) and add_workdays(date(2031, 3, 3), 1) == date(2031, 3, 5)
        assert workdays_between(date(2031, 3, 3), date(2031, 3, 5)) == 1


def test_assign_takes_the_deadline_as_working_days_or_as_a_date(seeded, login_as):
    """交办: 按工作日数 (the campaign's default proposed when the type has none) becomes the date that many working days
    on; 按日期 takes the date; either one missing is refused in Chinese and nothing changes."""
    from models import Person, Problem, Unit, workflow
    from tests.factories import miluo, named

    with seeded.app_context():
        campaign = miluo()
        campaign.deadline_days = 7
        unit = named(Unit, "市发改局")
        lead = db.session.scalars(select(Person).where(Person.unit_id == unit.id)).first()
        problems = [Problem(campaign=campaign, description=f"工作日时限{i}") for i in range(3)]
        db.session.add_all(problems)
        db.session.commit()
        ids, unit_id, lead_id = [p.id for p in problems], unit.id, lead.id
        today = workflow.today()
        seven, ten, date_given = add_workdays(today, 7), add_workdays(today, 10), add_workdays(today, 4)
    office = login_as("coordinator")
    page = office.get(f"/admin/problem/step/assign/?id={ids[0]}").text
    assert "本专项行动默认办理时限 7 个工作日" in page and f"按工作日历即 {seven:%Y-%m-%d}" in page
    assert 'name="ui_deadline_days"' in page and 'value="7"' in page.split('name="ui_deadline_days"')[1][:80]
    base = {"csrf_token": csrf_token(page), "responsible_unit": str(unit_id), "lead_person": str(lead_id)}
    refused = office.post(f"/admin/problem/step/assign/?id={ids[0]}", data={**base, "ui_deadline_by": "days",
                                                                            "ui_deadline_days": "", "deadline": ""})
    assert "请填写办理时限的工作日数" in refused.text
    refused = office.post(f"/admin/problem/step/assign/?id={ids[0]}", data={**base, "ui_deadline_by": "date",
                                                                            "ui_deadline_days": "7", "deadline": ""})
    assert "请填写办理时限的日期" in refused.text
    refused = office.post(f"/admin/problem/step/assign/?id={ids[0]}", data={**base, "ui_deadline_by": "days",
                                                                            "ui_deadline_days": "0"})
    assert "工作日数应在 1 至 365 之间" in refused.text
    for pk, extra in ((ids[1], {"ui_deadline_by": "days", "ui_deadline_days": "10", "deadline": "2030-01-01"}),
                      (ids[2], {"ui_deadline_by": "date", "ui_deadline_days": "10", "deadline": f"{date_given:%Y-%m-%d}"})):
        done = office.post(f"/admin/problem/step/assign/?id={pk}", data={**base, **extra})
        assert done.status_code == 302, flashes(done.text)
    with seeded.app_context():
        assert [db.session.get(Problem, pk).deadline for pk in ids] == [None, ten, date_given]
        assert db.session.get(Problem, ids[0]).status == "待交办"


# --- years not yet published (issue: today 2026-12-07, chinese-calendar 1.11.0 knows 2026 at most) ---

def test_19_and_44_working_days_from_2026_12_07_keep_clear_of_new_years_day_and_new_years_eve(seeded):
    """The filed failure: 19 working days from 2026-12-07 came to 2027-01-01 (元旦) and 44 to 2027-02-05 (除夕), as if
    2027 had no holidays. 2027 is not published, so its statutory days are computed: 元旦 (Fri 01-01), 除夕 (Fri 02-05)
    and 初三 (Mon 02-08) are off, the weekend 初一, 初二 between them is off anyway."""
    with seeded.app_context():
        assert add_workdays(date(2026, 12, 7), 19) == date(2027, 1, 4)
        assert add_workdays(date(2026, 12, 7), 44) == date(2027, 2, 10)
        assert not is_workday(date(2027, 1, 1)) and not is_workday(date(2027, 2, 5)) and not is_workday(date(2027, 2, 8))
        assert workdays_between(date(2026, 12, 7), date(2027, 2, 10)) == 44


def test_the_statutory_days_of_any_year():
    """By 《全国年节及纪念日放假办法》 as amended in 2024, checked against known dates: 2027 and 2028 in full; 春节's 除夕 and
    the moving festivals of later years; a day two festivals share (2028: 中秋 on 10-03) is named for both."""
    assert statutory_days(2027) == {
        date(2027, 1, 1): "元旦", date(2027, 2, 5): "春节", date(2027, 2, 6): "春节", date(2027, 2, 7): "春节",
        date(2027, 2, 8): "春节", date(2027, 4, 5): "清明", date(2027, 5, 1): "劳动节", date(2027, 5, 2): "劳动节",
        date(2027, 6, 9): "端午", date(2027, 9, 15): "中秋", date(2027, 10, 1): "国庆节", date(2027, 10, 2): "国庆节",
        date(2027, 10, 3): "国庆节"}
    days_2028 = statutory_days(2028)
    assert [d for d, n in days_2028.items() if n == "春节"] == [date(2028, 1, 25) + timedelta(days=i) for i in range(4)]
    assert days_2028[date(2028, 4, 4)] == "清明" and days_2028[date(2028, 5, 28)] == "端午"
    assert days_2028[date(2028, 10, 3)] == "中秋、国庆节" and len(days_2028) == 12
    eves = {2029: date(2029, 2, 12), 2030: date(2030, 2, 2), 2031: date(2031, 1, 22)}  # 除夕: 春节 less a day
    for year, eve in eves.items():
        assert min(d for d, n in statutory_days(year).items() if n == "春节") == eve
    assert date(2030, 9, 12) in statutory_days(2030) and statutory_days(2030)[date(2030, 6, 5)] == "端午"


def test_the_statutory_days_are_holidays_in_every_year_the_package_knows():
    """For the years the State Council has published (the chinese-calendar package), every computed statutory day is
    one of its holidays: all of them from 2025 (the amended law), and before that the weekdays among the days the law
    kept unchanged since 2008 (元旦, 清明, 端午, 中秋, 国庆 10-1 to 10-3; the package misses a Saturday, 2012-06-23, of
    the 端午 it lists around it, and a weekend day changes no count of working days)."""
    from chinese_calendar.constants import holidays

    for year in (2025, 2026):
        assert set(statutory_days(year)) <= set(holidays), year
    for year in range(2008, 2025):
        kept = {d for d, n in statutory_days(year).items() if n not in ("春节", "劳动节") and d.isoweekday() <= 5}
        assert kept <= set(holidays), (year, sorted(kept - set(holidays)))


def test_years_not_published_list_their_statutory_weekdays_as_computed(seeded):
    """After `flask seed`, 2027 (which chinese-calendar 1.11.0 does not know) lists its statutory days on weekdays as
    推算; weekend ones are no exception to the rule and are not listed; no 调休 is invented. The package's years are
    published, 2027 is not; loading again adds nothing."""
    with seeded.app_context():
        rows = {d.day: d for d in db.session.scalars(select(CalendarDay).where(
            CalendarDay.day.between(date(2027, 1, 1), date(2027, 12, 31))))}
        assert sorted(rows) == [d for d in statutory_days(2027) if d.isoweekday() <= 5]
        assert {(r.source, r.working) for r in rows.values()} == {(ESTIMATED, False)}
        assert rows[date(2027, 2, 5)].name == "春节" and date(2027, 2, 6) not in rows
        assert db.session.scalar(select(CalendarDay).where(CalendarDay.source == ESTIMATED,
                                                           CalendarDay.working.is_(True))) is None
        assert set(range(2004, 2027)) <= published_years() and 2027 not in published_years()
        assert max(d.day for d in db.session.scalars(select(CalendarDay))).year == 2099  # every year dates may have
        assert estimate_unpublished() == 0 and load_package_calendar() == 0
        assert estimate_note(date(2026, 12, 7), date(2027, 1, 4)) == "2027年放假安排尚未发布，按法定节日推算"
        assert estimate_note(date(2026, 1, 5), date(2026, 12, 31)) is None
        assert estimate_note(date(2027, 3, 1), date(2028, 3, 1)) == "2027、2028年放假安排尚未发布，按法定节日推算"


def test_the_package_replaces_computed_days_and_never_a_typed_one(seeded):
    """When the package comes to know a year (an upgrade, then `flask seed`), its days take the place of the computed
    ones, the computed days it does not list go, and the year is published; a day the administrator typed stays."""
    with seeded.app_context():
        db.session.delete(db.session.scalar(select(CalendarYear).where(CalendarYear.year == 2026)))
        new_year = db.session.scalar(select(CalendarDay).where(CalendarDay.day == date(2026, 1, 1)))
        new_year.loaded, new_year.source = True, ESTIMATED  # as if 2026 had been computed before the package knew it
        extra = CalendarDay(day=date(2026, 3, 3), working=False, name="测试推算", source=ESTIMATED)
        extra.loaded = True
        typed = db.session.scalar(select(CalendarDay).where(CalendarDay.day == date(2026, 10, 5)))
        typed.name = "国庆节（手工核对）"
        db.session.add(extra)
        db.session.commit()
        assert typed.source is None  # saved by anyone but the loader: typed
        assert 2026 not in published_years()
        assert load_package_calendar() == 1
        db.session.commit()
        by_day = {d.day: d for d in db.session.scalars(select(CalendarDay).where(
            CalendarDay.day.between(date(2026, 1, 1), date(2026, 12, 31))))}
        assert by_day[date(2026, 1, 1)].source.startswith("chinese-calendar") and by_day[date(2026, 1, 1)].name == "元旦"
        assert date(2026, 3, 3) not in by_day
        assert by_day[date(2026, 10, 5)].name == "国庆节（手工核对）" and by_day[date(2026, 10, 5)].source is None
        assert 2026 in published_years()


def test_a_year_is_published_only_when_no_computed_day_is_left(seeded):
    """Marking a year published is refused (in Chinese, naming the days, changing nothing) while computed days of it
    remain: each is typed in from the State Council's notice, or deleted when the notice does not list it."""
    with seeded.app_context():
        db.session.add(CalendarYear(year=2027, note="测试"))
        with pytest.raises(DomainError, match=r"2027年还有 7 个推算的日子：01-01（元旦）、02-05（春节）"):
            db.session.commit()
        db.session.rollback()
        for row in db.session.scalars(select(CalendarDay).where(CalendarDay.source == ESTIMATED,
                                                                CalendarDay.day < date(2028, 1, 1))):
            row.name = f"{row.name}（已核对）"  # typed over: the administrator's word now
        db.session.commit()
        db.session.add(CalendarYear(year=2027))
        db.session.commit()
        assert 2027 in published_years() and estimate_note(date(2027, 1, 4), date(2027, 3, 1)) is None
        with pytest.raises(DomainError, match="年份应在 1900 至 2099 之间"):
            db.session.add(CalendarYear(year=2100))
            db.session.commit()
