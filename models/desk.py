"""我的待办: each role's daily work, as lines of the ledger narrowed by one condition, with their counts.

A desk line is a saved ledger filter plus a count (DESIGN.md): its condition is a SQL condition on problems, applied
on top of the user's row scope (models.scope), so the desk's count and the ledger it opens (?todo=KEY) always agree.
A few lines count something else (a working group's visits below target, its reports due) and open their own page.
All of a desk's counts come from one SELECT of scalar subqueries, each answered from an index.

Which lines a role has, in the order of its desk, is DESKS; the conditions are plain functions of the user and the day.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, exists, func, literal, not_, or_, select, union, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from .base import db, local_now
from .enterprise import EnterpriseGroup, Visit
from .messages import Message, side_of
from .ledger import ASSIGNED, CLOSED, Light, escalated, flagged, light_condition, visit_phase_conditions
from .periods import period_for
from .portal import Appeal, AppealStatus, Revisit
from . import reminders
from .problem import Problem, ProblemRead, ProblemUpdate, Report
from .scope import count_parts, in_campaign, read_filter
from .task import Task, task_body
from .user import User
from .vocab import Status
from .steps import StepName

ITEMS_PER_LINE = 5  # problems listed under a line of the desk, most urgent first, each with its step button
NOTICES_LISTED = 10  # the unread notices a unit's desk shows with their words, newest first
OVERDUE_LISTED = 10  # the most overdue problems the office's desk lists (the ledger has them all)

# What happens on a unit's problem that the unit must read: a leader's 批示, 催办, 挂牌督办, the office sending a result
# back, its decision on a 延期 request, the automatic ladder's lines (flask remind), an enterprise's 不满意.
NOTICES = reminders.NOTICES
RAISED = (StepName.FLAG, StepName.ESCALATE)  # what calls for a leader's 批示
EPOCH = datetime(1900, 1, 1)


@dataclass(frozen=True)
class Clock:
    """The day a desk is counted on, and the campaign's windows."""

    today: date
    yellow_days: int
    now: datetime | None = None
    campaign_id: int | None = None  # the campaign of a desk that could see several (the system administrator's)


@dataclass(frozen=True)
class Line:
    """One line of a desk: what it counts, what it says, and the step its problems usually want next."""

    key: str
    label: str
    hint: str
    tone: str  # how urgent it reads: danger, warning, primary, info, secondary
    condition: Callable | None = None  # (user, clock) -> a SQL condition on Problem; None for a line of another page
    step: str | None = None  # the step its problems usually want next
    bulk: bool = False  # the step can be taken on several of them at once, from the desk
    counter: Callable | None = None  # (user, clock) -> a scalar subquery, for a line that is not of problems
    page: str | None = None  # the endpoint such a line opens
    order: tuple = ("deadline", "id")  # the order of its first problems on the desk (items)
    page_args: tuple[tuple[str, str], ...] = ()  # the arguments of its own page (a filter of that list)
    quiet: bool = False  # shown only when it counts something (a fault to mend rather than daily work)
    listed: int = ITEMS_PER_LINE  # how many of its problems the desk lists
    words: tuple[str, ...] = ()  # the steps whose latest timeline line each listed problem shows (the request's reason…)


# --- conditions (each on top of the user's row scope) ---

def unassigned(user, clock):
    return Problem.status == Status.UNASSIGNED


def to_accept(user, clock):
    return and_(Problem.status == Status.ASSIGNED, Problem.responsible_unit_id == user.unit_id)


def in_hand(user, clock):
    """The unit's problems it signed for (办理中) as 主办: what it works on, until it asks for 办结."""
    return and_(Problem.status == Status.HANDLING, Problem.responsible_unit_id == user.unit_id)


def yellow(user, clock):
    return light_condition(Light.YELLOW, clock.today, clock.yellow_days)


def red(user, clock):
    return light_condition(Light.RED, clock.today, clock.yellow_days)


def extension_pending(user, clock):
    return and_(Problem.extension_requested_until.is_not(None), Problem.status.in_(ASSIGNED))


def to_close(user, clock):
    return and_(Problem.status == Status.RESOLVED, not_(revisit_due(user, clock)))  # 回访 first (models.workflow)


def unread_notices(user, clock):
    """Problems of the unit with a 批示, 催办, 挂牌督办, 重新办理, 延期 decision or 不满意 the user has not seen since
    (opened the problem). Found from the notices (few, by ix_problem_update_step) rather than by looking at each of the
    unit's problems."""
    return Problem.id.in_(select(ProblemUpdate.problem_id).where(unread(user)))


