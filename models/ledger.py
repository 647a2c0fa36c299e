"""Figures of the ledger, as plain functions over (already scoped) problems: the deadline light (亮灯),
urgency, the supervision listings (督办), rates and rankings, visit compliance and missing reports.

Definitions:
  亮灯: 灰 once 已办结 / 已销号 / 已撤销; for 已交办 and 办理中 with a deadline: 红 past it, 黄 with at most N
        working days left (N configurable, default 3; by the work calendar), 绿 otherwise; none while 待交办.
  7日无进展: no recorded progress for N working days (default 7).
  办结率 = (已办结 + 已销号) / (已交办 + 办理中 + 已办结 + 已销号)
  按期办结率 = those of (已办结 + 已销号) resolved on or before their deadline / (已办结 + 已销号)
  满意率 = (满意 + 基本满意) / 已销号 problems with a recorded satisfaction
  红黑榜: units with at least N assigned problems (N configurable, default 3) ranked by those rates; the others are
        样本不足, listed after them unranked
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, false, func, not_, or_, select

from .base import db
from .calendar import workdays_back, yellow_horizon
from .enterprise import EnterpriseGroup, Visit
from .org import Body, Unit
from .periods import Period, period_for
from .problem import Problem, Report, Urgency
from .task import Task
from .terms import satisfied_values
from .vocab import (ENDED_STATUSES, FINISHED_STATUSES, RUNNING_STATUSES, VISIT_TARGET_UNIT,
                    Escalation, Status, TaskSection)


class Light:
    """亮灯."""

    RED = "红"
    YELLOW = "黄"
    GREEN = "绿"
    GREY = "灰"


class Board:
    """红黑榜."""

    RED = "红榜"
    BLACK = "黑榜"
    TOO_FEW = "样本不足"  # too few assigned problems to be ranked


LIGHTS = (Light.RED, Light.YELLOW, Light.GREEN, Light.GREY)
ASSIGNED = RUNNING_STATUSES
FINISHED = FINISHED_STATUSES
HANDLED = (*ASSIGNED, *FINISHED)  # 已交办 and later, withdrawn ones aside
GREY = (*FINISHED, Status.WITHDRAWN, Status.MERGED)
CLOSED = ENDED_STATUSES
DEFAULT_YELLOW_DAYS = 3
DEFAULT_STALE_DAYS = 7
DEFAULT_RANKING_MIN_PROBLEMS = 3


def per_campaign(campaigns, condition):
    """`condition(campaign)` on each campaign's problems, for settings that differ between campaigns (the yellow
    window, 7日无进展…): one campaign's as it is, several joined by OR."""
    campaigns = list(campaigns)
    if len(campaigns) == 1:
        return condition(campaigns[0])
    return or_(false(), *(and_(Problem.campaign_id == c.id, condition(c)) for c in campaigns))


def light(problem: Problem, today: date, yellow_days: int = DEFAULT_YELLOW_DAYS) -> str | None:
    """The deadline light of one problem."""
    if problem.status in GREY:
        return Light.GREY
    if problem.status in ASSIGNED and problem.deadline is not None:
        if problem.deadline < today:
            return Light.RED
        return Light.YELLOW if problem.deadline <= yellow_horizon(today, yellow_days) else Light.GREEN
    return None


def light_condition(value: str, today: date, yellow_days: int = DEFAULT_YELLOW_DAYS):
    """The SQL condition for problems showing light `value`."""
    if value == Light.GREY:
        return Problem.status.in_(GREY)
    running = and_(Problem.status.in_(ASSIGNED), Problem.deadline.is_not(None))
    if value == Light.RED:
        return and_(running, Problem.deadline < today)
    horizon = yellow_horizon(today, yellow_days)
    if value == Light.YELLOW:
        return and_(running, Problem.deadline >= today, Problem.deadline <= horizon)
    return and_(running, Problem.deadline > horizon)


def urgency_order() -> list:
    """Most urgent first: red (longest overdue first), yellow, green, then unassigned, then finished; newest first
    among equals. Red, yellow and green follow the deadline, so the order needs no date (Problem.urgency)."""
    return [Urgency(), Problem.deadline, Problem.id.desc()]


