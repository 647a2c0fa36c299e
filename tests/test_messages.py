"""留言 (models.messages): a thread per problem between the 推进办, the responsible unit and the working group; it
changes nothing of the problem, shows as 新留言 on the other sides' desks until they open the problem, is read and written
only by those who see the problem, and never reaches the portal."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from models import Body, Enterprise, Message, Problem, Unit, User, db, desk, workflow
from models.desk import Clock
from models.vocab import Status
from tests.conftest import csrf_token
from tests.factories import miluo, named, staff_of
from tests.helpers import flashes
from tests.test_portal import accept, sent


SYSTEM = type("Admin", (), {"id": None, "role": "admin", "unit_id": None, "body_id": None, "role_label": "系统管理员",
                             "campaign_id": None})()  # the system administrator, for setting rows up


def assigned_problem(seeded) -> int:
    """A problem of 工作组（循环园） assigned to 市发改局 (the `handler` and `group` users' defaults)."""
    with seeded.app_context():
        campaign = miluo()
        firm = Enterprise(campaign=campaign, name="留言测试企业（合成）", town=named(Unit, "循环园"))
        problem = Problem(campaign=campaign, enterprise=firm, description="厂区外道路破损，货车进出困难。",
                          collected_by_body=named(Body, "工作组（循环园）"))
        db.session.add(problem)
        db.session.commit()
        office = SYSTEM
        workflow.assign(problem, office, named(Unit, "市发改局"), workflow.today() + timedelta(days=20),
                        lead_person=staff_of("市发改局"))
        db.session.commit()
        return problem.id


def desk_count(seeded, username: str, key: str = "messages") -> int:
    with seeded.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        return desk.counts(user, Clock(workflow.today(), 3)).get(key, 0)


def say(client, problem_id: int, text: str):
    page = client.get(f"/admin/problem/details/?id={problem_id}")
    return client.post("/admin/problem/message/", data={"csrf_token": csrf_token(page.text), "id": problem_id,
                                                       "text": text}, follow_redirects=True)


def test_office_unit_and_group_talk_on_a_problem_and_each_sees_the_others_words_on_its_desk(seeded, login_as):
    pid = assigned_problem(seeded)
    office, unit, group = login_as("coordinator"), login_as("handler"), login_as("group")
    with seeded.app_context():
        before = db.session.get(Problem, pid)
        state = (before.status, before.version, len(before.updates), before.progress)
    done = say(office, pid, "请问企业门口这段路归哪个部门管养？")
    assert any("已在问题" in m and "留言" in m for m in flashes(done.text)), flashes(done.text)
    assert "请问企业门口这段路归哪个部门管养？" in done.text and 'id="thread"' in done.text
    assert desk_count(seeded, "handler") == 1 and desk_count(seeded, "group") == 1
    assert desk_count(seeded, "coordinator") == 0  # one's own words are not news
    assert "新留言" in unit.get("/admin/").text
    page = unit.get(f"/admin/problem/details/?id={pid}")  # opening the problem reads it
    assert "请问企业门口这段路归哪个部门管养？" in page.text
    assert desk_count(seeded, "handler") == 0 and desk_count(seeded, "group") == 1
    say(unit, pid, "补充材料：该路段属交通运输局管养，已发函对接。")
    assert desk_count(seeded, "coordinator") == 1
    say(group, pid, "企业说雨天更严重，照片已发群里。")
    with seeded.app_context():
        thread = db.session.scalars(select(Message).where(Message.problem_id == pid).order_by(Message.id)).all()
        assert [m.side for m in thread] == ["推进办", "责任单位", "工作组"]
        assert thread[1].speaker.startswith("市发改局")
        after = db.session.get(Problem, pid)
        assert (after.status, after.version, len(after.updates), after.progress) == state  # no state changes
        assert after.status == Status.ASSIGNED


def test_only_those_who_see_the_problem_read_and_write_its_thread(seeded, login_as):
    pid = assigned_problem(seeded)
    say(login_as("coordinator"), pid, "只给有关单位看的留言")
    with seeded.app_context():
        other_unit = named(Unit, "市财政局")
        other_group = named(Body, "工作组（配套园）")
    stranger = login_as("handler", "czj", unit=other_unit)
    other = login_as("group", "ptq", body=other_group)
    for client in (stranger, other):
        page = client.get(f"/admin/problem/details/?id={pid}")
        assert "只给有关单位看的留言" not in page.text
        token = csrf_token(client.get("/admin/").text)
        refused = client.post("/admin/problem/message/", data={"csrf_token": token, "id": pid, "text": "越权留言"})
        assert refused.status_code == 404
    assert say(login_as("coordinator"), pid, "   ").status_code == 200  # blank: refused with a message
    with seeded.app_context():
        assert [m.text for m in db.session.scalars(select(Message).where(Message.problem_id == pid))] == ["只给有关单位看的留言"]
    assert desk_count(seeded, "czj") == 0 and desk_count(seeded, "ptq") == 0


def test_a_blank_or_overlong_message_is_refused_in_chinese_and_nothing_is_written(seeded, login_as):
    pid = assigned_problem(seeded)
    office = login_as("coordinator")
    assert "请填写留言内容。" in flashes(say(office, pid, " \n ").text)
    assert any("留言最多 1000 字" in m for m in flashes(say(office, pid, "长" * 1001).text))
    with seeded.app_context():
        assert db.session.scalars(select(Message)).all() == []


def test_the_portal_never_shows_a_message(seeded, login_as):
    enterprise = seeded.test_client()
    number, code, appeal_id = sent(seeded, enterprise)
    office = login_as("coordinator")
    assert accept(office, appeal_id).status_code == 302
    with seeded.app_context():
        from models import Appeal
        pid = db.session.scalar(select(Appeal.problem_id).where(Appeal.id == appeal_id))
    secret = "内部留言：该企业另有欠税问题，暂勿告知企业"
    say(office, pid, secret)
    looked = enterprise.post("/portal/track", data={"csrf_token": csrf_token(enterprise.get("/portal/track").text),
                                                    "number": number, "code": code})
    assert looked.status_code == 200 and number in looked.text
    assert secret not in looked.text and "欠税" not in looked.text
