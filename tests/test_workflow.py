"""The problem workflow as plain functions: every legal step, every illegal one refused in Chinese."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from models import AuditLog, Person, Problem, Unit, User, db, workflow
from models.errors import DomainError
from tests.conftest import make_user
from tests.factories import named, scoped_world, staff_of


@pytest.fixture
def ctx(seeded):
    """An app context with the test world, one user per role, and a fresh unassigned problem of 循环园's group."""
    for role in ("admin", "coordinator", "group", "handler", "leader"):
        make_user(seeded, role, role)
    with seeded.app_context():
        world = scoped_world()
        users = {u.username: u for u in db.session.scalars(select(User))}
        problem = db.session.get(Problem, world["PA"][1])
        problem.responsible_unit = None  # PA was made already pointed at a unit; start from a clean 待交办
        db.session.commit()
        yield {"users": users, "problem": problem, "world": world}


def assign(ctx, **changes):
    problem, office = ctx["problem"], ctx["users"]["coordinator"]
    args = {"responsible_unit": named(Unit, "市发改局"), "deadline": workflow.today() + timedelta(days=10),
            "lead_person": named(Person, "周雄伟")}
    args.update(changes)
    workflow.assign(problem, office, **args)
    db.session.commit()
    return problem


def test_the_whole_cycle_from_collected_to_closed(ctx):
    users, problem = ctx["users"], ctx["problem"]
    assign(ctx, co_units=[named(Unit, "市工信局")])
    assert (problem.status, problem.responsible_unit.name, problem.assigned_on) == ("已交办", "市发改局", workflow.today())
    for step in (lambda: workflow.accept(problem, users["handler"]),
                 lambda: workflow.progress(problem, users["handler"], "已与企业对接"),
                 lambda: workflow.resolve(problem, users["handler"], "已协调供电公司完成报装")):
        step()
        db.session.commit()  # as each step is its own request
    assert (problem.status, problem.resolved_on) == ("已办结", workflow.today())
    workflow.close(problem, users["coordinator"], "满意")
    db.session.commit()
    assert (problem.status, problem.satisfaction, problem.closed_by_id) == ("已销号", "满意", users["coordinator"].id)
    steps = [(u.action, u.from_status, u.to_status) for u in problem.updates]
    assert steps[-5:] == [("交办", "待交办", "已交办"), ("签收", "已交办", "办理中"), ("报告进展", None, None),
                          ("申请办结", "办理中", "已办结"), ("销号", "已办结", "已销号")]
    assert problem.progress.endswith("销号：企业满意度：满意")
    audited = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "problem", AuditLog.row_id == str(problem.id),
                                                        AuditLog.action == "update").order_by(AuditLog.id)).all()
    assert [a.changes["status"] for a in audited if "status" in a.changes][-4:] == [
        ["待交办", "已交办"], ["已交办", "办理中"], ["办理中", "已办结"], ["已办结", "已销号"]]


@pytest.mark.parametrize("role, step, message", [
    ("handler", "assign", "您的角色（责任单位）不能对问题执行“交办”。"),
    ("leader", "assign", "您的角色（领导）不能对问题执行“交办”。"),
    ("group", "close", "您的角色（工作组）不能对问题执行“销号”。"),
    ("coordinator", "accept", "您的角色（推进办）不能对问题执行“签收”。"),
    ("coordinator", "close", "当前为“待交办”，不能“销号”。"),
    ("coordinator", "approve_extension", "当前为“待交办”，不能“批准延期”。"),
    ("leader", "withdraw", "您的角色（领导）不能对问题执行“撤销”。"),
])
def test_illegal_steps_are_refused_in_chinese(ctx, role, step, message):
    problem = ctx["problem"]
    before = (problem.status, len(problem.updates))
    args = {
        "assign": {"responsible_unit": named(Unit, "市发改局"), "deadline": workflow.today(), "lead_person": named(Person, "周雄伟")},
        "close": {"satisfaction": "满意"},
        "withdraw": {"reason": "理由"},
    }.get(step, {})
    with pytest.raises(DomainError, match=message):
        workflow.ACTIONS[step](problem, ctx["users"][role], **args)
    assert (problem.status, len(problem.updates)) == before


def test_the_lead_person_is_one_of_the_responsible_units_people(ctx):
    problem, office = ctx["problem"], ctx["users"]["coordinator"]
    with pytest.raises(DomainError, match="责任人“周雄伟（局长）”不是责任单位“市工信局”的人员"):
        workflow.assign(problem, office, responsible_unit=named(Unit, "市工信局"), lead_person=named(Person, "周雄伟"),
                        deadline=workflow.today())
    db.session.rollback()
    assert problem.status == "待交办" and problem.responsible_unit is None


