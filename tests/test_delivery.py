"""The outbox (ops.delivery) against real receivers on local ports: an SMTP server (aiosmtpd), a group robot's webhook
that keeps the vendors' rate limit (企业微信 and 钉钉 take 20 messages a minute per robot; the test robot keeps the same
limit scaled to seconds), and a receiver that accepts a connection and never answers. Each failure the issue found
(a line break in a name stopping the run, messages lost at the rate limit, a hung receiver costing its timeout per
message, rows left 发送中 by a killed run, a switch of robot resending old reminders, the robot's key shown to
coordinators, e-mails without Date or Message-ID) has its test here, and 重新发送 (one, selected, all) on 外发消息."""
from __future__ import annotations

import email
import email.policy
import json
import re
import socket
import threading
import time
import urllib.parse
from collections import deque
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from models import Delivery, Enterprise, Problem, ProblemUpdate, Unit, db, local_now
from models.calendar import add_workdays
from models.reminders import FAILED, PENDING, SENDING, SENT
from ops.delivery import send_pending, signed

from .conftest import csrf_token
from .factories import miluo, named

T = date(2024, 10, 15)  # a Tuesday after the 国庆 week


class Robot:
    """A group robot's webhook on a local port. Like the real ones it takes at most `per_window` posts in any
    `window` seconds and answers the rest with its vendor's "too fast" code (企业微信 45009); `answers` (one per
    post) overrides the answer; it keeps what it took (query string, body) and every answer it gave."""

    def __init__(self, per_window: int = 1000, window: float = 1.0, too_fast: dict | None = None):
        self.received, self.answers, self.answered, self.per_window, self.window = [], [], [], per_window, window
        self.too_fast = too_fast or {"errcode": 45009, "errmsg": "api freq out of limit"}
        self.times: deque[float] = deque()
        robot, lock = self, threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    now = time.monotonic()
                    while robot.times and robot.times[0] <= now - robot.window:
                        robot.times.popleft()
                    status, headers, answer = 200, {}, None
                    if robot.answers:
                        status, headers, answer = robot.answers.pop(0)
                    elif len(robot.times) >= robot.per_window:
                        answer = robot.too_fast
                    else:
                        robot.times.append(now)
                        answer = {"errcode": 0, "errmsg": "ok"}
                    robot.answered.append(answer.get("errcode") if status == 200 else status)
                    if status == 200 and answer.get("errcode") == 0:
                        robot.received.append((urllib.parse.urlsplit(self.path).query, json.loads(body)))
                data = json.dumps(answer).encode()
                self.send_response(status)
                for key, value in {"Content-Type": "application/json", "Content-Length": str(len(data)), **headers}.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/webhook/send?key=ROBOTSECRET-7f3a9c1e"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def texts(self) -> list[str]:
        return [body["text"]["content"] for _, body in self.received]

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
            self.messages.append((envelope.rcpt_tos, envelope.content))
            return "250 OK"

        def parsed(self):
            return [email.message_from_bytes(raw, policy=email.policy.default) for _, raw in self.messages]

    handler = Keep()
    with socket.socket() as probe:  # a free port (the controller checks its server by connecting to it)
        probe.bind(("127.0.0.1", 0))
        handler.port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture
