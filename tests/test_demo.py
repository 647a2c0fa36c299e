"""Demo data: deterministic, clearly synthetic, every state, consistent with the workflow, and loaded only once."""
from __future__ import annotations

from sqlalchemy import select

from models import AuditLog, Campaign, Enterprise, Problem, ProblemUpdate, db
from models.vocab import PROBLEM_STATUSES, Status
from tests.conftest import empty_all_tables


def demo_rows():
    return [(p.number, p.status, p.description, p.deadline, p.responsible_unit and p.responsible_unit.name, p.enterprise.name, p.flagged)
            for p in db.session.scalars(select(Problem).where(Problem.description.like("【演示】%")).order_by(Problem.number))]


def run(app, *args):
    result = app.test_cli_runner().invoke(args=["seed", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_data_is_deterministic_for_a_given_size_and_anchor(app):
    run(app, "--demo", "--problems", "40", "--anchor", "2024-10-15")
    with app.app_context():
        first = demo_rows()
        empty_all_tables()
    run(app, "--demo", "--problems", "40", "--anchor", "2024-10-15")
    with app.app_context():
        assert demo_rows() == first and len(first) == 40
        empty_all_tables()
    run(app, "--demo", "--problems", "41", "--anchor", "2024-10-15")
    with app.app_context():
        assert demo_rows()[:5] != first[:5]


def test_demo_data_has_every_state_and_is_marked_synthetic(app):
    output = run(app, "--demo", "--problems", "300", "--anchor", "2024-11-30")
    assert "演示数据（合成）" in output and "问题 300" in output
    with app.app_context():
        campaign = db.session.scalar(select(Campaign).where(Campaign.code == "SJY"))
        problems = db.session.scalars(select(Problem).where(Problem.campaign_id == campaign.id)).all()
        assert {p.status for p in problems} == set(PROBLEM_STATUSES) - {Status.MERGED}  # (合并: tests/test_merge.py)
        assert {p.escalation_level for p in problems} == {"本级", "市级", "省级"}
        assert any(p.flagged for p in problems)
        assert all(p.description.startswith("【演示】") and "演示" in p.remark for p in problems)
        firms = db.session.scalars(select(Enterprise).where(Enterprise.campaign_id == campaign.id)).all()
        assert firms and all("演示" in f.name for f in firms)
        for p in problems:
            assert p.number.startswith("SJY-2024-")
            if p.status in ("已交办", "办理中", "已办结", "已销号"):
                assert p.responsible_unit_id and p.lead_person_id and p.deadline and p.assigned_on <= p.deadline, p.number
            if p.status == "已销号":
                assert p.satisfaction and p.closed_on and p.resolved_on, p.number
            if p.status == "待交办":
                assert p.responsible_unit_id is None and p.co_units == [], p.number
            last = db.session.scalars(select(ProblemUpdate).where(ProblemUpdate.problem_id == p.id, ProblemUpdate.to_status.is_not(None))
                                      .order_by(ProblemUpdate.created_at.desc(), ProblemUpdate.id.desc())).first()
            assert last.to_status == p.status, p.number
        assert campaign.last_problem_seq == 300
        assert db.session.scalar(select(AuditLog).where(AuditLog.table_name == "problem", AuditLog.row_id == "*")) is not None


def test_new_problems_after_the_demo_continue_the_numbering(app):
    run(app, "--demo", "--problems", "12", "--anchor", "2024-10-15")
    with app.app_context():
        campaign = db.session.scalar(select(Campaign).where(Campaign.code == "SJY"))
        problem = Problem(campaign=campaign, description="演示之后新录入的问题")
        db.session.add(problem)
        db.session.commit()
        assert problem.number == "SJY-2024-0013"


def test_demo_is_loaded_once(app):
    run(app, "--demo", "--problems", "12")
    with app.app_context():
        count = db.session.query(Problem).count()
    assert "演示数据已存在，未再次生成。" in run(app, "--demo", "--problems", "12")
    with app.app_context():
        assert db.session.query(Problem).count() == count


def test_bad_demo_arguments_get_chinese_messages(app):
    for args, message in ((["--problems", "abc"], "--problems 应为1到1000000之间的整数"),
                          (["--problems", "0"], "--problems 应为1到1000000之间的整数"),
                          (["--anchor", "2024-13-01"], "--anchor 应为 YYYY-MM-DD 格式的日期或 today")):
        result = app.test_cli_runner().invoke(args=["seed", "--demo", *args])
        assert result.exit_code == 1 and message in result.output, result.output
    with app.app_context():
        assert db.session.query(Campaign).count() == 0