def unread(user):
    """A SQL condition on ProblemUpdate: a notice (reminders.unit_notice) the user has not seen, by someone else."""
    seen = (select(ProblemRead.read_at).where(ProblemRead.user_id == user.id,
                                              ProblemRead.problem_id == ProblemUpdate.problem_id)
            .correlate(ProblemUpdate).scalar_subquery())
    return and_(reminders.unit_notice(ProblemUpdate), ProblemUpdate.created_at > func.coalesce(seen, EPOCH),
                or_(ProblemUpdate.author_id.is_(None), ProblemUpdate.author_id != user.id))


def unread_messages(user, clock):
    """Problems with a 留言 from another side (models.messages) that the user has not seen since (opened the problem)."""
    seen = (select(ProblemRead.read_at).where(ProblemRead.user_id == user.id, ProblemRead.problem_id == Message.problem_id)
            .correlate(Message).scalar_subquery())
    return Problem.id.in_(select(Message.problem_id).where(
        Message.side != (side_of(user) or ""), Message.created_at > func.coalesce(seen, EPOCH)))


MESSAGES = Line("messages", "新留言", "推进办、责任单位、工作组在问题上给您的留言（问一下、补充材料），您还没有看过的", "info",
                unread_messages)


def collected_pending(user, clock):
    return and_(Problem.status == Status.UNASSIGNED, Problem.collected_by_body_id == user.body_id)


def returned(user, clock):
    """The group's problems a unit sent back (退回), waiting to be assigned again."""
    return and_(collected_pending(user, clock),
                exists().where(ProblemUpdate.problem_id == Problem.id, ProblemUpdate.step == StepName.RETURN))


def is_flagged(user, clock):
    return flagged()


def is_escalated(user, clock):
    return escalated()


def awaiting_comment(user, clock):
    """挂牌督办 or 上报 problems still open with no 领导批示 since they were last flagged or escalated: no 批示 that no
    挂牌督办 or 上报 followed. (Asked this way round, a problem never commented on costs one look at the index.)"""
    comment, raised = aliased(ProblemUpdate), aliased(ProblemUpdate)
    raised_after = exists().where(raised.problem_id == comment.problem_id, raised.step.in_(RAISED),
                                  raised.created_at > comment.created_at)
    commented = exists().where(comment.problem_id == Problem.id, comment.step == StepName.COMMENT, not_(raised_after))
    raised_ids = union(select(Problem.id).where(scoped(flagged(), user, clock)),
                       select(Problem.id).where(scoped(escalated(), user, clock)))
    return and_(Problem.id.in_(raised_ids), not_(commented))  # each half from its own partial index


# --- lines that count something else ---

def visits_below_target(user, clock):
    """The group's linked enterprises still below the visit target while the 集中上门 phase runs (0 outside it)."""
    phase = select(Task.id).where(*visit_phase_conditions(user.campaign_id)).order_by(Task.id).limit(1)
    visits = (select(func.count(Visit.id))
              .where(Visit.body_id == user.body_id, Visit.enterprise_id == EnterpriseGroup.enterprise_id,
                     Visit.visited_on >= Task.start_on, Visit.visited_on <= Task.due_on)
              .correlate(EnterpriseGroup, Task).scalar_subquery())
    return (select(func.count(EnterpriseGroup.enterprise_id)).select_from(EnterpriseGroup)
            .join(Task, Task.id == phase.scalar_subquery())
            .where(EnterpriseGroup.body_id == user.body_id, Task.start_on <= clock.today, Task.due_on >= clock.today,
                   visits < Task.target_value)
            .scalar_subquery())


def appeals_waiting(user, clock):
    """The 诉求 enterprises sent through the portal that wait for 受理, within the user's scope (models.scope)."""
    scope = read_filter(Appeal, user)
    query = select(func.count()).select_from(Appeal).where(Appeal.status == AppealStatus.WAITING)
    if clock.campaign_id is not None:
        query = query.where(Appeal.campaign_id == clock.campaign_id)
    return (query if scope is None else query.where(scope)).scalar_subquery()


def revisit_due(user, clock):
    """办结 problems whose enterprise rated the result 不满意 or worse (一事一评) and the office has not visited again."""
    return Problem.id.in_(select(Appeal.problem_id).where(Appeal.revisit == Revisit.PENDING,
                                                          Appeal.problem_id.is_not(None)))  # NOT IN a NULL: nothing


