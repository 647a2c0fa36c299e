"""A desk that speaks (issue 29, point 3): a unit reads a 批示's or 催办's words, author and time on its desk; the office
reads a 延期 request's reason and date beside 批准 and 驳回, and the enterprise's words beside 不满意; the most overdue
problems are listed; a unit's problems in hand stay on its desk with 申请办结 one tap away; 挂牌督办, 重新办理 and an
enterprise's 不满意 reach the unit as notices on its desk and in the outbox. A working group's desk starts from 录入问题,
登记走访 and 报送."""
from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from models import Appeal, Delivery, Problem, ProblemUpdate, Unit, db, desk, intake, local_now, reminders, workflow
from models.steps import StepName
from tests.conftest import csrf_token
from tests.factories import VALID_CREDIT_CODE, named
from tests.test_desk import set_rows, world  # noqa: F401 (a fixture)


def take(client, step: str, problem_id: int, **data):
    """Take `step` on a problem through its form in the panel, as a user would."""
    url = f"/admin/problem/step/{step}/?id={problem_id}"
    page = client.get(url)
    assert page.status_code == 200, page.text
    response = client.post(url, data={"csrf_token": csrf_token(page.text), **data})
    assert response.status_code == 302, response.text
    return response


def section(page: str, key: str) -> str:
    """The desk's list of a line (its card), as text without tags; empty when the desk has no such list."""
    found = re.search(rf'<section[^>]*id="list-{key}".*?</section>', page, re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0)))) if found else ""


def test_a_comment_and_an_urge_are_read_on_the_units_desk_with_words_author_and_time(seeded, world, login_as):
    set_rows(seeded, world, PA2={"status": "办理中"})
    pid = world["PA2"][1]
    leader, office, unit = login_as("leader"), login_as("coordinator"), login_as("handler")
    assert section(unit.get("/admin/").text, "notices") == ""
    take(leader, "comment", pid, note="请市发改局本周内协调供地指标")
    take(office, "urge", pid, note="请于周五前报告进展")
    with seeded.app_context():
        when = {u.step: u.created_at for u in db.session.scalars(select(ProblemUpdate).where(
            ProblemUpdate.problem_id == pid))}
        number = db.session.get(Problem, pid).number
    shown = section(unit.get("/admin/").text, "notices")
    assert "领导批示" in shown and "请市发改局本周内协调供地指标" in shown
    assert "催办" in shown and "请于周五前报告进展" in shown
    assert f"{when[StepName.COMMENT]:%m-%d %H:%M}" in shown and number in shown
    assert shown.index("请于周五前报告进展") < shown.index("请市发改局本周内协调供地指标")  # the newest first
    unit.get(f"/admin/problem/details/?id={pid}")  # read
    assert section(unit.get("/admin/").text, "notices") == ""


def test_the_notices_name_their_author(seeded, world, login_as):
    set_rows(seeded, world, PA2={"status": "办理中"})
    take(login_as("leader", "lishuji"), "comment", world["PA2"][1], note="抓紧办")  # display name: lishuji
    take(login_as("coordinator", "wangzhuren"), "urge", world["PA2"][1], note="请报告进展")
    shown = section(login_as("handler").get("/admin/").text, "notices")
    assert "lishuji" in shown and "wangzhuren" in shown


def test_an_extension_request_shows_the_units_reason_and_date_beside_approve_and_reject(seeded, world, login_as):
    set_rows(seeded, world, PA2={"status": "办理中", "deadline": workflow.today() + timedelta(days=10),
                                 "assigned_on": workflow.today()})
    until = workflow.today() + timedelta(days=40)
    take(login_as("handler"), "request_extension", world["PA2"][1], until=until.isoformat(),
         reason="需等待省厅用地审批，预计下月批复")
    page = login_as("coordinator").get("/admin/").text
    shown = section(page, "extensions")
    assert f"申请延至{until:%Y-%m-%d}：需等待省厅用地审批，预计下月批复 handler ·" in shown  # reason, date, who
    assert f"批准延至{until:%m-%d}" in shown and "驳回延期" in shown  # the existing steps, beside the words