def test_resolving_needs_signing_for_first(ctx):
    users, problem = ctx["users"], ctx["problem"]
    assign(ctx)
    with pytest.raises(DomainError, match="当前为“已交办”，不能“申请办结”"):
        workflow.resolve(problem, users["handler"], "已解决")


def test_every_timeline_starts_with_how_the_problem_came_in(ctx, seeded):
    """录入 is the first line, whoever creates the problem: here the command line (no request)."""
    problem = Problem(campaign=ctx["problem"].campaign, description="新问题（合成数据）")
    db.session.add(problem)
    db.session.commit()
    first = problem.updates[0]
    assert (first.action, first.to_status, first.note, len(problem.updates)) == ("录入", "待交办", "由命令行录入", 1)


def test_assignment_needs_unit_person_and_a_future_deadline(ctx):
    problem, office = ctx["problem"], ctx["users"]["coordinator"]
    unit, person = named(Unit, "市发改局"), named(Person, "周雄伟")
    for args, message in (
        ({"responsible_unit": None, "deadline": workflow.today(), "lead_person": person}, "交办必须指定责任单位。"),
        ({"responsible_unit": unit, "deadline": workflow.today(), "lead_person": None}, "交办必须指定责任人。"),
        ({"responsible_unit": unit, "deadline": None, "lead_person": person}, "交办必须指定办理时限。"),
        ({"responsible_unit": unit, "deadline": workflow.today() - timedelta(days=1), "lead_person": person}, "办理时限不能早于今天。"),
        ({"responsible_unit": unit, "deadline": workflow.today(), "lead_person": person, "co_units": [unit]}, "协办单位不能与责任单位相同。"),
    ):
        with pytest.raises(DomainError, match=message):
            workflow.assign(problem, office, **args)
        db.session.rollback()
    assert problem.status == "待交办"


def test_only_the_lead_unit_signs_for_and_asks_to_close(ctx, seeded):
    users, problem = ctx["users"], ctx["problem"]
    assign(ctx, responsible_unit=named(Unit, "市工信局"), co_units=[named(Unit, "市发改局")], lead_person=staff_of("市工信局"))
    handler = users["handler"]  # 市发改局: 协办 here
    with pytest.raises(DomainError, match="只有主办单位可以"):
        workflow.accept(problem, handler)
    workflow.progress(problem, handler, "协办单位已提供政策依据")  # a 协办 unit may report progress
    assert problem.updates[-1].note == "协办单位已提供政策依据"
    outsider = User(username="x", role="handler", unit=named(Unit, "市水利局"), campaign=problem.campaign)
    with pytest.raises(DomainError, match="不由您的单位办理"):
        workflow.progress(problem, outsider, "越权")


def test_return_sends_it_back_to_be_assigned_again(ctx):
    users, problem = ctx["users"], ctx["problem"]
    assign(ctx)
    with pytest.raises(DomainError, match="退回必须填写理由。"):
        workflow.return_(problem, users["handler"], "  ")
    workflow.return_(problem, users["handler"], "不属于本单位职责")
    db.session.commit()
    assert (problem.status, problem.responsible_unit, problem.deadline) == ("待交办", None, None)
    assert "不属于本单位职责" in problem.updates[-1].note and "原责任单位：市发改局" in problem.updates[-1].note


def test_extension_keeps_the_old_deadline_in_the_history(ctx):
    users, problem = ctx["users"], ctx["problem"]
    assign(ctx)
    old = problem.deadline
    with pytest.raises(DomainError, match="延期后的时限应晚于当前办理时限"):
        workflow.request_extension(problem, users["handler"], old, "需要更多时间")
    workflow.request_extension(problem, users["handler"], old + timedelta(days=15), "需要省级部门审批")
    with pytest.raises(DomainError, match="已有待审批的延期申请"):
        workflow.request_extension(problem, users["handler"], old + timedelta(days=20), "再次申请")
    assert problem.deadline == old and problem.extension_requested_until == old + timedelta(days=15)
    workflow.approve_extension(problem, users["coordinator"])
    db.session.commit()
    assert (problem.deadline, problem.extension_requested_until) == (old + timedelta(days=15), None)
    assert problem.updates[-1].note == f"办理时限由{old}延至{old + timedelta(days=15)}"
    with pytest.raises(DomainError, match="没有待审批的延期申请"):
        workflow.reject_extension(problem, users["coordinator"], "不同意")


def test_rejected_extension_keeps_the_deadline(ctx):
    users, problem = ctx["users"], ctx["problem"]
    assign(ctx)
    old = problem.deadline
    workflow.request_extension(problem, users["handler"], old + timedelta(days=5), "原因")
    workflow.reject_extension(problem, users["coordinator"], "时限内可以办结")
    assert (problem.deadline, problem.extension_requested_until) == (old, None)