# --- supervision listings (督办) ---

def overdue(today: date):
    return light_condition(Light.RED, today)


def due_within(today: date, days: int):
    """Running problems with at most `days` working days left (即将到期)."""
    return and_(Problem.status.in_(ASSIGNED), Problem.deadline >= today,
                Problem.deadline <= yellow_horizon(today, days))


def flagged():
    return and_(Problem.flagged == True, not_(Problem.status.in_(CLOSED)))  # noqa: E712 (as ix_problem_flagged_open)


def escalated():
    return and_(Problem.escalation_level != Escalation.LOCAL, not_(Problem.status.in_(CLOSED)))


def stale(now: datetime, days: int = DEFAULT_STALE_DAYS):
    """Assigned problems with no recorded progress for `days` working days."""
    cutoff = workdays_back(now, days)
    return and_(Problem.status.in_(ASSIGNED), or_(Problem.last_progress_at.is_(None), Problem.last_progress_at < cutoff))


# --- rates ---

@dataclass
class Figures:
    """Counts and rates of one group of problems (a unit, a working group, or all)."""

    total: int = 0
    pending: int = 0
    assigned: int = 0  # 已交办 and later
    finished: int = 0
    on_time: int = 0
    overdue: int = 0
    rated: int = 0
    satisfied: int = 0

    @staticmethod
    def ratio(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def finish_rate(self) -> float | None:
        return self.ratio(self.finished, self.assigned)

    @property
    def on_time_rate(self) -> float | None:
        return self.ratio(self.on_time, self.finished)

    @property
    def satisfaction_rate(self) -> float | None:
        return self.ratio(self.satisfied, self.rated)


def not_merged():
    """Problems that count as problems: one merged into another (已合并) is counted once, as the one it was merged into
    (the figures, the 周调度 and 旬通报, the statistics' counts)."""
    return Problem.status != Status.MERGED


def figure_columns(today: date):
    """Aggregate columns that fill a Figures."""
    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    finished = Problem.status.in_(FINISHED)
    return [
        count(not_merged()),
        count(Problem.status == Status.UNASSIGNED),
        count(Problem.status.in_(HANDLED)),
        count(finished),
        count(and_(finished, Problem.resolved_on.is_not(None), Problem.deadline.is_not(None), Problem.resolved_on <= Problem.deadline)),
        count(overdue(today)),
        count(and_(Problem.status == Status.CLOSED, Problem.satisfaction.is_not(None))),
        count(and_(Problem.status == Status.CLOSED, Problem.satisfaction.in_(satisfied_values(Problem.campaign_id)))),
    ]


def figures(scope, today: date) -> Figures:
    """Figures of all problems matching `scope` (a SQL condition, or None for all)."""
    query = select(*figure_columns(today))
    if scope is not None:
        query = query.where(scope)
    return Figures(*[int(v) for v in db.session.execute(query).one()])


@dataclass
class Ranked:
    unit: Unit
    figures: Figures
    rank: int | None = None  # None: too few problems to be ranked
    board: str = ""  # 红榜 / 黑榜 / 样本不足 / ""


def unit_ranking(scope, today: date, board_size: int = 3,
                 min_problems: int = DEFAULT_RANKING_MIN_PROBLEMS) -> list[Ranked]:
    """Responsible units (主办) ranked by 办结率, then 按期办结率, then fewest overdue (红黑榜).

    Only units with at least `min_problems` assigned problems (已交办 and later) are ranked: one problem finished
    in time is no record to head the list with. The others follow the ranked units, most problems first, with no
    rank and the board 样本不足. The best `board_size` ranked units make the 红榜 and the last `board_size` the
    黑榜; with fewer than twice that many, each list takes half of them, so that no unit is on both.
    """
    query = select(Problem.responsible_unit_id, *figure_columns(today)).where(Problem.responsible_unit_id.is_not(None))
    if scope is not None:
        query = query.where(scope)
    rows = db.session.execute(query.group_by(Problem.responsible_unit_id)).all()
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_([r[0] for r in rows])))}
    every = [Ranked(units[r[0]], Figures(*[int(v) for v in r[1:]])) for r in rows]
    ranked = sorted((r for r in every if r.figures.assigned >= min_problems),
                    key=lambda r: (-(r.figures.finish_rate or 0), -(r.figures.on_time_rate or 0), r.figures.overdue, r.unit.name))
    too_few = sorted((r for r in every if r.figures.assigned < min_problems), key=lambda r: (-r.figures.assigned, r.unit.name))
    for number, item in enumerate(ranked, start=1):
        item.rank = number
    rated = [r for r in ranked if r.figures.assigned]
    size = min(board_size, len(rated) // 2)
    for item in rated[:size]:
        item.board = Board.RED
    for item in rated[len(rated) - size:] if size else []:
        item.board = Board.BLACK
    for item in too_few:
        item.board = Board.TOO_FEW
    return ranked + too_few


# --- visits during the 集中上门 phase ---

@dataclass
class Compliance:
    group: Body
    enterprise: object
    visits: int
    required: int

    @property
    def met(self) -> bool:
        return self.visits >= self.required


def visit_phase_conditions(campaign_id: int) -> tuple:
    """What makes a task the phase whose target is a number of visits per linked enterprise (五(二) 集中上门: 不少于3次)."""
    return (Task.campaign_id == campaign_id, Task.section == TaskSection.STEPS, Task.target_unit == VISIT_TARGET_UNIT,
            Task.target_value.is_not(None), Task.start_on.is_not(None), Task.due_on.is_not(None))


def visit_phase(campaign_id: int) -> Task | None:
    """The campaign's visiting phase (集中上门), if it has one."""
    return db.session.scalar(select(Task).where(*visit_phase_conditions(campaign_id)).order_by(Task.id).limit(1))


def visit_compliance(campaign_id: int, link_scope=None) -> tuple[Task | None, list[Compliance]]:
    """Each working group's visits to each linked enterprise during the visiting phase, against the target."""
    phase = visit_phase(campaign_id)
    if phase is None:
        return None, []
    counted = (
        select(func.count(Visit.id))
        .where(Visit.body_id == EnterpriseGroup.body_id, Visit.enterprise_id == EnterpriseGroup.enterprise_id,
               Visit.visited_on >= phase.start_on, Visit.visited_on <= phase.due_on)
        .correlate(EnterpriseGroup)
        .scalar_subquery()
    )
    query = select(EnterpriseGroup, counted).join(Body, EnterpriseGroup.body_id == Body.id).where(Body.campaign_id == campaign_id)
    if link_scope is not None:
        query = query.where(link_scope)
    rows = db.session.execute(query.order_by(EnterpriseGroup.body_id, EnterpriseGroup.enterprise_id)).all()
    required = int(phase.target_value)
    return phase, [Compliance(link.body, link.enterprise, int(n), required) for link, n in rows]


# --- 周调度 / 旬通报 submissions ---

@dataclass
class Submission:
    task: Task
    period: Period
    body: Body
    report: Report | None

    @property
    def state(self) -> str:
        return "已报送" if self.report else "逾期未报送" if self.period.due < self.today else "未报送（未到期）"

    today: date = date.min


def submissions(campaign_id: int, day: date, body_scope=None, today: date | None = None) -> list[Submission]:
    """For each reporting task with named submitters: the period containing `day`, and whether each body has
    reported (late once the period's due date is before `today`, which defaults to `day`)."""
    today = today or day
    tasks = db.session.scalars(
        select(Task).where(Task.campaign_id == campaign_id, Task.report_kind.is_not(None), Task.recurrence.is_not(None))
        .order_by(Task.id)
    ).all()
    result = []
    for task in tasks:
        bodies = [b for b in task.submitters if body_scope is None or body_scope(b)]
        if not bodies:
            continue
        period = period_for(task.report_kind, day, task.recurrence_day)
        reports = {
            r.body_id: r for r in db.session.scalars(
                select(Report).where(Report.campaign_id == campaign_id, Report.kind == task.report_kind,
                                     Report.period_start == period.start, Report.body_id.in_([b.id for b in bodies]))
            )
        }
        result += [Submission(task, period, body, reports.get(body.id), today) for body in bodies]
    return result