def deliveries_failed(user, clock):
    """The messages of the outbox (e-mail, group robot) that failed for good, within the user's scope: someone must
    mend the address or the setting and send them again (重新发送)."""
    query = select(func.count()).select_from(reminders.Delivery).where(reminders.Delivery.status == reminders.FAILED)
    scope = read_filter(reminders.Delivery, user)
    if clock.campaign_id is not None:
        query = query.where(in_campaign(reminders.Delivery, clock.campaign_id))
    return (query if scope is None else query.where(scope)).scalar_subquery()


APPEALS = Line("appeals", "待受理诉求", "企业通过服务平台（扫码）反映、等待受理的诉求", "primary", counter=appeals_waiting,
               page="appeal.index_view")

ROLE_LINES: dict[str, tuple[Line, ...]] = {
    "handler": (
        Line("to_accept", "待签收", "已交办给本单位、尚未签收的问题", "primary", to_accept, StepName.ACCEPT, bulk=True),
        Line("in_hand", "办理中", "本单位已签收、正在办理的问题：办好后申请办结", "primary", in_hand, StepName.RESOLVE,
             listed=10),
        Line("due_soon", "即将到期", "办理中、离办理时限不超过黄灯天数的问题", "warning", yellow, StepName.PROGRESS),
        Line("overdue", "已逾期", "超过办理时限仍未办结的问题", "danger", red, StepName.PROGRESS),
        Line("notices", "新批示与催办", "领导批示、催办、挂牌督办、重新办理、延期批复、企业不满意等您还没有看过的", "info",
             unread_notices),
        Line("my_extensions", "延期申请待批复", "已申请延期、等待推进办审批", "secondary", extension_pending),
        MESSAGES,
    ),
    "coordinator": (
        APPEALS,
        Line("unassigned", "待交办", "工作组收集、等待交办的问题", "primary", unassigned, StepName.ASSIGN),
        Line("extensions", "延期申请待批", "责任单位申请延期、等待审批", "warning", extension_pending,
             StepName.APPROVE_EXTENSION, words=(StepName.REQUEST_EXTENSION,)),
        Line("to_close", "申请办结待销号", "责任单位已申请办结、等待核实销号", "primary", to_close, StepName.CLOSE,
             words=(StepName.RESOLVE,)),
        Line("revisit", "企业不满意待回访", "企业评价办理结果为不满意，须回访后重新办理或说明情况，才能销号", "danger", revisit_due,
             StepName.REVISIT, words=(StepName.RATED,)),
        Line("overdue", "已逾期", "超过办理时限仍未办结的问题，逾期最久的在前", "danger", red, StepName.URGE,
             listed=OVERDUE_LISTED),
        Line("flagged", "挂牌督办", "挂牌督办、尚未办结销号的问题", "warning", is_flagged),
        Line("failed_deliveries", "外发失败", "多次尝试仍未发出的邮件和群消息：查看原因，改正后重新发送", "danger",
             counter=deliveries_failed, page="delivery.index_view", page_args=(("flt0_0", reminders.FAILED),), quiet=True),
        MESSAGES,
    ),
    "group": (
        APPEALS,
        Line("collected", "本组待交办", "本组收集、等待推进办交办的问题（可修改或撤销）", "primary", collected_pending),
        Line("returned", "被退回", "责任单位退回、等待重新交办的本组问题", "warning", returned,
             words=(StepName.RETURN,)),  # listed with the unit's reason
        Line("visits", "走访未达标企业", "集中上门阶段内，本组联点企业中走访次数未达标的", "danger",
             counter=visits_below_target, page="visit_compliance.index"),
        Line("reports", "本期待报送", "本周周调度、本旬旬通报中本组尚未报送的", "warning", page="submissions.index"),
        MESSAGES,
    ),
    "leader": (
        Line("flagged", "挂牌督办", "挂牌督办、尚未办结销号的问题", "warning", is_flagged),
        Line("escalated", "已上报", "上报市级、省级，尚未办结销号的问题", "info", is_escalated),
        Line("to_comment", "待批示", "挂牌督办或上报以后还没有领导批示的问题", "danger", awaiting_comment, StepName.COMMENT,
             order=("id",), words=(StepName.FLAG, StepName.ESCALATE)),  # the longest waiting first (read off the list of
        # raised ones in order), each with why it was raised
    ),
}
ROLE_LINES["admin"] = ROLE_LINES["coordinator"]


