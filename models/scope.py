"""Row scope: which rows of each table a user may see, and which of those they may change.

One rule for every way in: the panel's views, lists, dropdowns and lookups, the importers, the exporters, the
supervision tables and the bench all narrow their queries with these functions. (What each role may do with each
screen is admin.access's role × view × operation table; which workflow steps a user may take, models.workflow.)
"""
from __future__ import annotations

from sqlalchemy import and_, case, false, func, or_, select, true

from .base import campaign_of
from .calendar import CalendarDay, CalendarYear
from .reminders import Delivery, Reminder
from .enterprise import Enterprise, EnterpriseGroup, Event, Visit
from .portal import Appeal, AppealFile, PortalChallenge, PortalHit
from .org import Body, BodyTown, BodyUnit, Campaign, Post, SourceDocument
from .problem import Problem, ProblemUpdate, Report, problem_co_unit
from .task import PolicyDocument, PolicyPush
from .user import AuditLog, LoginAttempt, User, UserSession
from .vocab import BodyKind, Status

def in_campaign(model, campaign_id: int | None):
    """Rows of `model` that belong to campaign `campaign_id`, directly or through the row they hang on."""
    if campaign_id is None:
        return false()
    if model is Campaign:
        return Campaign.id == campaign_id
    if model is SourceDocument:
        return SourceDocument.id.in_(select(Campaign.document_id).where(Campaign.id == campaign_id))
    if model in (BodyUnit, Post, BodyTown):
        return model.body_id.in_(select(Body.id).where(Body.campaign_id == campaign_id))
    if model is EnterpriseGroup:
        return EnterpriseGroup.enterprise_id.in_(select(Enterprise.id).where(Enterprise.campaign_id == campaign_id))
    if model is PolicyPush:
        return PolicyPush.policy_id.in_(select(PolicyDocument.id).where(PolicyDocument.campaign_id == campaign_id))
    if model is ProblemUpdate:
        return ProblemUpdate.problem_id.in_(select(Problem.id).where(Problem.campaign_id == campaign_id))
    if model in (LoginAttempt, UserSession, PortalHit, PortalChallenge):
        return false()
    if model is AppealFile:
        return AppealFile.appeal_id.in_(select(Appeal.id).where(Appeal.campaign_id == campaign_id))
    if model in (CalendarDay, CalendarYear):  # one calendar for the whole country: every campaign's
        return true()
    if model is Reminder:
        return Reminder.problem_id.in_(select(Problem.id).where(Problem.campaign_id == campaign_id))
    if model is Delivery:
        return Delivery.update_id.in_(select(ProblemUpdate.id).join(Problem, Problem.id == ProblemUpdate.problem_id)
                                      .where(Problem.campaign_id == campaign_id))
    return model.campaign_id == campaign_id


def group_filters(model, user):
    """What a working-group member sees beyond the campaign's shared reference data; None for shared tables.
    (Each table's condition is built only when asked for: building SQL is not free and a page asks often.)"""
    group = user.body_id

    def linked():
        return select(EnterpriseGroup.enterprise_id).where(EnterpriseGroup.body_id == group)

    def bodies():
        return select(Body.id).where(Body.campaign_id == user.campaign_id, or_(Body.kind != BodyKind.WORKING_GROUP, Body.id == group))

    def own_problems():
        return or_(*group_problems(user))

    def enterprises():
        return or_(Enterprise.id.in_(linked()),
                   Enterprise.id.in_(select(Problem.enterprise_id).where(Problem.collected_by_body_id == group)))

    rule = {
        Body: lambda: Body.id.in_(bodies()),
        BodyUnit: lambda: BodyUnit.body_id.in_(bodies()),
        Post: lambda: Post.body_id.in_(bodies()),
        BodyTown: lambda: BodyTown.body_id.in_(bodies()),
        Enterprise: enterprises,
        EnterpriseGroup: lambda: EnterpriseGroup.body_id == group,
        Visit: lambda: Visit.body_id == group,
        Event: lambda: or_(Event.organiser_id.is_(None), Event.organiser_id.in_(bodies())),
        Problem: own_problems,
        ProblemUpdate: lambda: ProblemUpdate.problem_id.in_(
            select(Problem.id).where(Problem.campaign_id == user.campaign_id, own_problems())),
        Report: lambda: Report.body_id == group,
        Appeal: lambda: or_(Appeal.body_id == group, Appeal.enterprise_id.in_(linked())),  # its card's, its firms'
        AppealFile: false,
        PolicyPush: lambda: PolicyPush.enterprise_id.in_(select(Enterprise.id).where(enterprises())),
        AuditLog: false,
        User: false,
    }.get(model)
    return rule() if rule is not None else None


