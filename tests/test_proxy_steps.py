"""代录: the 推进办 enters a unit's step (签收, 报告进展, 申请办结, 申请延期) on its behalf, from the problem page and in bulk;
the timeline and the audit name the unit and the channel, and every other rule of the step still holds."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from models import AuditLog, Person, Problem, ProblemUpdate, Unit, User, db, workflow
from models.errors import DomainError
from tests.conftest import csrf_token, make_user
from tests.factories import named, scoped_world, staff_of


@pytest.fixture
def world(seeded):
    with seeded.app_context():
        return scoped_world()


def assigned(app, key, world):
    """The problem `key`, assigned to its unit as on screen (so it has a 责任人 and a 办理时限)."""
    with app.app_context():
        problem = db.session.get(Problem, world[key][1])
        if problem.status == "已交办":
            return problem.id
        office = db.session.scalar(select(User).where(User.role.in_(("coordinator", "admin"))))
        unit = problem.responsible_unit
        problem.responsible_unit = None
        workflow.assign(problem, office, responsible_unit=unit, deadline=workflow.today() + timedelta(days=10),
                        lead_person=staff_of(unit.name))
        db.session.commit()
        return problem.id


def test_the_office_enters_a_units_steps_on_its_behalf(seeded, world):
    make_user(seeded, "coordinator", "coordinator")
    with seeded.app_context():
        office = db.session.scalar(select(User).where(User.username == "coordinator"))
        problem = db.session.get(Problem, world["PA2"][1])
        workflow.on_behalf("accept", problem, office, "电话")
        workflow.on_behalf("progress", problem, office, "微信", note="已完成现场踏勘")
        workflow.on_behalf("request_extension", problem, office, "纸质",
                           until=workflow.today() + timedelta(days=60), reason="等待省厅批复")
        workflow.on_behalf("resolve", problem, office, "Excel", resolution="已协调解决")
        db.session.commit()
        lines = [u for u in problem.updates if u.channel]
        assert [u.heading for u in lines] == [
            "签收（推进办代录·电话，代市发改局）", "报告进展（推进办代录·微信，代市发改局）",
            "申请延期（推进办代录·纸质，代市发改局）", "申请办结（推进办代录·Excel，代市发改局）"]
        assert problem.status == "已办结" and all(u.author_id == office.id for u in lines)
        assert problem.progress == f"{workflow.today():%Y-%m-%d} 申请办结（推进办代录·Excel）：已协调解决"  # 附件2's 办理进展
        audited = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "problem_update",
                                                            AuditLog.row_id == str(lines[1].id))).one()
        assert audited.changes["channel"] == [None, "微信"] and audited.changes["step"] == [None, "progress"]
        assert audited.changes["on_behalf_of_unit_id"] == [None, named(Unit, "市发改局").id]
        assert audited.changes["author_id"] == [None, office.id]


def test_a_step_the_workflow_forbids_is_refused_with_its_reason(seeded, world):
    for role in ("coordinator", "group", "leader"):
        make_user(seeded, role, role)
    with seeded.app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        assigned_one = db.session.get(Problem, world["PA2"][1])
        unassigned = db.session.get(Problem, world["PA"][1])
        with pytest.raises(DomainError, match="问题.*当前为“已交办”，不能“申请办结”"):
            workflow.on_behalf("resolve", assigned_one, users["coordinator"], "电话", resolution="x")
        with pytest.raises(DomainError, match="当前为“待交办”，不能“签收”"):
            workflow.on_behalf("accept", unassigned, users["coordinator"], "电话")
        with pytest.raises(DomainError, match="“销号”不能代录"):
            workflow.on_behalf("close", assigned_one, users["coordinator"], "电话", satisfaction="满意")
        with pytest.raises(DomainError, match="请选择代录的渠道"):
            workflow.on_behalf("accept", assigned_one, users["coordinator"], "短信")
        for role in ("group", "leader"):
            with pytest.raises(DomainError, match="不能代录责任单位的办理步骤"):
                workflow.on_behalf("accept", assigned_one, users[role], "电话")
        with pytest.raises(DomainError, match="请填写办理进展"):
            workflow.on_behalf("progress", assigned_one, users["coordinator"], "微信", note=" ")
        db.session.rollback()
        assert db.session.get(Problem, world["PA2"][1]).status == "已交办"
        # the office itself still may not take the unit's step as its own
        assert workflow.refusal("accept", assigned_one, users["coordinator"]) == "您的角色（推进办）不能对问题执行“签收”。"
        assert workflow.proxy_available(assigned_one, users["coordinator"]) == ["accept", "progress", "request_extension"]
        assert workflow.proxy_available(assigned_one, users["leader"]) == []


def test_proxy_from_the_problem_page(seeded, world, login_as):
    office = login_as("coordinator")
    pid = world["PA2"][1]
    page = office.get(f"/admin/problem/details/?id={pid}")
    assert 'id="case-proxy"' in page.text and "代录签收" in page.text and "代录申请办结" not in page.text
    url = f"/admin/problem/step/accept/?id={pid}&proxy=1"
    form = office.get(url)
    assert form.status_code == 200 and "代录渠道" in form.text and "代市发改局录入" in form.text
    token = csrf_token(form.text)
    refused = office.post(url, data={"csrf_token": token, "note": "电话里说已签收"})
    assert refused.status_code == 200 and "请选择责任单位的答复是通过哪个渠道来的" in refused.text
    done = office.post(url, data={"csrf_token": token, "channel": "电话", "note": "电话里说已签收"}, follow_redirects=True)
    assert re.search(r"推进办代录（[^）]+）：已签收[A-Z]+-[0-9-]+，现为办理中。", done.text)
    assert "签收（推进办代录·电话，代市发改局）" in done.text
    with seeded.app_context():
        assert db.session.get(Problem, pid).status == "办理中"
    # a step that cannot be entered on behalf, and a role that may not 代录
    assert office.get(f"/admin/problem/step/close/?id={pid}&proxy=1").status_code == 404
    handler = login_as("handler")
    assert handler.get(f"/admin/problem/step/progress/?id={pid}&proxy=1").status_code == 403
    assert 'id="case-proxy"' not in handler.get(f"/admin/problem/details/?id={pid}").text


def test_proxy_in_bulk_from_the_ledger(seeded, world, login_as):
    office = login_as("coordinator")
    ids = [assigned(seeded, "PA2", world), assigned(seeded, "PB", world)]
    token = csrf_token(office.get("/admin/problem/").text)
    response = office.post("/admin/problem/action/", data={"csrf_token": token, "action": "proxy_accept", "rowid": ids})
    assert response.status_code == 302 and "proxy=1" in response.headers["Location"]
    form = office.get(response.headers["Location"])
    assert "代录签收（2个问题）" in form.text
    done = office.post(response.headers["Location"], data={"csrf_token": token, "channel": "微信"}, follow_redirects=True)
    assert re.search(r"推进办代录（[^）]+）：已签收2个问题（[A-Z]+-[0-9-]+、[A-Z]+-[0-9-]+），现为办理中。", done.text)
    with seeded.app_context():
        for pid in ids:
            problem = db.session.get(Problem, pid)
            line = problem.updates[-1]
            assert (problem.status, line.channel, line.on_behalf_of_unit_id) == ("办理中", "微信", problem.responsible_unit_id)
    # all or none: one of them may not take 申请办结 as the other is asked to
    with seeded.app_context():
        pa = db.session.get(Problem, world["PA"][1])
        pa_status = pa.status
    response = office.post("/admin/problem/action/", data={"csrf_token": token, "action": "proxy_resolve",
                                                           "rowid": [*ids, world["PA"][1]]}, follow_redirects=True)
    assert f"当前为“{pa_status}”，不能“申请办结”" in response.text
