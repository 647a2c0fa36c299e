"""Rows for tests, built on the seeded 汨罗 campaign."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from models import (
    Appeal,
    AuditLog,
    Body,
    BodyTown,
    Campaign,
    Delivery,
    Enterprise,
    EnterpriseGroup,
    LoginAttempt,
    OfficialDocument,
    Person,
    PolicyDocument,
    PolicyPush,
    Problem,
    Reminder,
    Report,
    Unit,
    Visit,
    db,
)
from models.calendar import add_workdays
from models.steps import StepName
from models.workflow import record  # the timeline's one door, for test rows too

VALID_CREDIT_CODE = "91110000600037341L"


def last_workday(day: date) -> date:
    """`day` if it is worked, else the working day before it: counting N working days back from it gives a deadline
    N working days overdue on any day of the week (on a Saturday, N back from the Saturday itself is only N − 1)."""
    return add_workdays(day + timedelta(days=1), -1)


def miluo() -> Campaign:
    return db.session.scalar(select(Campaign).where(Campaign.code == "SJY"))


def named(model, name: str, campaign: Campaign | None = None):
    campaign = campaign or miluo()
    return db.session.scalar(select(model).where(model.campaign_id == campaign.id, model.name == name))


def staff_of(unit_name: str, name: str | None = None) -> Person:
    """A person of unit `unit_name` (a 责任人 must be one of the responsible unit's people): the seeded one if there is
    one, else a synthetic one made for the test."""
    unit = named(Unit, unit_name)
    found = db.session.scalars(select(Person).where(Person.unit_id == unit.id).order_by(Person.id)).first()
    if found is None or name is not None:
        found = Person(campaign=unit.campaign, unit=unit, name=name or f"{unit_name}测试人员")
        db.session.add(found)
        db.session.flush()
    return found


def one_of_everything() -> dict[str, int]:
    """Make sure every table has at least one row; return the ids of the rows made."""
    campaign = miluo()
    group = named(Body, "工作组（循环园）")
    town = named(Unit, "循环园")
    policy = db.session.scalars(select(PolicyDocument).where(PolicyDocument.campaign_id == campaign.id)).first()
    firm = Enterprise(campaign=campaign, name="测试企业（合成数据）", credit_code=VALID_CREDIT_CODE, town=town)
    problem = Problem(campaign=campaign, enterprise=firm, description="测试问题（合成数据）", category="用工",
                      collected_by_body=group, collected_on=date(2024, 9, 12))
    line = record(problem, None, StepName.ENTERED, note="测试")
    rows = [
        firm,
        EnterpriseGroup(enterprise=firm, body=group),
        BodyTown(body=group, unit=town),
        Visit(campaign=campaign, body=group, enterprise=firm, visited_on=date(2024, 9, 12), summary="测试走访"),
        PolicyPush(policy=policy, enterprise=firm, pushed_on=date(2024, 9, 13)),
        Report(campaign=campaign, kind="周调度", period_start=date(2024, 9, 5), period_end=date(2024, 9, 11),
               body=group, content="测试报送"),
        problem,
        line,
        Reminder(problem=problem, unit=town, level="提醒", day=date(2024, 9, 20), deadline=date(2024, 9, 23)),
        OfficialDocument(campaign=campaign, kind="交办通知书", year=2024, serial=1, number="〔2024〕1号",
                         title="交办通知书（测试）", problems=[problem]),
        Delivery(update=line, channel="企业微信", address="https://robot.example.invalid/send", status="失败",
                 attempts=5, last_error="测试：对方拒收"),
        AuditLog(username="test", table_name="problem", row_id="1", action="insert", changes={"k": [None, 1]}),
        LoginAttempt(username="test", address="127.0.0.1", succeeded=False),
        Appeal(campaign=campaign, number="SQ2024091200001", code_hash="pbkdf2:sha256:1$x$0", enterprise_name=firm.name,
               credit_code=VALID_CREDIT_CODE, contact="测试联系人", phone="13800000000", description="测试诉求（合成数据）",
               enterprise=firm, body=group, problem=problem, status="已受理"),
    ]
    db.session.add_all(rows)
    db.session.commit()
    return {type(row).__tablename__: row.id for row in rows}


def scoped_world() -> dict[str, tuple[str, int]]:
    """Rows of two working groups, two responsible units and two campaigns, for the access matrix.

    Keys: A… belongs to 循环园's group (the `group` user), B… to 配套园's group; the `handler` user is 市发改局,
    which is 主办 of PA2 and 协办 of PB; AH… rows are the other campaign's (安徽, seeded).
    """
    from models import Event, Person, Post, Task

    campaign = miluo()
    group_a, group_b = named(Body, "工作组（循环园）"), named(Body, "工作组（配套园）")
    fgj, czj = named(Unit, "市发改局"), named(Unit, "市财政局")
    park_a, park_b = named(Unit, "循环园"), named(Unit, "配套园")
    policy = db.session.scalars(select(PolicyDocument).where(PolicyDocument.campaign_id == campaign.id)).first()
    ea = Enterprise(campaign=campaign, name="甲企业（合成）", town=park_a)
    eb = Enterprise(campaign=campaign, name="乙企业（合成）", town=park_b)
    pa = Problem(campaign=campaign, enterprise=ea, description="甲问题：待交办", collected_by_body=group_a, responsible_unit=czj)
    pa2 = Problem(campaign=campaign, enterprise=ea, description="甲问题：已交办", collected_by_body=group_a,
                  responsible_unit=fgj, status="已交办")
    pb = Problem(campaign=campaign, enterprise=eb, description="乙问题：市发改局协办", collected_by_body=group_b,
                 responsible_unit=czj, co_units=[fgj])
    pb2 = Problem(campaign=campaign, enterprise=eb, description="乙问题：他人", collected_by_body=group_b, responsible_unit=czj)
    rows = {
        "EA": ea, "EB": eb,
        "EGA": EnterpriseGroup(enterprise=ea, body=group_a), "EGB": EnterpriseGroup(enterprise=eb, body=group_b),
        "BTA": BodyTown(body=group_a, unit=park_a), "BTB": BodyTown(body=group_b, unit=park_b),
        "VA": Visit(campaign=campaign, body=group_a, enterprise=ea, visited_on=date(2024, 9, 12)),
        "VB": Visit(campaign=campaign, body=group_b, enterprise=eb, visited_on=date(2024, 9, 13)),
        "PA": pa, "PA2": pa2, "PB": pb, "PB2": pb2,
        "UA": record(pa, None, StepName.ENTERED),
        "UPB": record(pb, None, StepName.ENTERED),
        "UPB2": record(pb2, None, StepName.ENTERED),
        "RA": Report(campaign=campaign, kind="周调度", period_start=date(2024, 9, 5), period_end=date(2024, 9, 11), body=group_a),
        "RB": Report(campaign=campaign, kind="周调度", period_start=date(2024, 9, 5), period_end=date(2024, 9, 11), body=group_b),
        "PPA": PolicyPush(policy=policy, enterprise=ea, pushed_on=date(2024, 9, 14)),
        "PPB": PolicyPush(policy=policy, enterprise=eb, pushed_on=date(2024, 9, 14)),
        "EVB": Event(campaign=campaign, kind="启动对接会", title="配套园工作组启动对接会（合成）", organiser=group_b),
        "EVC": Event(campaign=campaign, kind="动员部署会", title="全市动员部署会（合成）"),
    }
    db.session.add_all(rows.values())
    db.session.commit()
    anhui = db.session.scalar(select(Campaign).where(Campaign.code == "SSYF"))
    keyed = {key: (row.__tablename__, row.id) for key, row in rows.items()}
    keyed.update({
        "GA": ("body", group_a.id), "GB": ("body", group_b.id), "ZB": ("body", named(Body, "综合专班").id),
        "AHG": ("body", named(Body, "第一工作组", anhui).id),
        "U": ("unit", fgj.id), "AHU": ("unit", named(Unit, "省政府金融办", anhui).id),
        "PER": ("person", named(Person, "林恒求").id), "AHPER": ("person", named(Person, "程钢", anhui).id),
        "C": ("campaign", campaign.id), "AHC": ("campaign", anhui.id),
        "T": ("task", db.session.scalar(select(Task.id).where(Task.campaign_id == campaign.id, Task.code == "三(一)"))),
        "POL": ("policy", policy.id),
        "POSTA": ("post", db.session.scalar(select(Post.id).where(Post.body_id == group_a.id))),
        "POSTB": ("post", db.session.scalar(select(Post.id).where(Post.body_id == group_b.id))),
        "AHE": ("enterprise", db.session.scalar(select(Enterprise.id).where(Enterprise.campaign_id == anhui.id))),
        "AHP": ("problem", db.session.scalar(select(Problem.id).where(Problem.campaign_id == anhui.id))),
        "AHEV": ("event", db.session.scalar(select(Event.id).where(Event.campaign_id == anhui.id).limit(1))),
    })
    return keyed