def group_problems(user):
    """A working group's problems, in two conditions: those it collected, those of its linked enterprises."""
    linked = select(EnterpriseGroup.enterprise_id).where(EnterpriseGroup.body_id == user.body_id)
    return Problem.collected_by_body_id == user.body_id, Problem.enterprise_id.in_(linked)


def unit_problems(user):
    """A responsible unit's problems, in two conditions: those it leads (主办), those it helps with (协办)."""
    co = select(problem_co_unit.c.problem_id).where(problem_co_unit.c.unit_id == user.unit_id)
    return Problem.responsible_unit_id == user.unit_id, Problem.id.in_(co)


def handler_own(user):
    """The problems a responsible unit handles, as 主办 or 协办 (within its campaign, which the caller adds)."""
    return or_(*unit_problems(user))


def count_parts(model, user) -> list | None:
    """What `user` may see of `model` as disjoint conditions that add up to it, when it is an "or" of two indexed
    conditions: a count of the "or" reads every row either finds, a count of each part reads its own index only
    (SQLite and PostgreSQL alike). None when the scope is one condition. The same rule as read_filter, split."""
    if model is not Problem or user is None or user.role not in ("group", "handler"):
        return None
    first, second = group_problems(user) if user.role == "group" else unit_problems(user)
    column, value = ((Problem.collected_by_body_id, user.body_id) if user.role == "group"
                     else (Problem.responsible_unit_id, user.unit_id))
    campaign = in_campaign(Problem, user.campaign_id)
    return [and_(campaign, first), and_(campaign, or_(column.is_(None), column != value), second)]


def own_campaign_count(model, user):
    """A count (a scalar SQL expression) of the rows of `model` that `user` may read, when that is one campaign's
    problems (a coordinator's or leader's, as read_filter has it); None for any other scope.

    SQLite counts a whole table from its pages without reading a row, but a campaign's rows entry by entry from an
    index. When the campaign holds most of the table (by the problem numbers each campaign has issued), its count is
    the table's count less the other campaigns' (an index range on each side); otherwise its own index range. The
    statement reads only the side it takes."""
    if model is not Problem or user is None or user.role not in ("coordinator", "leader") or user.campaign_id is None:
        return None
    campaign = user.campaign_id

    def counted(*conditions):
        return select(func.count()).select_from(Problem).where(*conditions).scalar_subquery()

    most = (select(2 * Campaign.last_problem_seq).where(Campaign.id == campaign).scalar_subquery()
            >= select(func.sum(Campaign.last_problem_seq)).scalar_subquery())
    return case((most, counted() - counted(Problem.campaign_id < campaign) - counted(Problem.campaign_id > campaign)),
                else_=counted(in_campaign(Problem, campaign)))


def handler_problems(user):
    """Ids of the problems a responsible unit handles."""
    return select(Problem.id).where(Problem.campaign_id == user.campaign_id, handler_own(user))


def handler_filters(model, user):
    """What a responsible unit sees beyond the campaign's shared reference data; None for shared tables."""
    rule = {
        Problem: lambda: handler_own(user),
        ProblemUpdate: lambda: ProblemUpdate.problem_id.in_(handler_problems(user)),
        Enterprise: lambda: Enterprise.id.in_(select(Problem.enterprise_id).where(Problem.id.in_(handler_problems(user)))),
        Visit: false,
        Appeal: false,
        AppealFile: false,
        EnterpriseGroup: false,
        BodyTown: false,
        Report: false,
        PolicyPush: false,
        AuditLog: false,
        User: false,
    }.get(model)
    return rule() if rule is not None else None


def read_filter(model, user):
    """A condition on `model`'s rows that `user` may see; None means all rows."""
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    if user.role == "admin":
        return None
    campaign = in_campaign(model, user.campaign_id)
    if user.role in ("coordinator", "leader"):
        return false() if model is User else campaign
    extra = group_filters(model, user) if user.role == "group" else handler_filters(model, user) if user.role == "handler" else false()
    return campaign if extra is None else and_(campaign, extra)