def silent():
    """A receiver that accepts connections and never answers (a hung robot or mail server)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    held, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1]
    stop.set()
    for connection in held:
        connection.close()
    server.close()


def configure(app, monkeypatch, **settings):
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)


def units_with_problems(seeded, count: int, per_unit: int = 1, email: bool = False, name=None) -> list[int]:
    """`count` units of the 汨罗 campaign (made for the test), each with `per_unit` running problems one working day
    from their deadline (so today's ladder reminds each): the units' ids."""
    with seeded.app_context():
        campaign, ids = miluo(), []
        firm = Enterprise(campaign=campaign, name=name or "外发测试企业有限公司")
        for n in range(count):
            unit = Unit(campaign=campaign, name=f"外发测试单位{n:02d}", kind="政府部门",
                        email=f"unit{n:02d}@example.gov.cn" if email else None)
            db.session.add(unit)
            for k in range(per_unit):
                db.session.add(Problem(campaign=campaign, enterprise=firm, description=f"外发测试问题{n:02d}-{k}",
                                       status="办理中", responsible_unit=unit, assigned_on=date(2024, 9, 2),
                                       deadline=add_workdays(T, 1)))
            db.session.flush()
            ids.append(unit.id)
        db.session.commit()
        return ids


def remind(seeded, *more: str, day: date = T):
    result = seeded.test_cli_runner().invoke(args=["remind", "--date", f"{day:%Y-%m-%d}", *more])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.output


def statuses(seeded) -> dict[str, int]:
    with seeded.app_context():
        return dict(db.session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())


def test_one_message_per_unit_by_mail_and_robot_once(seeded, robot, mailbox, monkeypatch, login_as):
    configure(seeded, monkeypatch, SMTP_HOST="127.0.0.1", SMTP_PORT=mailbox.port, SMTP_FROM="zhuqi@example.gov.cn",
              WEBHOOK_URL=robot.url, WEBHOOK_KIND="dingtalk", WEBHOOK_SECRET="SECtest",
              PANEL_URL="https://zhuqi.example.gov.cn")
    units_with_problems(seeded, 2, per_unit=3, email=True)
    output = remind(seeded)
    assert "待外发消息新增12条" in output and "外发：成功12条（4则消息）" in output, output  # 6 lines × (mail + robot)
    assert sorted(to for to, _ in mailbox.messages) == [["unit00@example.gov.cn"], ["unit01@example.gov.cn"]]
    first = mailbox.parsed()[0]
    assert first["Subject"] == "【自动提醒】外发测试单位00：3个问题"
    assert first["Date"].datetime.utcoffset() == timedelta(hours=8)  # the app's time zone (Asia/Shanghai)
    body = first.get_content()
    assert all(f"外发测试问题00-{k}" in body for k in range(3)) and "https://zhuqi.example.gov.cn/admin/problem/details/?id=" in body
    assert len(robot.received) == 2 and all("外发测试单位0" in text for text in robot.texts())
    query, _ = robot.received[0]
    params = urllib.parse.parse_qs(query)
    stamp = int(params["timestamp"][0])
    assert signed("u", "SECtest", stamp) == f"u?timestamp={stamp}&sign={urllib.parse.quote_plus(params['sign'][0])}"
    # a second run sends nothing again; a 催办 typed in the panel goes out with the next run, not from the request
    assert "成功0条" in remind(seeded)
    office = login_as("coordinator")
    with seeded.app_context():
        problem_id = db.session.scalar(select(Problem.id).where(Problem.description == "外发测试问题01-0"))
    form = office.get(f"/admin/problem/step/urge/?id={problem_id}")
    done = office.post(f"/admin/problem/step/urge/?id={problem_id}",
                       data={"csrf_token": csrf_token(form.text), "note": "请本周内报告进展"})
    assert done.status_code == 302 and len(robot.received) == 2
    assert "成功2条（2则消息）" in remind(seeded)
    assert "请本周内报告进展" in robot.texts()[-1]
    assert statuses(seeded) == {SENT: 14}


def test_units_sharing_an_address_get_a_message_each(seeded, mailbox, monkeypatch):
    configure(seeded, monkeypatch, SMTP_HOST="127.0.0.1", SMTP_PORT=mailbox.port)
    units = units_with_problems(seeded, 3, per_unit=2, email=True)
    with seeded.app_context():
        for unit in db.session.scalars(select(Unit).where(Unit.id.in_(units))):
            unit.email = "office@example.gov.cn"  # one office's mailbox for three units
        db.session.commit()
    assert "成功6条（3则消息）" in remind(seeded)
    assert sorted(m["Subject"] for m in mailbox.parsed()) == [f"【自动提醒】外发测试单位0{n}：2个问题" for n in range(3)]


def test_a_line_break_in_a_name_never_stops_the_run_and_every_mail_has_date_and_message_id(seeded, mailbox, monkeypatch):
    """The issue: a name typed on the portal with a line break stopped `flask remind` at that e-mail ("Header values
    may not contain linefeed…"), left it 发送中 for ever, and every later run stopped at the same place."""
    configure(seeded, monkeypatch, SMTP_HOST="127.0.0.1", SMTP_PORT=mailbox.port, SMTP_FROM="zhuqi@example.gov.cn")
    units_with_problems(seeded, 4, email=True, name="换行\r\n企业\n有限公司")
    output = remind(seeded)
    assert "成功4条（4则消息）" in output and "失败待重试0条" in output, output
    assert statuses(seeded) == {SENT: 4}
    for message in mailbox.parsed():
        assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
        assert "（换行 企业 有限公司）" in message["Subject"]
        assert message["Date"] and re.fullmatch(r"<[^<>\s]+@example\.gov\.cn>", message["Message-ID"])
    assert len({m["Message-ID"] for m in mailbox.parsed()}) == 4


def test_robots_are_paced_under_their_limit_and_nothing_is_lost(seeded, monkeypatch):
    """The issue: on a 400-problem day 156 messages were due, the robot took 100 and 56 ended 失败 for good. The test
    robot takes 10 posts a second (the vendors' 20 a minute, scaled: ROBOT_PER_MINUTE=600); 24 units are due."""
    robot = Robot(per_window=10, window=1.0)
    try:
        configure(seeded, monkeypatch, WEBHOOK_URL=robot.url, WEBHOOK_KIND="wecom", ROBOT_PER_MINUTE=600)
        units_with_problems(seeded, 24, per_unit=2)
        started = time.monotonic()
        output = remind(seeded)
        assert "成功48条（24则消息）" in output, output
        assert time.monotonic() - started >= 2.0  # paced: 24 posts at 9 a second at most
        assert robot.answered == [0] * 24 and len(robot.received) == 24
        assert statuses(seeded) == {SENT: 48}
        # the same day unpaced (a robot's own limit far above the test robot's) loses posts to "too fast": the failure
        # pacing prevents
        configure(seeded, monkeypatch, ROBOT_PER_MINUTE=100_000, DELIVERY_RUN_SECONDS=1)
        robot.answered.clear()
        with seeded.app_context():
            db.session.execute(Delivery.__table__.update().values(status=PENDING, attempts=0, sent_at=None))
            db.session.commit()
        output = remind(seeded)
        assert 45009 in robot.answered, robot.answered
        assert "最终失败0条" in output and statuses(seeded).get(FAILED) is None  # what the robot refused waits
        with seeded.app_context():
            waiting = db.session.scalars(select(Delivery).where(Delivery.status == PENDING)).all()
            assert waiting and all(row.attempts == 0 for row in waiting)  # no try used up
            assert sum(row.next_try_at is not None for row in waiting) == 2  # the refused post's, after its wait
    finally:
        robot.close()


def test_a_too_fast_answer_waits_without_using_a_try(seeded, robot, monkeypatch):
    configure(seeded, monkeypatch, WEBHOOK_URL=robot.url, WEBHOOK_KIND="wecom", DELIVERY_MAX_ATTEMPTS=1,
              DELIVERY_RUN_SECONDS=5)
    units_with_problems(seeded, 2)
    # HTTP 429 with Retry-After: 1 — the run waits a second and sends both, each on its first and only try
    robot.answers = [(429, {"Retry-After": "1"}, {"errcode": -1, "errmsg": "too many requests"})]
    output = remind(seeded)
    assert "成功2条（2则消息）" in output and robot.answered == [429, 0, 0], (output, robot.answered)
    # 企业微信 45009: its robot is left alone for a minute, longer than the run may last; the message waits for a later
    # run with its try unused (DELIVERY_MAX_ATTEMPTS=1: a used try would have made it 失败)
    with seeded.app_context():
        office = named(Unit, "外发测试单位00")
        problem = db.session.scalar(select(Problem).where(Problem.responsible_unit_id == office.id))
        from models.steps import StepName
        from models.workflow import record

        record(problem, None, StepName.URGE, note="请今天反馈")
        db.session.commit()
    robot.answers = [(200, {}, {"errcode": 45009, "errmsg": "api freq out of limit"})]
    output = remind(seeded)
    assert "成功0条" in output and "留待下次1条" in output and "最终失败0条" in output, output
    with seeded.app_context():
        row = db.session.scalar(select(Delivery).where(Delivery.status == PENDING))
        assert row.attempts == 0 and row.next_try_at > local_now() + timedelta(seconds=50)
        assert send_pending(local_now() + timedelta(minutes=2)).sent == 1
    assert "请今天反馈" in robot.texts()[-1]


def test_a_hung_receiver_costs_its_timeout_once_and_the_run_keeps_its_budget(seeded, silent, mailbox, monkeypatch):
    """The issue: a hung receiver cost its 10 s timeout per message, in series (100 messages outlast a 15-minute cron)."""
    configure(seeded, monkeypatch, WEBHOOK_URL=f"http://127.0.0.1:{silent}/robot/send?access_token=HUNGSECRET123",
              WEBHOOK_KIND="dingtalk", DELIVERY_TIMEOUT=1, SMTP_HOST="127.0.0.1", SMTP_PORT=mailbox.port)
    units_with_problems(seeded, 6, email=True)
    started = time.monotonic()
    output = remind(seeded)
    elapsed = time.monotonic() - started
    assert elapsed < 4, elapsed  # one timeout, not six
    assert "成功6条" in output and "失败待重试1条" in output and "留待下次5条" in output, output  # the mail went out
    assert "群机器人连不上" in output and "HUNGSECRET123" not in output
    with seeded.app_context():
        robot_rows = db.session.scalars(select(Delivery).where(Delivery.channel == "钉钉").order_by(Delivery.id)).all()
        assert [row.attempts for row in robot_rows] == [1, 0, 0, 0, 0, 0]
        assert all(row.status == PENDING for row in robot_rows)
    # a run has a time budget: paced at one post a second (ROBOT_PER_MINUTE=60 sends at 54) for 2 seconds, a working
    # robot takes three or so of the six and the rest wait
    robot = Robot()
    try:
        configure(seeded, monkeypatch, WEBHOOK_URL=robot.url, ROBOT_PER_MINUTE=60, DELIVERY_RUN_SECONDS=2)
        with seeded.app_context():
            later = local_now() + timedelta(hours=1)
            started = time.monotonic()
            report = send_pending(later)
            assert time.monotonic() - started < 4
            assert 1 <= report.sent <= 3 and report.sent + report.left == 6, report
    finally:
        robot.close()


def test_a_killed_run_leaves_nothing_stuck(seeded, robot, monkeypatch):
    """The issue: a run killed mid-send left 发送中 rows nobody retried. A claim older than the lease goes back."""
    configure(seeded, monkeypatch, WEBHOOK_URL=robot.url, WEBHOOK_KIND="wecom")
    units_with_problems(seeded, 3)
    remind(seeded, "--no-send")
    with seeded.app_context():
        rows = db.session.scalars(select(Delivery).order_by(Delivery.id)).all()
        now = local_now()
        rows[0].status, rows[0].attempts, rows[0].claimed_at = SENDING, 1, now - timedelta(hours=2)  # killed long ago
        rows[1].status, rows[1].attempts, rows[1].claimed_at = SENDING, 1, None  # killed before this release
        rows[2].status, rows[2].attempts, rows[2].claimed_at = SENDING, 1, now - timedelta(minutes=1)  # a run going on
        db.session.commit()
    output = remind(seeded)
    assert "收回中断的发送2条" in output and "成功2条" in output, output
    with seeded.app_context():
        assert [row.status for row in db.session.scalars(select(Delivery).order_by(Delivery.id))] == [SENT, SENT, SENDING]
    assert len(robot.received) == 2


def test_a_switch_of_robot_sends_nothing_already_delivered_and_its_key_never_shows(seeded, robot, monkeypatch, login_as):
    """The issue: switching WEBHOOK_KIND resent 46 old reminders to the new robot; the robot's key= / access_token=
    showed in full to coordinators."""
    configure(seeded, monkeypatch, WEBHOOK_URL=robot.url, WEBHOOK_KIND="wecom")
    units_with_problems(seeded, 3)
    assert "成功3条" in remind(seeded)
    other = Robot()
    try:
        configure(seeded, monkeypatch, WEBHOOK_URL=other.url.replace("ROBOTSECRET", "DINGSECRET"), WEBHOOK_KIND="dingtalk")
        output = remind(seeded)
        assert "待外发消息新增0条" in output and "成功0条" in output and other.received == [], output
    finally:
        other.close()
    with seeded.app_context():
        assert db.session.scalar(select(func.count()).where(Delivery.address.contains("SECRET"))) == 0
        row_id = db.session.scalar(select(Delivery.id))
    office = login_as("coordinator")
    for page in (office.get("/admin/delivery/").text, office.get(f"/admin/delivery/details/?id={row_id}").text):
        assert "ROBOTSECRET" not in page and "key=****9c1e" in page, re.findall(r".{80}key=.{40}", page)


def test_failed_messages_are_listed_on_the_desk_and_sent_again_on_request(seeded, robot, monkeypatch, login_as):
    configure(seeded, monkeypatch, WEBHOOK_URL=robot.url, WEBHOOK_KIND="wecom", DELIVERY_MAX_ATTEMPTS=1)
    units_with_problems(seeded, 4)
    robot.answers = [(200, {}, {"errcode": 93000, "errmsg": "invalid webhook url"})] * 4
    output = remind(seeded)
    assert "最终失败4条" in output and output.count("  失败：企业微信 → ") == 4 and "93000" in output, output
    assert "“系统 → 外发消息”" in output
    office = login_as("coordinator")
    desk = office.get("/admin/").text
    assert re.search(r'id="line-failed_deliveries".*?data-count="4"', desk, re.S)
    listing = office.get("/admin/delivery/?flt0_0=失败")
    assert listing.status_code == 200 and listing.text.count(">重新发送</button>") == 4
    assert "全部重新发送（4条失败）" in listing.text
    with seeded.app_context():
        ids = db.session.scalars(select(Delivery.id).order_by(Delivery.id)).all()
    token = csrf_token(listing.text)
    # one
    done = office.post("/admin/delivery/action/", data={"csrf_token": token, "action": "resend", "rowid": [ids[0]]},
                       follow_redirects=True)
    assert "已将1条消息放回待发送" in done.text
    # selected
    done = office.post("/admin/delivery/action/", data={"csrf_token": token, "action": "resend",
                                                         "rowid": [ids[0], ids[1]]}, follow_redirects=True)
    assert "已将2条消息放回待发送" in done.text  # the first is 待发送 already: made due at once again
    # all
    done = office.post("/admin/delivery/resend-failed/", data={"csrf_token": token}, follow_redirects=True)
    assert "已将2条消息放回待发送" in done.text
    with seeded.app_context():
        rows = db.session.scalars(select(Delivery)).all()
        assert all(r.status == PENDING and r.attempts == 0 and r.resent_by == "coordinator" for r in rows)
    assert not re.search(r'id="line-failed_deliveries"', office.get("/admin/").text)  # the desk line goes with them
    assert "成功4条" in remind(seeded)
    done = office.post("/admin/delivery/action/", data={"csrf_token": token, "action": "resend", "rowid": [ids[0]]},
                       follow_redirects=True)
    assert "没有可以重新发送的消息；1条已发出或正在发送" in done.text
    assert statuses(seeded) == {SENT: 4}
    # without the right: the others get 403 and change nothing
    for role in ("handler", "leader", "group"):
        other = login_as(role)
        page = other.get("/admin/")
        assert other.post("/admin/delivery/resend-failed/", data={"csrf_token": csrf_token(page.text)}).status_code == 403
        assert other.post("/admin/delivery/action/", data={"csrf_token": csrf_token(page.text), "action": "resend",
                                                            "rowid": [ids[0]]}).status_code == 403
    assert statuses(seeded) == {SENT: 4}


def test_a_failed_message_is_retried_a_bounded_number_of_times(seeded, robot, monkeypatch):
    configure(seeded, monkeypatch, WEBHOOK_URL=robot.url, WEBHOOK_KIND="wecom", DELIVERY_MAX_ATTEMPTS=3)
    units_with_problems(seeded, 1)
    robot.answers = [(200, {}, {"errcode": 93000, "errmsg": "invalid webhook url"})] * 3
    assert "失败待重试1条" in remind(seeded)
    with seeded.app_context():
        delivery = db.session.scalar(select(Delivery))
        assert (delivery.status, delivery.attempts) == (PENDING, 1) and "93000" in delivery.last_error
        assert send_pending(local_now()).sent == 0 and len(robot.answered) == 1  # not due yet: waits two minutes
        later = local_now() + timedelta(hours=1)
        assert send_pending(later).retry == 1
        assert send_pending(later + timedelta(hours=1)).failed == 1
        assert send_pending(later + timedelta(days=1)).counts() == {SENT: 0, PENDING: 0, FAILED: 0}
        delivery = db.session.scalar(select(Delivery))
        assert (delivery.status, delivery.attempts) == (FAILED, 3)
    assert len(robot.answered) == 3


def test_an_unreachable_mail_server_fails_without_a_traceback(seeded, monkeypatch):
    configure(seeded, monkeypatch, SMTP_HOST="127.0.0.1", SMTP_PORT=9)  # nothing listens there
    units_with_problems(seeded, 2, email=True)
    output = remind(seeded)
    assert "失败待重试1条" in output and "留待下次1条" in output, output
    with seeded.app_context():
        assert "邮件服务器连不上" in db.session.scalar(select(Delivery.last_error).where(Delivery.last_error.is_not(None)))


def test_bad_delivery_settings_are_refused_in_chinese():
    from app import create_app
    from config import ConfigError

    base = {"SQLALCHEMY_DATABASE_URI": "sqlite://"}
    with pytest.raises(ConfigError, match="WEBHOOK_KIND 须为 wecom"):
        create_app({**base, "WEBHOOK_URL": "https://oapi.dingtalk.com/robot/send?access_token=x", "WEBHOOK_KIND": "qq"})
    with pytest.raises(ConfigError, match="ROBOT_PER_MINUTE（群机器人每分钟最多收的消息数）应为正整数"):
        create_app({**base, "ROBOT_PER_MINUTE": 0})
    with pytest.raises(ConfigError, match="DELIVERY_LEASE_MINUTES（发送中消息的租期）应长于"):
        create_app({**base, "DELIVERY_LEASE_MINUTES": 5, "DELIVERY_RUN_SECONDS": 600})
