"""我的待办: each role's desk counts what waits for it, each line opens the ledger narrowed to exactly those problems,
the common step is taken from the desk (签收 in bulk), and a page costs a fixed handful of SQL statements."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from models import Person, Problem, Unit, db, desk, workflow
from models.vocab import ROLES
from tests.conftest import csrf_token
from tests.factories import named, scoped_world, staff_of
from tests.helpers import flashes


@pytest.fixture
def world(seeded):
    with seeded.app_context():
        return scoped_world()


def lines(page: str) -> dict[str, int]:
    """The desk's lines and their counts, as shown."""
    return {key: int(n) for key, n in re.findall(r'id="line-([a-z_]+)"[^>]*>.*?data-count="(\d+)"', page, re.S)}


def listed(page: str) -> int:
    found = re.search(r"列表 \((\d+)\)", page)
    return int(found.group(1)) if found else 0


def set_rows(app, world, **changes):
    """Change problems of the world directly (the state a test starts from): {key: {attribute: value}}."""
    with app.app_context():
        for key, values in changes.items():
            row = db.session.get(Problem, world[key][1])
            for name, value in values.items():
                setattr(row, name, value)
        db.session.commit()


def test_each_role_lands_on_its_desk_and_the_charts_are_a_page_of_their_own(seeded, login_as):
    expected = {
        "admin": ["appeals", "unassigned", "extensions", "to_close", "revisit", "overdue", "flagged", "messages"],
        "coordinator": ["appeals", "unassigned", "extensions", "to_close", "revisit", "overdue", "flagged", "messages"],
        "group": ["reports"],  # it starts from 录入问题, 登记走访, 报送, and shows only the lines that count something
        "handler": ["to_accept", "in_hand", "due_soon", "overdue", "notices", "my_extensions", "messages"],
        "leader": ["flagged", "escalated", "to_comment"],
    }
    for role in ROLES:
        client = login_as(role)
        page = client.get("/admin/").text
        assert "我的待办" in page and list(lines(page)) == expected[role], role
        assert "chart.umd.min.js" not in page  # the charts moved to 统计
        assert "chart.umd.min.js" in client.get("/admin/stats/").text


def test_every_line_counts_what_its_ledger_lists(seeded, world, login_as):
    today = workflow.today()
    set_rows(seeded, world,
             PA2={"deadline": today + timedelta(days=1), "assigned_on": today - timedelta(days=3)},  # 已交办, 市发改局: 待签收, 黄
             PB={"status": "办理中", "deadline": today - timedelta(days=2), "assigned_on": today - timedelta(days=9),
                 "flagged": True, "extension_requested_until": today + timedelta(days=9)},  # 逾期, 挂牌, 延期申请
             PB2={"status": "已办结", "resolution": "已解决"})
    for role in ROLES:
        client = login_as(role)
        shown = lines(client.get("/admin/").text)
        for key, count in shown.items():
            line = next(line for line in desk.ROLE_LINES[role] if line.key == key)
            if line.condition is None:
                continue
            assert listed(client.get(f"/admin/problem/?todo={key}").text) == count, (role, key)
    office = lines(login_as("coordinator", "office2").get("/admin/").text)
    assert office == {"appeals": 0, "unassigned": 1, "extensions": 1, "to_close": 1, "revisit": 0, "overdue": 1,
                      "flagged": 1, "messages": 0}
    unit = lines(login_as("handler", "unit2").get("/admin/").text)
    assert (unit["to_accept"], unit["due_soon"], unit["overdue"], unit["my_extensions"]) == (1, 1, 1, 1)  # PB as 协办
    assert lines(login_as("leader", "leader2").get("/admin/").text) == {"flagged": 1, "escalated": 0, "to_comment": 1}


def test_a_todo_the_role_does_not_have_lists_the_whole_ledger(seeded, world, login_as):
    client = login_as("handler")
    whole = listed(client.get("/admin/problem/").text)
    for key in ("unassigned", "nonsense", "visits"):  # another role's line, no line, a line that is not of problems
        page = client.get(f"/admin/problem/?todo={key}").text
        assert listed(page) == whole and 'id="todo-banner"' not in page
    assert 'id="todo-banner"' in client.get("/admin/problem/?todo=to_accept").text


