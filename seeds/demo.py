"""Synthetic demo data for the 汨罗 campaign: `flask --app app seed --demo [--problems N] [--anchor YYYY-MM-DD]`.

Everything it writes is clearly marked as synthetic (names and descriptions carry “演示”), is deterministic for a
given N and anchor date, and is written with bulk inserts so that 100,000 problems take seconds, not hours.
The anchor is the day the data is built around (default: the campaign's first day); `make run` uses today, so
that the ledger shows problems due soon, overdue and on time. Real names from the documents are never used
for synthetic roles: demo responsible people and supervisors are demo persons.
"""
from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select, text

from models import (
    AuditLog,
    Body,
    Campaign,
    Enterprise,
    EnterpriseGroup,
    Person,
    Problem,
    ProblemUpdate,
    Report,
    Unit,
    Visit,
    db,
    ledger,
    local_now,
)
from models.audit import actor_provider
from models.steps import STEPS, StepName
from models.uscc import ALPHABET, check_character
from models.vocab import (OPEN_STATUSES, PROBLEM_SOURCES, RUNNING_STATUSES, BodyKind, Escalation, Satisfaction, Status,
                          UnitKind)

MARK = "（演示）"
BATCH = 5000

# Which unit of the 汨罗 campaign a problem of each category goes to (the 27 member units and 市优化办 of document 003).
CATEGORY_UNITS = {
    "资金": ("市财政局", "金融监管汨罗支局"),
    "用工": ("市人社局",),
    "用能": ("市发改局",),
    "用地": ("市自然资源局",),
    "供应链": ("市工信局", "市商务粮食局"),
    "审批": ("市市场监管局", "市数据局"),
    "政策": ("市发改局", "市工信局"),
    "基础设施": ("市住建局", "市交通运输局", "市水利局"),
    "其他": ("市优化办",),
}
TOPICS = {
    "资金": ("流动资金周转困难，申请贴息贷款", "设备更新贷款审批时间长", "技改补助资金尚未拨付"),
    "用工": ("技术工人招聘难", "季节性用工缺口较大", "员工社保补贴申领不畅"),
    "用能": ("新增用电报装进度慢", "天然气供应价格偏高", "峰谷电价政策不清楚"),
    "用地": ("扩建项目用地指标不足", "厂房不动产登记未办结", "标准厂房租金偏高"),
    "供应链": ("上游原材料供应不稳定", "产品本地配套率低", "物流成本偏高"),
    "审批": ("环评审批周期长", "施工许可办理材料多", "资质证书延续手续繁琐"),
    "政策": ("设备更新政策申报条件不清楚", "以旧换新补贴兑现慢", "研发费用加计扣除政策咨询"),
    "基础设施": ("园区道路破损影响运输", "厂区排水管网不畅", "园区公交线路不足"),
    "其他": ("企业周边治安需加强", "希望组织银企对接活动", "希望开展政策培训"),
}
WORDS = ("恒", "兴", "盛", "源", "达", "创", "鑫", "华", "瑞", "丰", "泰", "嘉", "宏", "德", "新", "联")
TRADES = (("科技", "电子信息"), ("再生资源", "循环经济"), ("机械制造", "装备制造"), ("新材料", "新材料"),
          ("食品", "农产品加工"), ("纺织", "轻工"), ("建材", "建材"), ("物流", "现代物流"))
STATUS_WEIGHTS = ((Status.UNASSIGNED, 10), (Status.ASSIGNED, 15), (Status.HANDLING, 30), (Status.RESOLVED, 15),
                  (Status.CLOSED, 25), (Status.WITHDRAWN, 5))


class DemoError(Exception):
    """The demo data cannot be built; the message says why, in Chinese."""


def demo_credit_code(index: int) -> str:
    """A valid 统一社会信用代码 for demo enterprise `index` (registered in 汨罗 430681; unique per index)."""
    body = "91430681"
    serial = ""
    n = index + 1
    for _ in range(9):
        serial = ALPHABET[n % 31] + serial
        n //= 31
    return body + serial + check_character(body + serial)


