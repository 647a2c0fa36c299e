"""Deadlines in a year whose 放假安排 is not yet published (models.calendar): computed on the statutory days and said so
on the 交办 confirmation, the problem page, the desks and `flask workdays`; the published rule (the package's years or
the administrator's mark, never one typed day); and a 申请延期 made later than the 交办通知书's rule, warned on the form
and marked for the 推进办."""
from __future__ import annotations

import re

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from models import AuditLog, CalendarDay, CalendarYear, Person, Problem, Unit, db
from models.calendar import ESTIMATED, published_years
from tests.factories import miluo, named

from .conftest import csrf_token
from .helpers import flashes, form_values

NOTE_2027 = "2027年放假安排尚未发布，按法定节日推算"


@pytest.fixture
def on_2026_12_07():
    """The day the issue was filed, a Monday, at 10 o'clock in Beijing (the clock keeps ticking from there)."""
    with time_machine.travel(datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True):
        yield date(2026, 12, 7)


def calendar_note(html: str) -> str:
    """The desk's note on the work calendar (empty when there is none)."""
    match = re.search(r'id="calendar-gaps"[^>]*>(.*?)</div>', html, re.S)
    return re.sub(r"\s+", " ", match.group(1)) if match else ""


def unassigned_problems(app, n: int) -> tuple[list[int], int, int]:
    """`n` new problems of the 汨罗 campaign waiting to be assigned, and a unit and one of its people to assign them to."""
    with app.app_context():
        unit = named(Unit, "市发改局")
        lead = db.session.scalars(select(Person).where(Person.unit_id == unit.id)).first()
        problems = [Problem(campaign=miluo(), description=f"跨年时限{i}") for i in range(n)]
        db.session.add_all(problems)
        db.session.commit()
        return [p.id for p in problems], unit.id, lead.id


def test_assign_by_19_and_44_working_days_on_2026_12_07(on_2026_12_07, seeded, login_as):
    """交办 by 19 工作日 on 2026-12-07 saves 2027-01-04 (not 元旦), by 44 saves 2027-02-10 (not 除夕), and the
    confirmation says that 2027's arrangement is not published and the days are computed."""
    ids, unit_id, lead_id = unassigned_problems(seeded, 2)
    with seeded.app_context():
        miluo().deadline_days = 19  # the campaign's default, proposed on the form
        db.session.commit()
    office = login_as("coordinator")
    proposed = office.get(f"/admin/problem/step/assign/?id={ids[0]}").text
    assert "按工作日历即 2027-01-04" in proposed and NOTE_2027 in proposed  # said before it is sent, too
    for pk, days in zip(ids, (19, 44)):
        form = office.get(f"/admin/problem/step/assign/?id={pk}")
        done = office.post(f"/admin/problem/step/assign/?id={pk}", data={
            "csrf_token": csrf_token(form.text), "responsible_unit": str(unit_id), "lead_person": str(lead_id),
            "ui_deadline_by": "days", "ui_deadline_days": str(days)}, follow_redirects=True)
        messages = flashes(done.text)
        assert any(m.startswith("已将") and "交办" in m for m in messages), messages
        assert any(NOTE_2027 in m for m in messages), messages
    with seeded.app_context():
        assert [db.session.get(Problem, pk).deadline for pk in ids] == [date(2027, 1, 4), date(2027, 2, 10)]


def test_a_typed_2027_day_does_not_hide_the_desk_note(on_2026_12_07, seeded, login_as):
    """The filed failure: once the administrator typed one 2027 day, the desk's “2027 not published” note vanished.
    Typing a day is no publication: the note stays on the administrator's and the coordinator's desks."""
    admin = login_as("admin")
    assert "2027" in calendar_note(admin.get("/admin/").text)
    form = admin.get("/admin/calendar_day/new/")
    done = admin.post("/admin/calendar_day/new/", data={"csrf_token": csrf_token(form.text), "day": "2027-02-09",
                                                       "name": "春节"})
    assert done.status_code == 302, flashes(done.text)
    with seeded.app_context():
        assert db.session.scalar(select(CalendarDay.name).where(CalendarDay.day == date(2027, 2, 9))) == "春节"
    assert "2027" in calendar_note(admin.get("/admin/").text)  # it vanished here
    assert NOTE_2027 in calendar_note(admin.get("/admin/").text)
    assert NOTE_2027 in calendar_note(login_as("coordinator").get("/admin/").text)