def lines_for(user) -> tuple[Line, ...]:
    return ROLE_LINES.get(user.role, ())


def line_for(user, key: str | None) -> Line | None:
    """The user's desk line `key` that narrows the ledger, or None."""
    return next((line for line in lines_for(user) if line.key == key and line.condition is not None), None)


def narrowing(line: Line, user, clock: Clock):
    """What the ledger adds to its own scope to list exactly the problems `line` counts."""
    condition = line.condition(user, clock)
    return condition if clock.campaign_id is None else and_(Problem.campaign_id == clock.campaign_id, condition)


def scoped(condition, user, clock: Clock):
    """`condition` within the problems `user` may see (and, for a desk of one campaign, within that campaign)."""
    scope = read_filter(Problem, user)
    if clock.campaign_id is not None:
        own = Problem.campaign_id == clock.campaign_id
        scope = own if scope is None else and_(scope, own)
    return condition if scope is None else and_(scope, condition)


def counted(condition, user, clock: Clock):
    """The number of problems `user` may see that meet `condition`, as a scalar subquery: count(*), which PostgreSQL
    answers from an index, and for a scope of two parts (models.scope.count_parts) the sum of each part's count."""
    parts = count_parts(Problem, user)
    if parts is None or clock.campaign_id is not None:
        return select(func.count()).select_from(Problem).where(scoped(condition, user, clock)).scalar_subquery()
    each = [select(func.count()).select_from(Problem).where(part, condition).scalar_subquery() for part in parts]
    return sum(each[1:], each[0])


def counts(user, clock: Clock) -> dict[str, int]:
    """The count of each line of the user's desk, in one statement."""
    columns = []
    for line in lines_for(user):
        if line.condition is not None:
            columns.append(counted(line.condition(user, clock), user, clock).label(line.key))
        elif line.counter is not None:
            columns.append(line.counter(user, clock).label(line.key))
    if not columns:
        return {}
    row = db.session.execute(select(*columns)).one()
    return {key: int(value or 0) for key, value in row._mapping.items()}


def items(user, clock: Clock) -> dict[str, list[Problem]]:
    """The first problems of each line that has a step, for the desk's buttons, in the line's order (by default the
    nearest deadline first, else the longest waiting: a line's problems share a status, so this is the ledger's urgency
    within it, and the order of the status and scope indexes, read without sorting); two statements."""
    wanted = [line for line in lines_for(user) if line.condition is not None and line.step]
    if not wanted:
        return {}
    parts = [select(literal(line.key).label("line"), Problem.id.label("pid"), literal(n).label("n"))
             .where(scoped(line.condition(user, clock), user, clock))
             .order_by(*(getattr(Problem, name) for name in line.order)).limit(line.listed).subquery()
             for n, line in enumerate(wanted)]
    rows = db.session.execute(union_all(*(select(p.c.line, p.c.pid) for p in parts))).all()
    found = {p.id: p for p in db.session.scalars(
        select(Problem).where(Problem.id.in_({pid for _, pid in rows}))
        .options(joinedload(Problem.enterprise), joinedload(Problem.responsible_unit)))} if rows else {}
    listed: dict[str, list[Problem]] = {line.key: [] for line in wanted}
    for key, pid in rows:
        listed[key].append(found[pid])
    return listed


def authors(line=ProblemUpdate):
    """Load a timeline line's author with what names them (User.shown_name), in the same statement."""
    author = joinedload(line.author)
    return author.joinedload(User.unit), author.joinedload(User.body)


def words(lines: tuple[Line, ...], listed: dict[str, list[Problem]]) -> dict[tuple[str, int], ProblemUpdate]:
    """What the listed problems of lines that show words say: for each (line key, problem id), the latest timeline line
    of one of the line's `words` steps (the unit's reason for a 延期 request or its result, the enterprise's words in
    its rating, why a problem was flagged or escalated), with its author; one statement, none when no line lists any."""
    wanted = {(line.key, p.id): line.words for line in lines if line.words for p in listed.get(line.key, ())}
    if not wanted:
        return {}
    latest: dict[tuple[str, int], ProblemUpdate] = {}
    for row in db.session.scalars(
            select(ProblemUpdate).where(ProblemUpdate.problem_id.in_({pid for _, pid in wanted}),
                                        ProblemUpdate.step.in_(set().union(*wanted.values())))
            .options(*authors()).order_by(ProblemUpdate.created_at, ProblemUpdate.id)):
        for key, steps in wanted.items():
            if key[1] == row.problem_id and row.step in steps:
                latest[key] = row  # the latest wins
    return latest


