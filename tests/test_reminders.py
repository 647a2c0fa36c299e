"""The reminder ladder (`flask remind`, models.reminders) and its delivery beyond the panel (ops.delivery): each rung
once per problem and deadline, on the unit's desk until opened, e-mailed through a real SMTP server and posted to a
group robot's webhook served by the test, retried a bounded number of times and never sent twice."""
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
from models.reminders import ACTIONS, Level
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
                                          ProblemUpdate.action == ACTIONS[Level.BLUE])).all()
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


# --- delivery ---

class Robot:
    """A group robot's webhook served on a local port: answers errcode 0 (or what `answers` says, one per call) and
    keeps what it was sent, with the query string."""

    def __init__(self):
        self.received, self.answers = [], []
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                robot.received.append((urllib.parse.urlsplit(self.path).query, json.loads(body)))
                answer = robot.answers.pop(0) if robot.answers else {"errcode": 0, "errmsg": "ok"}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/robot/send?access_token=abc"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robot():
    robot = Robot()
    yield robot
    robot.close()


@pytest.fixture
def mailbox():
    from aiosmtpd.controller import Controller

    class Keep:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
            return "250 OK"

    handler = Keep()
    with socket.socket() as probe:  # a free port (the controller checks its server by connecting to it)
        probe.bind(("127.0.0.1", 0))
        handler.port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


def test_messages_go_out_by_mail_and_robot_once(seeded, ladder, robot, mailbox, monkeypatch, login_as):
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": mailbox.port, "SMTP_FROM": "zhuqi@example.gov.cn",
                       "WEBHOOK_URL": robot.url, "WEBHOOK_KIND": "dingtalk", "WEBHOOK_SECRET": "SECtest",
                       "PANEL_URL": "https://zhuqi.example.gov.cn"}.items():
        monkeypatch.setitem(seeded.config, key, value)
    with seeded.app_context():
        named(Unit, "市发改局").email = "fgj@example.gov.cn"
        db.session.commit()
    output = remind(seeded, T)
    assert "待外发消息新增10条" in output and "外发：成功10条" in output, output  # 5 lines × (mail + robot)
    assert len(mailbox.messages) == 5 and all(to == ["fgj@example.gov.cn"] for to, _ in mailbox.messages)
    assert any("蓝色督办" in text and "https://zhuqi.example.gov.cn/admin/problem/details/?id=" in text
               for _, text in mailbox.messages)
    assert len(robot.received) == 5
    query, body = robot.received[0]
    params = urllib.parse.parse_qs(query)
    assert params["access_token"] == ["abc"] and body["msgtype"] == "text" and "市发改局" in body["text"]["content"]
    stamp = int(params["timestamp"][0])
    assert signed("u", "SECtest", stamp) == f"u?timestamp={stamp}&sign={urllib.parse.quote_plus(params['sign'][0])}"
    # a second run sends nothing again; a 催办 typed in the panel goes out with the next run
    assert "外发：成功0条" in remind(seeded, T)
    office = login_as("coordinator")
    from .conftest import csrf_token

    form = office.get(f"/admin/problem/step/urge/?id={ladder['later']}")
    done = office.post(f"/admin/problem/step/urge/?id={ladder['later']}",
                       data={"csrf_token": csrf_token(form.text), "note": "请本周内报告进展"})
    assert done.status_code == 302
    assert len(robot.received) == 5  # nothing is sent from the request
    assert "外发：成功2条" in remind(seeded, T)
    assert "请本周内报告进展" in robot.received[-1][1]["text"]["content"]
    with seeded.app_context():
        assert db.session.scalar(select(Delivery).where(Delivery.status != "已发送")) is None


def test_a_failed_message_is_retried_a_bounded_number_of_times(seeded, robot, monkeypatch):
    monkeypatch.setitem(seeded.config, "WEBHOOK_URL", robot.url)
    monkeypatch.setitem(seeded.config, "WEBHOOK_KIND", "wecom")
    monkeypatch.setitem(seeded.config, "DELIVERY_MAX_ATTEMPTS", 3)
    problems(seeded, one=shift(seeded, 1))
    robot.answers = [{"errcode": 93000, "errmsg": "invalid webhook url"}] * 3
    assert "失败待重试1条" in remind(seeded, T)
    with seeded.app_context():
        from ops.delivery import send_pending

        delivery = db.session.scalar(select(Delivery))
        assert (delivery.status, delivery.attempts) == ("待发送", 1) and "93000" in delivery.last_error
        assert send_pending(local_now())["已发送"] == 0 and len(robot.received) == 1  # not due yet: waits two minutes
        later = local_now() + timedelta(hours=1)
        assert send_pending(later)["待发送"] == 1
        assert send_pending(later + timedelta(hours=1))["失败"] == 1
        assert send_pending(later + timedelta(days=1)) == {"已发送": 0, "待发送": 0, "失败": 0}
        delivery = db.session.scalar(select(Delivery))
        assert (delivery.status, delivery.attempts) == ("失败", 3)
    assert len(robot.received) == 3


def test_an_unreachable_mail_server_fails_without_a_traceback(seeded, monkeypatch):
    monkeypatch.setitem(seeded.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(seeded.config, "SMTP_PORT", 9)  # nothing listens there
    with seeded.app_context():
        named(Unit, "市发改局").email = "fgj@example.gov.cn"
        db.session.commit()
    problems(seeded, one=shift(seeded, 1))
    output = remind(seeded, T)
    assert "失败待重试1条" in output and "Traceback" not in output
    with seeded.app_context():
        assert "邮件未能发出" in db.session.scalar(select(Delivery.last_error))


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
    from app import create_app
    from config import ConfigError

    with pytest.raises(ConfigError, match="WEBHOOK_KIND 须为 wecom"):
        create_app({"WEBHOOK_URL": "https://oapi.dingtalk.com/robot/send?access_token=x", "WEBHOOK_KIND": "qq",
                    "SQLALCHEMY_DATABASE_URI": "sqlite://"})
