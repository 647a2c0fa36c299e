"""The work calendar (models.calendar): China's statutory holidays and 调休 days from the chinese-calendar package, the
administrator's additions, working-day arithmetic, `flask workdays`, and the warning for a year without data."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from models import CalendarDay, db
from models.calendar import (add_workdays, is_workday, load_package_calendar, missing_years, workdays_between,
                             workdays_left)
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
    assert result.exit_code == 0 and "2099-01-08" in result.output and "没有 2099 年的节假日数据" in result.output


def test_the_administrator_adds_a_newly_published_year_and_the_desk_stops_warning(seeded, login_as):
    admin = login_as("admin")
    with seeded.app_context():
        year = max(missing_years(date(2099, 12, 1)))  # a year the package cannot know
    assert year == 2100
    page = admin.get("/admin/")
    gaps = missing_years_now(seeded)
    assert (f"工作日历中没有 {'、'.join(map(str, gaps))} 年" in page.text) == bool(gaps)
    form = admin.get("/admin/calendar_day/new/")
    bad = admin.post("/admin/calendar_day/new/", data={"csrf_token": csrf_token(form.text), "day": "2027-10-02"})
    assert "周末，本来就不上班" in " ".join(flashes(bad.text))  # 2027-10-02 is a Saturday
    for year in gaps or [2027]:
        new_years_day = next(date(year, 1, d) for d in range(1, 8) if date(year, 1, d).isoweekday() <= 5)
        done = admin.post("/admin/calendar_day/new/", data={"csrf_token": csrf_token(form.text),
                                                            "day": f"{new_years_day:%Y-%m-%d}", "name": "元旦"})
        assert done.status_code == 302, flashes(done.text)
        with seeded.app_context():
            assert not is_workday(new_years_day)
    assert "calendar-gaps" not in admin.get("/admin/").text
    assert login_as("coordinator").get("/admin/calendar_day/").status_code == 200
    assert login_as("handler").get("/admin/calendar_day/").status_code == 403


def missing_years_now(app):
    from models import workflow

    with app.app_context():
        return missing_years(workflow.today())


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
        assert "已对1个问题执行“交办”。" in messages, messages
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