def told(user, clock: Clock) -> dict[str, list[ProblemUpdate]]:
    """For each line that shows words but has no step to take (a working group's 被退回): the latest of those words on
    each of its first problems, newest first, with the problem and its enterprise; one statement a line."""
    found = {}
    for line in lines_for(user):
        if line.condition is None or line.step or not line.words:
            continue
        said, later = aliased(ProblemUpdate), aliased(ProblemUpdate)  # (the condition may look at the timeline)
        newer = exists().where(later.problem_id == said.problem_id, later.step.in_(line.words), later.id > said.id)
        found[line.key] = list(db.session.scalars(
            select(said).join(Problem, Problem.id == said.problem_id)
            .where(scoped(line.condition(user, clock), user, clock), said.step.in_(line.words), ~newer)
            .options(*authors(said), joinedload(said.problem).joinedload(Problem.enterprise))
            .order_by(said.created_at.desc(), said.id.desc()).limit(line.listed)))
    return found


def notices(user, clock: Clock, limit: int = NOTICES_LISTED) -> list[ProblemUpdate]:
    """The notices (a 批示, 催办, 挂牌督办, 重新办理, 延期 decision, the ladder's reminders, an enterprise's 不满意) on the
    user's problems that they have not seen, newest first, with their problem, author and words: one statement."""
    if not tracks_reading(user):
        return []
    return list(db.session.scalars(
        select(ProblemUpdate).join(Problem, Problem.id == ProblemUpdate.problem_id)
        .where(scoped(unread(user), user, clock))
        .options(*authors(), joinedload(ProblemUpdate.problem).joinedload(Problem.enterprise))
        .order_by(ProblemUpdate.created_at.desc(), ProblemUpdate.id.desc()).limit(limit)))


def reports_due(user, day: date) -> list[tuple[Task, object]]:
    """The 周调度 and 旬通报 the user's working group must send for the period containing `day` and has not: two
    statements (the tasks naming the group, the group's reports of those periods)."""
    if user.role != "group" or user.body_id is None:
        return []
    tasks = db.session.scalars(
        select(Task).join(task_body, task_body.c.task_id == Task.id)
        .where(task_body.c.body_id == user.body_id, Task.report_kind.is_not(None), Task.recurrence.is_not(None))
        .order_by(Task.id)).all()
    periods = [(task, period_for(task.report_kind, day, task.recurrence_day)) for task in tasks]
    if not periods:
        return []
    sent = set(db.session.execute(
        select(Report.kind, Report.period_start).where(
            Report.body_id == user.body_id,
            or_(*(and_(Report.kind == p.kind, Report.period_start == p.start) for _, p in periods)))).all())
    return [(task, period) for task, period in periods if (period.kind, period.start) not in sent]


READING = (unread_notices, unread_messages)  # the lines that count what the user has not read


def reading_lines(user) -> list:
    return [line.condition for line in lines_for(user) if line.condition in READING]


def tracks_reading(user) -> bool:
    """Whether the user's desk counts what they have not read (a responsible unit's 新批示与催办, anyone's 新留言)."""
    return bool(reading_lines(user))


def mark_read(user, problem_id: int) -> bool:
    """Note that `user` has just opened problem `problem_id`, so that what happened on it before is no longer new to
    them; True when that changed something (to commit). Only for a desk that counts unread news, and only when there
    is news: a page that is opened again writes nothing."""
    if not tracks_reading(user):
        return False
    news = select(Problem.id).where(Problem.id == problem_id,
                                    or_(*(condition(user, None) for condition in reading_lines(user)))).exists()
    if not db.session.scalar(select(news)):
        return False
    now = local_now()
    reminders.mark_read(user.unit_id, problem_id, now)
    updated = db.session.execute(
        ProblemRead.__table__.update().where(ProblemRead.user_id == user.id, ProblemRead.problem_id == problem_id)
        .values(read_at=now)).rowcount
    if not updated:
        try:
            with db.session.begin_nested():
                db.session.execute(ProblemRead.__table__.insert().values(user_id=user.id, problem_id=problem_id,
                                                                         read_at=now))
        except IntegrityError:  # another request of the same user got there first: it is read either way
            pass
    return True