def test_sign_for_several_from_the_desk_in_one_click(seeded, world, login_as):
    with seeded.app_context():
        fgj, campaign = named(Unit, "市发改局"), db.session.get(Problem, world["PA2"][1]).campaign
        extra = Problem(campaign=campaign, description="第二个待签收（合成）", responsible_unit=fgj, status="已交办",
                        assigned_on=workflow.today(), deadline=workflow.today() + timedelta(days=10))
        db.session.add(extra)
        db.session.commit()
        ids = [world["PA2"][1], extra.id]
    client = login_as("handler")
    page = client.get("/admin/").text
    assert lines(page)["to_accept"] == 2 and 'id="bulk-to_accept"' in page
    response = client.post("/admin/problem/step/accept/", data={"csrf_token": csrf_token(page), "ids": ids, "next": "/admin/"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    with seeded.app_context():
        assert {db.session.get(Problem, pk).status for pk in ids} == {"办理中"}
    assert lines(client.get("/admin/").text)["to_accept"] == 0


def test_a_desk_step_on_someone_elses_problem_is_refused_and_changes_nothing(seeded, world, login_as):
    set_rows(seeded, world, PB={"status": "已交办"})  # 主办 市财政局; 市发改局 only 协办
    client = login_as("handler")
    token = csrf_token(client.get("/admin/").text)
    response = client.post("/admin/problem/step/accept/", data={"csrf_token": token, "ids": [world["PB"][1]],
                                                                 "next": "/admin/"}, follow_redirects=True)
    assert any("只有主办单位可以" in m for m in flashes(response.text))
    response = client.post("/admin/problem/step/accept/", data={"csrf_token": token, "ids": [world["AHP"][1]],
                                                                 "next": "/admin/"}, follow_redirects=True)
    assert any("所选问题不存在" in m for m in flashes(response.text))  # another campaign's: not even seen
    response = client.post("/admin/problem/step/accept/", data={"csrf_token": token, "ids": [], "next": "/admin/"},
                           follow_redirects=True)
    assert any("请先勾选问题" in m for m in flashes(response.text))
    with seeded.app_context():
        assert db.session.get(Problem, world["PB"][1]).status == "已交办"


def test_a_step_never_sends_the_user_to_another_site(seeded, world, login_as):
    client = login_as("handler")
    token = csrf_token(client.get("/admin/").text)
    for target in ("https://example.com/", "//example.com/x", "/\\example.com", "javascript:alert(1)"):
        response = client.post("/admin/problem/step/accept/", data={"csrf_token": token, "ids": [world["PA2"][1]],
                                                                     "next": target})
        assert response.status_code == 302 and response.headers["Location"].startswith("/admin/"), target
        set_rows(seeded, world, PA2={"status": "已交办"})


def test_approve_an_extension_from_the_desk_in_one_click(seeded, world, login_as):
    until = workflow.today() + timedelta(days=30)
    set_rows(seeded, world, PA2={"status": "办理中", "deadline": workflow.today() + timedelta(days=5),
                                 "assigned_on": workflow.today(), "extension_requested_until": until})
    client = login_as("coordinator")
    page = client.get("/admin/").text
    assert f"批准延至{until:%m-%d}" in page
    form = re.search(r'<form method="post" id="one-extensions-(\d+)"[^>]*action="([^"]+)"', page)
    response = client.post(form.group(2).replace("&amp;", "&"), data={"csrf_token": csrf_token(page), "next": "/admin/",
                                                                      "until": until.isoformat()})
    assert response.status_code == 302
    with seeded.app_context():
        row = db.session.get(Problem, world["PA2"][1])
        assert (row.deadline, row.extension_requested_until) == (until, None)


def test_new_comments_wait_on_the_units_desk_until_it_opens_the_problem(seeded, world, login_as):
    set_rows(seeded, world, PA2={"status": "办理中"})
    unit, leader = login_as("handler"), login_as("leader")
    assert lines(unit.get("/admin/").text)["notices"] == 0
    page = leader.get(f"/admin/problem/step/comment/?id={world['PA2'][1]}")
    assert leader.post(f"/admin/problem/step/comment/?id={world['PA2'][1]}",
                       data={"csrf_token": csrf_token(page.text), "note": "请加快办理"}).status_code == 302
    assert lines(unit.get("/admin/").text)["notices"] == 1
    assert listed(unit.get("/admin/problem/?todo=notices").text) == 1
    assert unit.get(f"/admin/problem/details/?id={world['PA2'][1]}").status_code == 200  # read
    assert lines(unit.get("/admin/").text)["notices"] == 0
    assert lines(login_as("handler", "colleague").get("/admin/").text)["notices"] == 1  # each user reads for themselves


def test_a_leader_sees_what_awaits_a_comment_until_commenting(seeded, world, login_as):
    set_rows(seeded, world, PA2={"status": "办理中"})
    leader = login_as("leader")
    page = leader.get(f"/admin/problem/step/flag/?id={world['PA2'][1]}")
    leader.post(f"/admin/problem/step/flag/?id={world['PA2'][1]}", data={"csrf_token": csrf_token(page.text)})
    assert lines(leader.get("/admin/").text)["to_comment"] == 1
    page = leader.get(f"/admin/problem/step/comment/?id={world['PA2'][1]}")
    leader.post(f"/admin/problem/step/comment/?id={world['PA2'][1]}",
                data={"csrf_token": csrf_token(page.text), "note": "请限期办结"})
    assert lines(leader.get("/admin/").text) == {"flagged": 1, "escalated": 0, "to_comment": 0}


def test_a_groups_desk_shows_its_returned_problems_and_reports_due(seeded, world, login_as):
    with seeded.app_context():
        handler = type("U", (), {"role": "admin", "id": None, "unit_id": None, "role_label": "系统管理员"})()
        problem = db.session.get(Problem, world["PA2"][1])
        problem.lead_person = staff_of("市发改局")
        workflow.return_(problem, handler, "不属于本单位职责")
        db.session.commit()
    group = login_as("group")
    page = group.get("/admin/").text
    shown = lines(page)
    assert (shown["collected"], shown["returned"]) == (2, 1)
    assert listed(group.get("/admin/problem/?todo=returned").text) == 1
    assert shown["reports"] == len(re.findall(r"报送日", page))  # one line per report not yet sent


def test_the_desk_costs_a_fixed_handful_of_statements(seeded, world, login_as):
    """At most 6 SQL statements for any role's desk and for the compact ledger, however many problems there are."""
    with seeded.app_context():
        engine = db.engine
    counted = []

    def count(*args):
        counted.append(args[2])

    clients = {role: login_as(role) for role in ROLES}
    event.listen(engine, "before_cursor_execute", count)
    try:
        for role, client in clients.items():
            for url in ("/admin/", "/admin/problem/"):
                counted.clear()
                assert client.get(url).status_code == 200
                assert len(counted) <= 6, (role, url, counted)
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_add_a_person_to_the_chosen_unit_from_the_assign_form(seeded, world, login_as):
    office = login_as("coordinator")
    page = office.get(f"/admin/problem/step/assign/?id={world['PA'][1]}").text
    assert "新增人员" in page and 'data-unit-from="responsible_unit"' in page and "__None" not in re.sub(
        r'value="__None"', "", page)  # the blank option's value only, never shown as text
    with seeded.app_context():
        unit = named(Unit, "市工信局").id
        other = named(Unit, "省政府金融办", db.session.get(Problem, world["AHP"][1]).campaign).id
    token = csrf_token(page)
    made = office.post("/admin/problem/people/", data={"csrf_token": token, "unit": unit, "name": " 王 五 ",
                                                        "position": "科长", "problem": world["PA"][1]})
    assert made.status_code == 200 and made.json["text"] == "王 五（科长）" and made.json["unit"] == unit
    with seeded.app_context():
        person = db.session.get(Person, made.json["id"])
        assert (person.unit_id, person.campaign_id) == (unit, world["C"][1])
    for data, message in (({"unit": "", "name": "甲"}, "请先选择单位。"), ({"unit": unit, "name": "  "}, "请填写姓名。"),
                          ({"unit": other, "name": "乙"}, "请先选择单位。"), ({"unit": unit, "name": "丙\x07"}, "控制字符"),
                          ({"unit": unit, "name": "戊", "position": "长" * 201}, "职务最多 200 个字"),
                          ({"unit": unit, "name": "己", "phone": "1" * 33}, "电话最多 32 个字")):
        response = office.post("/admin/problem/people/", data={"csrf_token": token, "problem": world["PA"][1], **data})
        assert response.status_code == 400 and message in response.json["error"], data
    handler = login_as("handler")
    token = csrf_token(handler.get("/admin/").text)
    response = handler.post("/admin/problem/people/", data={"csrf_token": token, "unit": unit, "name": "丁",
                                                             "problem": world["PA2"][1]})
    assert response.status_code == 403
    with seeded.app_context():
        assert db.session.scalar(select(Person.id).where(Person.name.in_(("甲", "乙", "丁")))) is None


def test_the_assign_form_offers_each_person_with_their_unit(seeded, world, login_as):
    office = login_as("coordinator")
    page = office.get(f"/admin/problem/step/assign/?id={world['PA'][1]}").text
    with seeded.app_context():
        person = named(Person, "周雄伟")
        expected = f'<option data-unit="{person.unit_id}" value="{person.id}">周雄伟（局长）</option>'
    assert expected in page.replace("selected ", "")


def test_the_close_form_shows_the_result_and_asks_for_satisfaction(seeded, world, login_as):
    set_rows(seeded, world, PB2={"status": "已办结", "resolution": "已协调解决供电问题"})
    office = login_as("coordinator")
    page = office.get(f"/admin/problem/step/close/?id={world['PB2'][1]}").text
    assert "已协调解决供电问题" in page and "责任单位的办理结果" in page
    options = re.findall(r"<option([^>]*)>([^<]*)</option>", page)
    assert [label for _, label in options][0] == "请选择（按企业的意见）"
    assert not any("selected" in attrs for attrs, label in options if label in ("满意", "基本满意", "不满意"))
    response = office.post(f"/admin/problem/step/close/?id={world['PB2'][1]}",
                           data={"csrf_token": csrf_token(page), "satisfaction": "__None"})
    assert response.status_code == 200 and "请选择企业满意度。" in response.text


def test_the_administrators_desk_is_of_one_campaign_at_a_time(seeded, world, login_as):
    """The system administrator sees every campaign: the desk counts the chosen one (?campaign=ID), and its lines open
    the ledger of that campaign."""
    admin = login_as("admin")
    for campaign in (world["C"][1], world["AHC"][1]):
        page = admin.get(f"/admin/?campaign={campaign}").text
        assert 'id="desk-campaign"' in page
        with seeded.app_context():
            pending = db.session.scalar(select(func.count(Problem.id)).where(Problem.campaign_id == campaign,
                                                                             Problem.status == "待交办"))
        assert lines(page)["unassigned"] == pending
        link = re.search(r'id="line-unassigned" href="([^"]+)"', page).group(1).replace("&amp;", "&")
        assert f"campaign={campaign}" in link and listed(admin.get(link).text) == pending


def test_renaming_a_step_keeps_its_notices_on_the_desk(seeded, world, login_as, monkeypatch):
    """The desk finds a leader's 批示 by the step's code: renamed after it was written, it still waits for the unit."""
    from dataclasses import replace

    from models.steps import STEPS, StepName

    set_rows(seeded, world, PA2={"status": "办理中"})
    unit, leader = login_as("handler"), login_as("leader")
    for step, data in (("flag", {}), ("comment", {"note": "请加快办理"})):
        page = leader.get(f"/admin/problem/step/{step}/?id={world['PA2'][1]}")
        assert leader.post(f"/admin/problem/step/{step}/?id={world['PA2'][1]}",
                           data={"csrf_token": csrf_token(page.text), **data}).status_code == 302
    for step, renamed in ((StepName.COMMENT, "领导指示"), (StepName.FLAG, "挂牌")):
        monkeypatch.setitem(STEPS, step, replace(STEPS[step], label=renamed))
    assert lines(unit.get("/admin/").text)["notices"] == 1
    assert listed(unit.get("/admin/problem/?todo=notices").text) == 1
    assert lines(leader.get("/admin/").text) == {"flagged": 1, "escalated": 0, "to_comment": 0}  # 待批示: by code too
    assert "领导指示" in unit.get(f"/admin/problem/details/?id={world['PA2'][1]}").text
