"""Rows for tests, built on the seeded 汨罗 campaign."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from models import (
    AuditLog,
    Body,
    BodyTown,
    Campaign,
    Enterprise,
    EnterpriseGroup,
    LoginAttempt,
    Policy,
    PolicyPush,
    Problem,
    ProblemUpdate,
    Report,
    Unit,
    Visit,
    db,
)

VALID_CREDIT_CODE = "91110000600037341L"


def miluo() -> Campaign:
    return db.session.scalar(select(Campaign).where(Campaign.code == "SJY"))


def named(model, name: str, campaign: Campaign | None = None):
    campaign = campaign or miluo()
    return db.session.scalar(select(model).where(model.campaign_id == campaign.id, model.name == name))


def one_of_everything() -> dict[str, int]:
    """Make sure every table has at least one row; return the ids of the rows made."""
    campaign = miluo()
    group = named(Body, "工作组（循环园）")
    town = named(Unit, "循环园")
    policy = db.session.scalars(select(Policy).where(Policy.campaign_id == campaign.id)).first()
    firm = Enterprise(campaign=campaign, name="测试企业（合成数据）", credit_code=VALID_CREDIT_CODE, town=town)
    problem = Problem(campaign=campaign, enterprise=firm, description="测试问题（合成数据）", category="用工",
                      collected_by_body=group, collected_on=date(2024, 9, 12))
    rows = [
        firm,
        EnterpriseGroup(enterprise=firm, body=group),
        BodyTown(body=group, unit=town),
        Visit(campaign=campaign, body=group, enterprise=firm, visited_on=date(2024, 9, 12), summary="测试走访"),
        PolicyPush(policy=policy, enterprise=firm, pushed_on=date(2024, 9, 13)),
        Report(campaign=campaign, kind="周调度", period_start=date(2024, 9, 5), period_end=date(2024, 9, 11),
               body=group, content="测试报送"),
        problem,
        ProblemUpdate(problem=problem, action="收集", to_status="待交办", note="测试"),
        AuditLog(username="test", table_name="problem", row_id="1", action="insert", changes={"k": [None, 1]}),
        LoginAttempt(username="test", address="127.0.0.1", succeeded=False),
    ]
    db.session.add_all(rows)
    db.session.commit()
    return {type(row).__tablename__: row.id for row in rows}