def test_escalation_goes_up_one_level_at_a_time(ctx):
    users, problem = ctx["users"], ctx["problem"]
    workflow.escalate(problem, users["coordinator"], "本级不能解决")
    assert problem.escalation_level == "市级" and problem.updates[-1].action == "上报"  # as the button says
    assert problem.updates[-1].note == "上报至市级：本级不能解决"
    workflow.escalate(problem, users["coordinator"], "市级不能解决")
    assert problem.escalation_level == "省级"
    with pytest.raises(DomainError, match="已上报至省级，不能再上报"):
        workflow.escalate(problem, users["coordinator"], "再上报")


def test_close_needs_satisfaction_and_reopen_sends_it_back(ctx):
    users, problem = ctx["users"], ctx["problem"]
    assign(ctx)
    workflow.accept(problem, users["handler"])
    with pytest.raises(DomainError, match="申请办结必须填写办理结果。"):
        workflow.resolve(problem, users["handler"], "")
    workflow.resolve(problem, users["handler"], "已解决")
    with pytest.raises(DomainError, match="销号必须填写企业满意度"):
        workflow.close(problem, users["coordinator"], "还行")
    workflow.reopen(problem, users["coordinator"], "企业反映问题仍未解决")
    assert (problem.status, problem.resolved_on) == ("办理中", None)


def test_leaders_flag_and_comment(ctx):
    users, problem = ctx["users"], ctx["problem"]
    workflow.set_flag(problem, users["leader"], True, "请限期解决")
    with pytest.raises(DomainError, match="已经挂牌督办"):
        workflow.set_flag(problem, users["leader"], True)
    workflow.comment(problem, users["leader"], "请市发改局牵头协调")
    assert problem.flagged and [u.action for u in problem.updates[-2:]] == ["挂牌督办", "领导批示"]
    with pytest.raises(DomainError, match="您的角色（工作组）不能对问题执行“取消挂牌督办”"):
        workflow.set_flag(problem, users["group"], False)


def test_available_steps_follow_role_status_and_unit(ctx):
    users, problem = ctx["users"], ctx["problem"]
    # (合并 too: PA2 is an open problem of the same enterprise)
    assert workflow.available(problem, users["coordinator"]) == ["assign", "escalate", "flag", "withdraw", "merge"]
    assert workflow.available(problem, users["handler"]) == []
    assert workflow.available(problem, users["group"]) == ["withdraw", "merge"]
    assert workflow.available(problem, users["leader"]) == ["flag", "comment"]
    assign(ctx)
    assert workflow.available(problem, users["handler"]) == ["accept", "progress", "return", "request_extension"]
    assert workflow.available(problem, users["group"]) == []
    workflow.accept(problem, users["handler"])  # 申请办结 follows 签收 (README's diagram)
    assert workflow.available(problem, users["handler"]) == ["progress", "resolve", "return", "request_extension"]


def test_urge_reaches_the_units_desk_unread_until_opened(seeded, login_as):
    """催办 (推进办, 领导) on a running problem: on the timeline, and on the responsible unit's desk as new until the unit
    opens the problem; refused on a problem not yet assigned, for a unit, and without a note."""
    import re
    from datetime import timedelta

    from models import Person, Problem, Unit, User, workflow
    from models.errors import DomainError
    from tests.conftest import csrf_token
    from tests.factories import miluo, named

    with seeded.app_context():
        unit = named(Unit, "市发改局")
        lead = db.session.scalars(select(Person).where(Person.unit_id == unit.id)).first()
        problem = Problem(campaign=miluo(), description="催办测试")
        pending = Problem(campaign=miluo(), description="催办测试（未交办）")
        db.session.add_all([problem, pending])
        db.session.commit()
        office = User(username="urge-office", role="coordinator", campaign_id=miluo().id)
        workflow.assign(problem, office, unit, workflow.today() + timedelta(days=10), lead_person=lead)
        db.session.commit()
        with pytest.raises(DomainError):
            workflow.urge(pending, office, "请尽快")
        with pytest.raises(DomainError, match="请填写催办要求"):
            workflow.urge(problem, office, "  ")
        db.session.rollback()
        pk = problem.id
    handler = login_as("handler")

    def notices() -> int:
        return int(re.search(r'id="line-notices"[^>]*>.*?data-count="(\d+)"', handler.get("/admin/").text, re.S).group(1))

    before = notices()
    assert handler.get(f"/admin/problem/step/urge/?id={pk}").status_code in (302, 403)
    leader = login_as("leader")
    form = leader.get(f"/admin/problem/step/urge/?id={pk}")
    done = leader.post(f"/admin/problem/step/urge/?id={pk}", data={"csrf_token": csrf_token(form.text),
                                                                 "note": "请本周内报告进展"})
    assert done.status_code == 302
    assert notices() == before + 1
    page = handler.get(f"/admin/problem/details/?id={pk}").text
    assert "催办" in page and "请本周内报告进展" in page
    assert notices() == before  # read once opened
