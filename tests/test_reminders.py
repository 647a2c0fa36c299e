"""The reminder ladder (`flask remind`, models.reminders) and its delivery beyond the panel (ops.delivery): each rung
once per problem and deadline, on the unit's desk until opened, e-mailed through a real SMTP server and posted to a
group robot's webhook served by the test (which keeps a real robot's rate limit), one message per unit, retried a
bounded number of times, never sent twice, never lost, and sent again on request (tests/test_delivery.py)."""
from __future__ import annotations

import json
import socket
import threading
import urllib.parse
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select

from models import Delivery, Problem, ProblemUpdate, Reminder, Unit, db, local_now
from models.calendar import add_workdays
from models.reminders import STEP_OF, Level
from ops.delivery import signed

from .factories import miluo, named

T = date(2024, 10, 15)  # a Tuesday after the 国庆 week


def shift(seeded, n: int, day: date = T) -> date:
    """`n` working days from `day`, by the seeded calendar."""
    with seeded.app_context():
        return add_workdays(day, n)


def problems(seeded, **deadlines) -> dict[str, int]:
    """Running problems of 市发改局 with the given deadlines (a status may be given as (deadline, status))."""
    with seeded.app_context():
        campaign, unit = miluo(), named(Unit, "市发改局")
        made = {}
        for key, spec in deadlines.items():
            deadline, status = spec if isinstance(spec, tuple) else (spec, "办理中")
            problem = Problem(campaign=campaign, description=f"阶梯测试{key}", status=status, responsible_unit=unit,
                              assigned_on=date(2024, 9, 2), deadline=deadline)
            db.session.add(problem)
            db.session.flush()
            made[key] = problem.id
        db.session.commit()
        return made


def remind(seeded, day: date, *more: str):
    result = seeded.test_cli_runner().invoke(args=["remind", "--date", f"{day:%Y-%m-%d}", *more])
    assert result.exit_code == 0, result.output
    return result.output


def rungs(seeded, ids: dict[str, int]) -> dict[str, list[str]]:
    with seeded.app_context():
        by_id = {v: k for k, v in ids.items()}
        found = {k: [] for k in ids}
        for problem_id, level in db.session.execute(select(Reminder.problem_id, Reminder.level)
                                                    .where(Reminder.problem_id.in_(ids.values())).order_by(Reminder.id)):
            found[by_id[problem_id]].append(level)
        return found


@pytest.fixture
def ladder(seeded):
    with seeded.app_context():
        deadlines = {"soon": add_workdays(T, 2), "later": add_workdays(T, 10), "late": add_workdays(T, -1),
                     "blue": add_workdays(T, -6), "yellow": add_workdays(T, -11), "red": add_workdays(T, -16),
                     "done": (add_workdays(T, -3), "已办结")}
    return problems(seeded, **deadlines)


def test_each_problem_reaches_its_rung_once_per_deadline(seeded, ladder):
    output = remind(seeded, T, "--no-send")
    assert "2024-10-15：" in output
    assert rungs(seeded, ladder) == {"soon": [Level.REMIND], "later": [], "late": [Level.URGE], "blue": [Level.BLUE],
                                     "yellow": [Level.YELLOW], "red": [Level.RED], "done": []}
    with seeded.app_context():
        lines = db.session.execute(select(ProblemUpdate.action, ProblemUpdate.author_id, ProblemUpdate.note)
                                   .where(ProblemUpdate.problem_id == ladder["blue"],
                                          ProblemUpdate.step == STEP_OF[Level.BLUE])).all()
        assert [(a, author) for a, author, _ in lines] == [("蓝色督办", None)] and "逾期超过5个工作日" in lines[0][2]
        reminder = db.session.scalar(select(Reminder).where(Reminder.problem_id == ladder["soon"]))
        assert reminder.unit.name == "市发改局" and reminder.deadline == add_workdays(T, 2) and reminder.update_id
        untouched = db.session.get(Problem, ladder["late"]).last_progress_at  # a reminder is no progress of the unit
    # again the same day, and the next working day: nothing new; five working days on, the late one turns blue
    first = rungs(seeded, ladder)
    assert "共0条" in remind(seeded, T, "--no-send")
    remind(seeded, shift(seeded, 1), "--no-send")
    assert rungs(seeded, ladder) == first
    remind(seeded, shift(seeded, 5), "--no-send")
    found = rungs(seeded, ladder)
    assert found["late"] == [Level.URGE, Level.BLUE] and found["blue"] == [Level.BLUE, Level.YELLOW]
    assert found["soon"] == [Level.REMIND, Level.URGE]  # its deadline passed in between
    with seeded.app_context():
        assert db.session.get(Problem, ladder["late"]).last_progress_at == untouched
        # an extension gives a new deadline: the ladder starts again for it
        extended = db.session.get(Problem, ladder["red"])
        extended.deadline = add_workdays(T, 7)
        db.session.commit()
    remind(seeded, shift(seeded, 5), "--no-send")  # same day, new deadline: two working days left
    assert rungs(seeded, ladder)["red"] == [Level.RED, Level.REMIND]


def test_a_campaigns_own_windows_set_the_rungs(seeded):
    with seeded.app_context():
        miluo().escalate_days, miluo().yellow_days = 2, 0
        db.session.commit()
    ids = problems(seeded, soon=shift(seeded, 2), today=T, three=shift(seeded, -3), seven=shift(seeded, -7))
    remind(seeded, T, "--no-send")
    assert rungs(seeded, ids) == {"soon": [], "today": [Level.REMIND], "three": [Level.BLUE], "seven": [Level.RED]}


def test_a_reminder_waits_on_the_units_desk_until_someone_there_opens_the_problem(seeded, ladder, login_as):
    handler = login_as("handler")  # 市发改局
    before = notices(handler.get("/admin/").text)
    remind(seeded, T, "--no-send")
    assert notices(handler.get("/admin/").text) == before + 5  # one line per problem reached
    page = handler.get(f"/admin/problem/details/?id={ladder['red']}").text
    assert "红色督办" in page and "· 系统自动" in page
    assert notices(handler.get("/admin/").text) == before + 4
    with seeded.app_context():
        read = {r.problem_id: r.read_at for r in db.session.scalars(select(Reminder).where(
            Reminder.problem_id.in_(ladder.values())))}
        assert read[ladder["red"]] is not None and read[ladder["soon"]] is None


def notices(page: str) -> int:
    import re

    match = re.search(r'id="line-notices".*?class="desk-count" data-count="(\d+)"', page, re.S)
    return int(match.group(1)) if match else 0



def test_bad_arguments_and_settings_are_refused_in_chinese(seeded):
    result = seeded.test_cli_runner().invoke(args=["remind", "--date", "2024-13-01"])
    assert result.exit_code == 1 and "--date：" in result.output
    with seeded.app_context():
        unit = named(Unit, "市发改局")
        unit.email = "不是邮箱"
        from models.errors import DomainError

        with pytest.raises(DomainError, match="电子邮箱“不是邮箱”格式不对"):
            db.session.commit()
        db.session.rollback()