class DemoBuilder:
    """Builds the demo rows in memory with explicit ids, then writes each table in batches."""

    def __init__(self, campaign: Campaign, problems: int, anchor: date):
        self.campaign = campaign
        self.problems = problems
        self.anchor = anchor
        self.rng = random.Random(f"zhuqi-demo-{problems}-{anchor.isoformat()}")
        self.rows: dict[str, list[dict]] = {}
        self.next_id = {}
        self.now = local_now()

    def new_id(self, model) -> int:
        if model not in self.next_id:
            self.next_id[model] = (db.session.scalar(select(func.max(model.id))) or 0) + 1
        value = self.next_id[model]
        self.next_id[model] += 1
        return value

    def add(self, model, **values) -> dict:
        values.setdefault("id", self.new_id(model))
        if "version" in model.__table__.c:
            values.setdefault("version", 1)
        for stamp in ("created_at", "updated_at"):
            if stamp in model.__table__.c:
                values.setdefault(stamp, self.now)
        self.rows.setdefault(model.__tablename__, []).append(values)
        return values

    # --- the campaign's own rows the demo hangs on ---
    def lookup(self):
        cid = self.campaign.id
        self.groups = db.session.scalars(select(Body).where(Body.campaign_id == cid, Body.kind == BodyKind.WORKING_GROUP).order_by(Body.id)).all()
        self.units = {u.name: u for u in db.session.scalars(select(Unit).where(Unit.campaign_id == cid))}
        missing = {n for names in CATEGORY_UNITS.values() for n in names} - set(self.units)
        if not self.groups or missing:
            raise DemoError("汨罗专项行动的种子数据不完整（缺少工作组或单位），请先运行：flask --app app seed")
        self.parks = [u for u in self.units.values() if u.kind == UnitKind.PARK]
        self.phase = ledger.visit_phase(cid)

    def build(self) -> None:
        self.lookup()
        self.build_people()
        self.build_enterprises()
        self.build_problems()
        self.build_reports()

    def build_people(self) -> None:
        """One demo 责任人 per responsible unit and two demo 督办人, all marked as synthetic."""
        self.lead = {}
        for name in sorted({n for names in CATEGORY_UNITS.values() for n in names}):
            self.lead[name] = self.add(Person, campaign_id=self.campaign.id, name=f"{name}责任人{MARK}",
                                       unit_id=self.units[name].id)["id"]
        office = self.units.get("市优化办")
        self.supervisors = [self.add(Person, campaign_id=self.campaign.id, name=f"督办人{i}{MARK}",
                                     unit_id=office.id if office else None)["id"] for i in (1, 2)]

    def build_enterprises(self) -> None:
        count = max(12, self.problems // 10)
        self.enterprises = []
        for i in range(count):
            trade, industry = TRADES[i % len(TRADES)]
            name = f"汨罗{WORDS[i % 16]}{WORDS[(i // 16) % 16]}{trade}有限公司{MARK[:-1]}{i + 1:05d}）"
            group = self.groups[i % len(self.groups)]
            firm = self.add(Enterprise, campaign_id=self.campaign.id, name=name, credit_code=demo_credit_code(i),
                            ownership=self.rng.choice(("民营", "民营", "民营", "国有", "外资")),
                            above_scale=self.rng.random() < 0.6, industry=industry,
                            town_id=self.rng.choice(self.parks).id if self.parks else None,
                            contact=f"联系人{i + 1:05d}{MARK}", phone=None)
            self.add(EnterpriseGroup, enterprise_id=firm["id"], body_id=group.id)
            self.enterprises.append((firm["id"], group.id))
            if self.phase is not None:  # visits in the 集中上门 phase: most groups meet the target, some do not
                span = (self.phase.due_on - self.phase.start_on).days
                for _ in range(self.rng.choice((1, 2, 3, 3, 3, 4))):
                    self.add(Visit, campaign_id=self.campaign.id, body_id=group.id, enterprise_id=firm["id"],
                             visited_on=self.phase.start_on + timedelta(days=self.rng.randint(0, span)),
                             form=self.rng.choice(("实地走访", "实地走访", "座谈会", "恳谈会")), participants=None,
                             summary=f"走访了解企业生产经营情况{MARK}")

    def build_problems(self) -> None:
        start = self.campaign.last_problem_seq
        year = self.campaign.number_year()
        statuses = [s for s, _ in STATUS_WEIGHTS]
        weights = [w for _, w in STATUS_WEIGHTS]
        categories = list(CATEGORY_UNITS)
        for n in range(self.problems):
            rng = self.rng
            firm, group = self.enterprises[rng.randrange(len(self.enterprises))]
            category = rng.choice(categories)
            status = rng.choices(statuses, weights)[0]
            collected = self.anchor - timedelta(days=rng.randint(0, 120))
            seq = start + n + 1
            co_unit = None
            problem = {
                "id": self.new_id(Problem), "campaign_id": self.campaign.id, "version": 1,
                "created_at": self.now, "updated_at": self.now,
                "number": f"{self.campaign.code}-{year}-{seq:04d}" if year else f"{self.campaign.code}-{seq:04d}",
                "enterprise_id": firm, "description": f"【演示】{rng.choice(TOPICS[category])}",
                "demand": "希望相关部门协调解决（演示数据）", "category": category,
                "nature": rng.choice(("个性", "个性", "共性")), "source": rng.choice(PROBLEM_SOURCES[:6]),
                "collected_by_body_id": group, "collected_on": collected, "status": Status.UNASSIGNED, "escalation_level": Escalation.LOCAL,
                "flagged": False, "remark": "演示数据（合成，非真实情况）",
            }
            steps = [(collected, StepName.ENTERED, "工作组走访收集")]
            if status != Status.UNASSIGNED and not (status == Status.WITHDRAWN and rng.random() < 0.5):
                unit_name = rng.choice(CATEGORY_UNITS[category])
                assigned = collected + timedelta(days=rng.randint(1, 5))
                deadline = assigned + timedelta(days=rng.randint(10, 40))
                others = [u for u in self.units.values() if u.name != unit_name and u.kind is None]
                problem.update(responsible_unit_id=self.units[unit_name].id, lead_person_id=self.lead[unit_name],
                               supervisor_id=rng.choice(self.supervisors), assigned_on=assigned, deadline=deadline)
                if rng.random() < 0.25 and others:
                    co_unit = rng.choice(others).id
                steps.append((assigned, StepName.ASSIGN, f"责任单位：{unit_name}；办理时限：{deadline}"))
                if status in (Status.HANDLING, Status.RESOLVED, Status.CLOSED) or (status == Status.WITHDRAWN and rng.random() < 0.5):
                    accepted = assigned + timedelta(days=rng.randint(0, 3))
                    steps.append((accepted, StepName.ACCEPT, None))
                    for _ in range(rng.randint(0, 2)):
                        steps.append((accepted + timedelta(days=rng.randint(1, 10)), StepName.PROGRESS, "正在协调办理（演示）"))
                if status in (Status.RESOLVED, Status.CLOSED):
                    resolved = assigned + timedelta(days=rng.randint(3, 45))
                    problem.update(resolution="已协调解决（演示数据）", resolved_on=resolved)
                    steps.append((resolved, StepName.RESOLVE, "已协调解决（演示数据）"))
                if status == Status.CLOSED:
                    closed = problem["resolved_on"] + timedelta(days=rng.randint(1, 5))
                    satisfaction = rng.choices((Satisfaction.SATISFIED, Satisfaction.FAIRLY, Satisfaction.UNSATISFIED), (70, 20, 10))[0]
                    problem.update(closed_on=closed, satisfaction=satisfaction)
                    steps.append((closed, StepName.CLOSE, f"企业满意度：{satisfaction}"))
            if status == Status.WITHDRAWN:
                last = max(day for day, *_ in steps)
                steps.append((last + timedelta(days=1), StepName.WITHDRAW, "企业已自行解决（演示）"))
            if status in OPEN_STATUSES and rng.random() < 0.08:
                problem["flagged"] = True
            if status in RUNNING_STATUSES and rng.random() < 0.06:
                problem["escalation_level"] = rng.choice((Escalation.CITY, Escalation.CITY, Escalation.PROVINCE))
            steps = [s for s in sorted(steps, key=lambda s: s[0]) if s[0] <= self.anchor] or steps[:1]
            state = Status.UNASSIGNED
            for order, (day, code, note) in enumerate(steps):  # each step moves the problem as declared (models.steps)
                step = STEPS[code]
                at = datetime.combine(day, time(9, 0)) + timedelta(minutes=30 * order + rng.randint(0, 20))
                self.add(ProblemUpdate, problem_id=problem["id"], created_at=at, author_id=None, step=code,
                         action=step.label, from_status=state if step.target and step.sources else None,
                         to_status=step.target, note=note)
                state = step.target or state
                problem["progress"] = f"{day:%Y-%m-%d} {step.label}" + (f"：{note}" if note else "")
                problem["last_progress_at"] = at
            problem["status"] = state
            if state in OPEN_STATUSES:  # what has not happened by the anchor is not there
                problem.update(resolution=None, resolved_on=None, closed_on=None, satisfaction=None)
            if state == Status.UNASSIGNED:
                problem.update(responsible_unit_id=None, lead_person_id=None, supervisor_id=None, assigned_on=None,
                               deadline=None)
            elif co_unit is not None:
                self.rows.setdefault("problem_co_unit", []).append({"problem_id": problem["id"], "unit_id": co_unit})
            self.rows.setdefault("problem", []).append(problem)
        self.last_seq = start + self.problems

    def build_reports(self) -> None:
        """Some bodies have sent this week's 周调度 and this 旬's 旬通报, some have not."""
        from models.periods import dekad, week

        bodies = db.session.scalars(select(Body).where(Body.campaign_id == self.campaign.id, Body.kind.in_((BodyKind.TASK_FORCE, BodyKind.WORKING_GROUP)))
                                    .order_by(Body.id)).all()
        for period in (week(self.anchor, 3), dekad(self.anchor, 8), week(self.anchor - timedelta(days=7), 3)):
            for body in bodies:
                if self.rng.random() < 0.6:
                    self.add(Report, campaign_id=self.campaign.id, kind=period.kind, period_start=period.start,
                             period_end=period.end, body_id=body.id,
                             submitted_at=datetime.combine(min(period.due, self.anchor), time(17, 0)),
                             content=f"{body.name}{period.label}{period.kind}（演示数据）")

    def write(self) -> Counter[str]:
        """Insert every table in dependency order, in batches; keep ids and numbering consistent afterwards."""
        order = ["person", "enterprise", "enterprise_group", "visit", "problem", "problem_co_unit", "problem_update", "report"]
        tables = {t.name: t for t in db.metadata.sorted_tables}
        written = Counter()
        for name in order:
            rows = self.rows.get(name, [])
            columns = set().union(*(r.keys() for r in rows)) if rows else set()
            for start in range(0, len(rows), BATCH):
                batch = [{c: r.get(c) for c in columns} for r in rows[start:start + BATCH]]
                db.session.execute(tables[name].insert(), batch)
            written[name] = len(rows)
        self.campaign.last_problem_seq = self.last_seq
        if db.engine.dialect.name == "postgresql":
            for name in order:
                if self.rows.get(name) and "id" in tables[name].c:
                    db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"))
        user_id, username = actor_provider()
        db.session.execute(AuditLog.__table__.insert(), [
            {"at": self.now, "user_id": user_id, "username": username, "campaign_id": self.campaign.id, "table_name": name,
             "row_id": "*", "action": "insert", "changes": {"演示数据": [None, f"批量新增{count}条（合成数据）"]}}
            for name, count in written.items() if count
        ])
        return written


def has_demo(campaign: Campaign) -> bool:
    return db.session.scalar(select(func.count(Enterprise.id)).where(Enterprise.campaign_id == campaign.id,
                                                                     Enterprise.name.like(f"%{MARK[:-1]}%"))) > 0


def load_demo(problems: int, anchor: date | None = None) -> Counter[str] | None:
    """Add the demo data to the 汨罗 campaign in one transaction; None (and nothing written) if it is already there."""
    campaign = db.session.scalar(select(Campaign).where(Campaign.code == "SJY"))
    if campaign is None:
        raise DemoError("找不到汨罗专项行动，请先运行：flask --app app seed")
    if has_demo(campaign):
        return None
    builder = DemoBuilder(campaign, problems, anchor or campaign.start_on or date(2024, 9, 1))
    builder.build()
    try:
        written = builder.write()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    refresh_statistics()
    return written


def refresh_statistics() -> None:
    """After a bulk load, let the database's planner know the tables' new sizes, as autovacuum would later on
    PostgreSQL (VACUUM also marks the new rows visible, so counts can read an index alone); SQLite keeps no
    statistics until told; MariaDB's InnoDB updates its own."""
    if db.engine.dialect.name == "sqlite":
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    elif db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