def test_the_enterprises_words_stand_beside_its_unsatisfied_rating(seeded, world, login_as):
    pid = world["PA2"][1]
    set_rows(seeded, world, PA2={"status": "已办结", "resolution": "已协调"})
    with seeded.app_context():
        problem = db.session.get(Problem, pid)
        appeal = Appeal(campaign=problem.campaign, number="SQ2024091200007", code_hash="pbkdf2:sha256:1$x$0",
                        enterprise_name="甲企业（合成）", credit_code=VALID_CREDIT_CODE, contact="王经理",
                        phone="13800000000", description="用地指标", problem=problem, status="已受理")
        db.session.add(appeal)
        db.session.commit()
        intake.rate(appeal, "不满意", "指标只批了一半，二期仍无法开工")
    shown = section(login_as("coordinator").get("/admin/").text, "revisit")
    assert "不满意" in shown and "指标只批了一半，二期仍无法开工" in shown and "回访" in shown
    # and the unit hears of it: a notice on its desk
    assert "指标只批了一半，二期仍无法开工" in section(login_as("handler").get("/admin/").text, "notices")


def test_the_most_overdue_problems_are_listed_with_a_link_to_all_of_them(seeded, world, login_as):
    today = workflow.today()
    set_rows(seeded, world,
             PA2={"status": "办理中", "deadline": today - timedelta(days=20), "assigned_on": today - timedelta(days=40)},
             PB={"status": "办理中", "deadline": today - timedelta(days=3), "assigned_on": today - timedelta(days=30)})
    page = login_as("coordinator").get("/admin/").text
    shown = section(page, "overdue")
    with seeded.app_context():
        first, second = (db.session.get(Problem, world[k][1]).number for k in ("PA2", "PB"))
    assert first in shown and second in shown and shown.index(first) < shown.index(second)  # the most overdue first
    assert "逾期" in shown and "催办" in shown
    assert 'href="/admin/problem/?todo=overdue' in page
    assert desk.OVERDUE_LISTED == 10 and next(
        line for line in desk.ROLE_LINES["coordinator"] if line.key == "overdue").listed == 10


def test_a_handlers_problem_in_hand_stays_on_its_desk_with_resolve_one_tap_away(seeded, world, login_as):
    pid = world["PA2"][1]
    set_rows(seeded, world, PA2={"deadline": workflow.today() + timedelta(days=30), "assigned_on": workflow.today()})
    unit = login_as("handler")
    assert f"/admin/problem/step/accept/?ids={pid}" in unit.get("/admin/").text.replace("&amp;", "&")
    take(unit, "accept", pid)
    page = unit.get("/admin/").text
    shown = section(page, "in_hand")
    assert "申请办结" in shown
    assert f"/admin/problem/step/resolve/?id={pid}" in page.replace("&amp;", "&")
    assert unit.get(f"/admin/problem/step/resolve/?id={pid}").status_code == 200
    set_rows(seeded, world, PB={"status": "办理中"})  # 市发改局 is only 协办 of PB: not its to resolve
    with seeded.app_context():
        other = db.session.get(Problem, world["PB"][1]).number
    assert other not in section(unit.get("/admin/").text, "in_hand")


@pytest.mark.parametrize("step,data", [("flag", {"note": "列入本月挂牌督办"}), ("reopen", {"reason": "企业反映仍未解决"})])
def test_flag_and_reopen_reach_the_unit_on_its_desk_and_in_the_outbox(seeded, world, login_as, monkeypatch, step,
                                                                     data):
    pid = world["PA2"][1]
    set_rows(seeded, world, PA2={"status": "已办结" if step == "reopen" else "办理中", "resolution": "已协调"})
    with seeded.app_context():
        named(Unit, "市发改局").email = "fgj@example.gov.cn"
        db.session.commit()
    monkeypatch.setitem(seeded.config, "SMTP_HOST", "127.0.0.1")
    take(login_as("coordinator"), step, pid, **data)
    shown = section(login_as("handler").get("/admin/").text, "notices")
    assert next(iter(data.values())) in shown
    with seeded.app_context():
        now = local_now()
        assert reminders.queue_new(now - timedelta(days=1), now) == 1
        delivery = db.session.scalar(select(Delivery))
        assert (delivery.update.step, delivery.address, delivery.channel) == (step, "fgj@example.gov.cn", "邮件")


def test_an_unsatisfied_rating_goes_out_and_a_satisfied_one_does_not(seeded, world, monkeypatch):
    monkeypatch.setitem(seeded.config, "SMTP_HOST", "127.0.0.1")
    with seeded.app_context():
        named(Unit, "市发改局").email = "fgj@example.gov.cn"
        ids = []
        for n, (rating, key) in enumerate((("满意", "PA2"), ("不满意", "PA2"))):
            problem = db.session.get(Problem, world[key][1])
            problem.status, problem.resolution = "已办结", "已协调"
            appeal = Appeal(campaign=problem.campaign, number=f"SQ202409120001{n}", code_hash="pbkdf2:sha256:1$x$0",
                            enterprise_name="甲企业（合成）", credit_code=VALID_CREDIT_CODE, contact="王经理",
                            phone="13800000000", description="用地", problem=problem, status="已受理")
            db.session.add(appeal)
            db.session.commit()
            intake.rate(appeal, rating, f"评价{n}")
            ids.append(appeal.id)
            now = local_now()
            queued = reminders.queue_new(now - timedelta(days=1), now)
            assert queued == (0 if rating == "满意" else 1), rating