def campaigns_of(user) -> list | None:
    """The campaigns `user` may see, where the account names them: every role but the system administrator sees the
    campaign of its account (read_filter on Campaign), loaded with the login (models.user.logged_in_user), so no
    query is needed; None for the system administrator, who sees every campaign."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    if user.role == "admin":
        return None
    return [user.campaign] if user.campaign is not None else []


def write_narrowing(model, user):
    """What narrows the rows of `model` that `user` may see down to those they may change; None when they may
    change every row they see."""
    if user.role in ("admin", "coordinator"):
        return None
    if user.role in ("leader", "handler"):  # which steps a unit may take on its problems, models.workflow decides
        return None if model in (Problem, ProblemUpdate) else false()
    if user.role == "group":
        rule = {
            Visit: lambda: Visit.body_id == user.body_id,
            Report: lambda: Report.body_id == user.body_id,
            Appeal: true,  # a group decides on every 诉求 it sees (models.intake.queue_refusal)
            Problem: lambda: and_(Problem.collected_by_body_id == user.body_id, Problem.status.in_(GROUP_CHANGES)),
        }.get(model, false)
        return rule()
    return false()


# A working group changes only the problems it collected, and only while they wait to be assigned. The rule is said
# twice, side by side: as SQL for queries (write_narrowing) and in Python for a row in memory (change_refusal).
GROUP_CHANGES = (Status.UNASSIGNED,)


def change_refusal(problem: Problem, user, what: str = "修改") -> str | None:
    """Why `user` may not change `problem` (a row in memory: a new one, or one a step or an import is about to
    change), in Chinese; None when they may. The same rule as write_filter's for problems."""
    name = f"问题{problem.number}" if problem.number else "该问题"
    if user.role == "group":
        collected = problem.collected_by_body_id
        if collected is None and problem.collected_by_body is not None:
            collected = problem.collected_by_body.id
        if collected != user.body_id:
            return f"{name}不是本工作组收集的，不在您的权限范围内（工作组只能录入和修改本组收集、尚未交办的问题）。"
        if (problem.status or Status.UNASSIGNED) not in GROUP_CHANGES:
            return f"{name}已交办，工作组不能再{what}；请联系推进办。"
    elif user.role == "coordinator" and campaign_of(problem) != user.campaign_id:
        return f"{name}不属于您的专项行动，不在您的权限范围内。"
    return None


def write_filter(model, user):
    """A condition on `model`'s rows that `user` may change (edit, delete, act on); None means all rows."""
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    readable, narrowing = read_filter(model, user), write_narrowing(model, user)
    if narrowing is None:
        return readable
    return narrowing if readable is None else and_(readable, narrowing)


def scope_query(query, model, user, write: bool = False):
    """`query` on `model` narrowed to the rows `user` may see (or, with `write`, change)."""
    condition = (write_filter if write else read_filter)(model, user)
    return query if condition is None else query.filter(condition)


# Who may do what is not a table's row: each rule said once here, and read by the access table (admin.access), the
# views, the importers and the portal's intake alike.
OFFICE = frozenset({"admin", "coordinator"})  # the 推进办 and the system administrator
PROBLEM_IMPORTERS = OFFICE | {"group"}  # import a 附件2 problem list (a working group, the problems it collected)
FIRM_CREATORS = OFFICE  # import an enterprise list, or have a problem import create an enterprise (as in the panel)
FIRM_ADDERS = OFFICE | {"group"}  # 新增企业 from the problem and visit forms (a group's is linked to the group)
BATCH_OVERSEERS = OFFICE  # see and undo every import batch of their campaigns; the others, the batches they made
APPEAL_DECIDERS = OFFICE | {"group"}  # 受理 / 不予受理 a portal 诉求 within their scope (models.intake.queue_refusal)
PAPER_ISSUERS = OFFICE | {"leader"}  # 生成文书 for problems: the 推进办 issues them, a leader signs 督办 papers
TERM_ADDERS = OFFICE  # add a term to a campaign's vocabulary (in the panel, or for a value an import's file uses)
PROXY_RECORDERS = OFFICE  # 代录: enter a unit's step on its behalf (the steps models.steps marks `proxy`)
CARD_PRINTERS = OFFICE | {"group"}  # print the portal's QR cards: the campaign's and every group's, a group its own


def sees_every_batch(user) -> bool:
    """Whether `user` sees every import batch of the campaigns they see (not only the ones they made)."""
    return user.role in BATCH_OVERSEERS


def may_undo_batch(batch, user) -> bool:
    """Whether `user` is one who may undo `batch` (whether it can still be undone, models.batches.undo_refusal says):
    whoever made it, the 推进办 or the administrator."""
    return user.role in BATCH_OVERSEERS or (batch.created_by_id is not None and batch.created_by_id == user.id)


def prints_campaign_card(user) -> bool:
    """Whether `user` prints the campaign's own QR card (a working group prints its group's card only)."""
    return user.role in CARD_PRINTERS and user.role != "group"


def card_groups(query, user):
    """`query` on Body narrowed to the working groups whose QR cards `user` may print: every group of the campaign for
    the office, its own for a working group, none for anyone else."""
    if user.role not in CARD_PRINTERS:
        return query.where(false())
    return query.where(Body.id == user.body_id) if user.role == "group" else query