def running_problems(app, deadlines: dict[str, date]) -> dict[str, int]:
    """Problems of 市发改局 in 办理中, one per deadline, by description."""
    with app.app_context():
        unit = named(Unit, "市发改局")
        lead = db.session.scalars(select(Person).where(Person.unit_id == unit.id)).first()
        problems = {text: Problem(campaign=miluo(), description=text, status="办理中", responsible_unit=unit,
                                  lead_person=lead, assigned_on=date(2026, 11, 2), deadline=deadline)
                    for text, deadline in deadlines.items()}
        db.session.add_all(problems.values())
        db.session.commit()
        return {text: p.id for text, p in problems.items()}


LATE = "未按时申请"


def test_a_late_extension_request_is_warned_on_the_form_and_marked_for_the_office(on_2026_12_07, seeded, login_as):
    """延期须在时限前至少 1 个工作日申请 (交办通知书): on the deadline day or after it the 申请延期 form warns before it is
    sent, and the request is marked 未按时申请 on its timeline line, the 批准延期 screen and the coordinator's desk; a
    request with one working day left is in time and carries no mark."""
    ids = running_problems(seeded, {"今天到期": date(2026, 12, 7), "已逾期": date(2026, 12, 3),
                                    "明天到期": date(2026, 12, 8)})
    unit = login_as("handler")
    for text, late in (("今天到期", True), ("已逾期", True), ("明天到期", False)):
        form = unit.get(f"/admin/problem/step/request_extension/?id={ids[text]}")
        assert ("延期须在办理时限前至少 1 个工作日申请" in form.text) == late, text
        assert (LATE in form.text) == late, text
        sent = unit.post(f"/admin/problem/step/request_extension/?id={ids[text]}", data={
            "csrf_token": csrf_token(form.text), "until": "2026-12-31", "reason": "需要协调省厅"})
        assert sent.status_code == 302, flashes(sent.text)
    with seeded.app_context():
        for text, late in (("今天到期", True), ("已逾期", True), ("明天到期", False)):
            line = db.session.get(Problem, ids[text]).updates[-1]
            assert line.action == "申请延期" and (LATE in line.note) == late, (text, line.note)
    office = login_as("coordinator")
    for text, late in (("今天到期", True), ("明天到期", False)):
        screen = office.get(f"/admin/problem/step/approve_extension/?id={ids[text]}").text
        assert (LATE in screen) == late, text
    desk = office.get("/admin/").text
    listed = re.search(r'id="list-extensions".*?</section>', desk, re.S).group(0)
    items = {text: item for item in re.findall(r'<li class="list-group-item desk-item">.*?</li>', listed, re.S)
             for text in ids if text in item}
    assert LATE in items["今天到期"] and LATE in items["已逾期"] and LATE not in items["明天到期"]