def test_a_groups_desk_starts_from_three_actions(seeded, world, login_as):
    page = login_as("group").get("/admin/").text
    starts = re.findall(r'class="btn btn-primary btn-lg btn-block desk-start" href="([^"]+)"[^>]*>\s*'
                        r'<span class="desk-start-label">([^<]+)</span>', page)
    assert [label for _, label in starts] == ["录入问题", "登记走访", "报送"]
    assert [html.unescape(url).split("?")[0] for url, _ in starts] == [
        "/admin/problem/new/", "/admin/visit/new/", "/admin/report/new/"]
    for url, _ in starts:
        assert login_as("group", "group").get(html.unescape(url)).status_code == 200
    assert 'data-count="0"' not in page  # no row of zeros
    assert "desk-start" not in login_as("coordinator").get("/admin/").text  # the office's desk is its lines


def test_the_words_cost_one_statement_however_many_problems_are_listed(seeded, world, login_as):
    """The desk's words (延期 reasons, enterprises' ratings) are read in one statement, a unit's notices in one: at most
    7 statements for any desk (6 before the words), however many problems and notices there are."""
    from sqlalchemy import event

    today = workflow.today()
    set_rows(seeded, world, PA2={"status": "办理中", "deadline": today + timedelta(days=10), "assigned_on": today},
             PB={"status": "办理中", "deadline": today + timedelta(days=12), "assigned_on": today})
    take(login_as("handler"), "request_extension", world["PA2"][1], until=(today + timedelta(days=30)).isoformat(),
         reason="理由一")
    take(login_as("coordinator"), "urge", world["PA2"][1], note="请报进展")
    with seeded.app_context():
        db.session.get(Problem, world["PB"][1]).extension_requested_until = today + timedelta(days=40)
        db.session.commit()
        engine = db.engine
    clients = {role: login_as(role) for role in ("admin", "coordinator", "handler")}
    counted = []

    def count(*args):
        counted.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        for role, client in clients.items():
            counted.clear()
            page = client.get("/admin/").text
            assert "理由一" in page or role == "handler", role
            assert "请报进展" in page or role != "handler", role
            assert len(counted) <= 7, (role, counted)
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_leader_reads_why_a_problem_awaits_a_comment_and_the_office_reads_the_result_it_closes(seeded, world, login_as):
    set_rows(seeded, world, PA2={"status": "办理中"})
    take(login_as("coordinator"), "flag", world["PA2"][1], note="三个月未解决，列入挂牌督办")
    assert "三个月未解决，列入挂牌督办" in section(login_as("leader").get("/admin/").text, "to_comment")
    set_rows(seeded, world, PB={"status": "办理中"})
    take(login_as("admin"), "resolve", world["PB"][1], resolution="已协调银行发放贷款 500 万元")
    assert "已协调银行发放贷款 500 万元" in section(login_as("coordinator").get("/admin/").text, "to_close")


def test_a_flag_before_the_problem_is_assigned_sends_nothing(seeded, world, login_as, monkeypatch):
    with seeded.app_context():
        named(Unit, "市财政局").email = "czj@example.gov.cn"  # PA's intended unit, not yet assigned
        db.session.commit()
    monkeypatch.setitem(seeded.config, "SMTP_HOST", "127.0.0.1")
    take(login_as("coordinator"), "flag", world["PA"][1], note="先挂牌")
    with seeded.app_context():
        now = local_now()
        assert reminders.queue_new(now - timedelta(days=1), now) == 0


def test_a_group_reads_why_a_unit_sent_its_problem_back(seeded, world, login_as):
    from tests.factories import staff_of

    with seeded.app_context():
        problem = db.session.get(Problem, world["PA2"][1])
        problem.lead_person = staff_of("市发改局")
        db.session.commit()
    take(login_as("handler"), "return", world["PA2"][1], reason="该事项属市自然资源局职责，请改交")
    shown = section(login_as("group").get("/admin/").text, "returned")
    assert "退回：该事项属市自然资源局职责，请改交" in shown and "查看" in shown