def test_the_administrator_types_2027_in_and_marks_it_published(on_2026_12_07, seeded, login_as):
    """The published rule on the pages: the 工作日历 lists 2027's statutory days as 推算 (this year and the next first);
    a day typed on a computed one takes its place; marking 2027 published is refused while computed days remain, and
    once each is typed or deleted the mark is taken (audited) and the note leaves both desks. Removing the mark
    computes the days not typed again."""
    admin = login_as("admin")
    page = admin.get("/admin/calendar_day/").text
    rows = re.findall(r"<tr.*?</tr>", page, re.S)
    first_days = [re.search(r"\d{4}-\d{2}-\d{2}", r).group(0) for r in rows if re.search(r"\d{4}-\d{2}-\d{2}", r)]
    assert first_days[0] == "2026-01-01" and "2027-01-01" in first_days  # this year first, then 2027's computed days
    assert "推算（法定节日）" in next(r for r in rows if "2027-01-01" in r)

    def typed(day: str, name: str):
        form = admin.get("/admin/calendar_day/new/")
        done = admin.post("/admin/calendar_day/new/", data={"csrf_token": csrf_token(form.text), "day": day, "name": name})
        assert done.status_code == 302, flashes(done.text)

    def mark(year: int):
        form = admin.get("/admin/calendar_year/new/")
        return admin.post("/admin/calendar_year/new/", data={"csrf_token": csrf_token(form.text), "year": str(year),
                                                            "note": "国办发明电〔2026〕测试号"})

    typed("2027-01-01", "元旦")
    with seeded.app_context():
        rows_2027 = db.session.scalars(select(CalendarDay).where(CalendarDay.day == date(2027, 1, 1))).all()
        assert [(r.name, r.source) for r in rows_2027] == [("元旦", None)]  # one row, typed
    refused = mark(2027)
    message = " ".join(flashes(refused.text))
    assert "2027年还有 6 个推算的日子：02-05（春节）、02-08（春节）、04-05（清明）" in message, message
    with seeded.app_context():
        assert db.session.scalar(select(CalendarYear).where(CalendarYear.year == 2027)) is None
        computed = db.session.scalars(select(CalendarDay).where(CalendarDay.source == ESTIMATED,
                                                                CalendarDay.day < date(2028, 1, 1))).all()
        left = {r.day: (r.id, r.name) for r in computed}
    (first_day, (first_id, _)), *middle, _ = sorted(left.items())
    edit = admin.get(f"/admin/calendar_day/edit/?id={first_id}")  # opened and saved as it is: typed now
    saved = admin.post(f"/admin/calendar_day/edit/?id={first_id}", data=form_values(edit.text))
    assert saved.status_code == 302, flashes(saved.text)
    for day, (_, name) in middle:
        typed(f"{day:%Y-%m-%d}", name)
    with seeded.app_context():
        assert db.session.get(CalendarDay, first_id).source is None
    last_day, (last_id, _) = max(left.items())
    form = admin.get("/admin/calendar_day/")
    gone = admin.post("/admin/calendar_day/delete/", data={"csrf_token": csrf_token(form.text), "id": str(last_id)})
    assert gone.status_code == 302
    assert mark(2027).status_code == 302
    with seeded.app_context():
        assert 2027 in published_years()
        year_id = db.session.scalar(select(CalendarYear.id).where(CalendarYear.year == 2027))
        logged = db.session.scalar(select(AuditLog).where(AuditLog.table_name == "calendar_year",
                                                          AuditLog.row_id == str(year_id)))
        assert logged.action == "insert" and logged.username == "admin"
    assert calendar_note(admin.get("/admin/").text) == ""
    assert calendar_note(login_as("coordinator").get("/admin/").text) == ""
    years = admin.get("/admin/calendar_year/").text
    assert "国办发明电〔2026〕测试号" in years and "chinese-calendar 1.11.0" in years
    admin.post("/admin/calendar_year/delete/", data={"csrf_token": csrf_token(years), "id": str(year_id)})
    with seeded.app_context():
        assert 2027 not in published_years()
        back = db.session.scalar(select(CalendarDay).where(CalendarDay.day == last_day))
        assert back.source == ESTIMATED  # the deleted day is computed again; the typed ones stay typed
        assert db.session.scalar(select(CalendarDay.source).where(CalendarDay.day == date(2027, 1, 1))) is None
    assert NOTE_2027 in calendar_note(admin.get("/admin/").text)


def test_the_problem_page_says_when_its_deadline_lies_in_an_unpublished_year(on_2026_12_07, seeded, login_as):
    """Next to the 办理时限 of a running problem: the note when the days left cross 2027, none within 2026."""
    ids = running_problems(seeded, {"明年初到期": date(2027, 1, 4), "年内到期": date(2026, 12, 21)})
    for role in ("coordinator", "handler", "leader"):
        client = login_as(role)
        page = client.get(f"/admin/problem/details/?id={ids['明年初到期']}").text
        assert NOTE_2027 in re.search(r'id="case-head".*?</div>\s*</div>', page, re.S).group(0), role
        assert 'id="case-estimate"' not in client.get(f"/admin/problem/details/?id={ids['年内到期']}").text
    assert calendar_note(login_as("handler").get("/admin/").text) == ""  # the note on the desk is the office's


def test_marking_a_year_refuses_a_year_out_of_range(seeded, login_as):
    """A year the system keeps no dates of, or a number the database cannot hold, is refused in Chinese (the year's
    uniqueness, which asks the database, is not asked then); a year marked already is refused as a repeat."""
    admin = login_as("admin")
    for year, message in (("2100", "年份应在 1900 至 2099 之间"), ("99999999999999999999", "数值超出范围"),
                          ("2026", "已经存在")):
        form = admin.get("/admin/calendar_year/new/")
        refused = admin.post("/admin/calendar_year/new/", data={"csrf_token": csrf_token(form.text), "year": year})
        assert refused.status_code == 200 and message in refused.text, (year, flashes(refused.text))
    with seeded.app_context():
        assert db.session.scalar(select(CalendarYear).where(CalendarYear.year == 2100)) is None
