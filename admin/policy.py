"""Who may do what: the one place that decides access.

POLICY is data: for every admin view, the operations each role may perform. A view missing from it, or a
policy for a view that does not exist, stops the app at start-up, so adding a view forces a decision.
`read_filter` and `write_filter` say which rows of a table a user may see and change; the secure base view
applies them to lists, counts, details, edits, deletes, actions, dropdowns and lookups alike.
"""
from __future__ import annotations

from sqlalchemy import and_, false, or_, select

from models import (
    AuditLog,
    Body,
    BodyTown,
    BodyUnit,
    Campaign,
    Enterprise,
    EnterpriseGroup,
    Event,
    LoginAttempt,
    PolicyPush,
    Post,
    Problem,
    ProblemUpdate,
    Report,
    SourceDocument,
    User,
    UserSession,
    Visit,
    problem_co_unit,
)
from models import Policy as PolicyDoc
from models.vocab import ROLES
from models.workflow import STEPS

OPS = ("list", "details", "create", "edit", "delete", "action", "export")
NONE: frozenset[str] = frozenset()
READ = frozenset({"list", "details"})
CRUD = READ | {"create", "edit", "delete", "action"}


def ops(*names: str) -> frozenset[str]:
    return READ | frozenset(names)


ORG = {"admin": CRUD, "coordinator": CRUD, "group": READ, "handler": READ, "leader": READ}

POLICY: dict[str, dict[str, frozenset[str]]] = {
    "campaign": {"admin": CRUD, "coordinator": READ, "group": READ, "handler": READ, "leader": READ},
    "source_document": {"admin": READ, "coordinator": READ, "group": READ, "handler": READ, "leader": READ},
    "stated_figure": ORG,
    "unit": ORG,
    "person": ORG,
    "body": ORG,
    "body_unit": ORG,
    "post": ORG,
    "body_town": {**ORG, "handler": NONE},
    "task": ORG,
    "policy": ORG,
    "policy_push": {**ORG, "handler": NONE},
    "enterprise": ORG,
    "enterprise_group": {**ORG, "handler": NONE},
    "visit": {**ORG, "group": CRUD, "handler": NONE},
    "event": ORG,
    "problem": {  # export: 附件2 of the rows each user sees
        "admin": CRUD | {"export"},  # only the admin may hard-delete a problem; everyone else withdraws it (已撤销)
        "coordinator": ops("create", "edit", "action", "export"),
        "group": ops("create", "edit", "action", "export"),
        "handler": ops("action", "export"),  # the responsible unit's steps: 签收, 进展, 申请办结, 退回, 申请延期
        "leader": ops("action", "export"),
    },
    # 督办 listings: the ledger narrowed; read and export them, and take the workflow's steps from them
    **{listing: {role: ops("action", "export") for role in ROLES}
       for listing in ("overdue", "due_soon", "flagged", "escalated", "stale")},
    # the timeline: written only by the workflow's steps (a note here is one: 报告进展 or 领导批示), never edited
    "problem_update": {
        "admin": ops("create"),
        "coordinator": READ,
        "group": READ,
        "handler": ops("create"),
        "leader": ops("create"),
    },
    "report": {**ORG, "group": ops("create", "edit"), "handler": NONE},
    "user": {"admin": CRUD, "coordinator": NONE, "group": NONE, "handler": NONE, "leader": NONE},
    "audit_log": {"admin": READ, "coordinator": READ, "group": NONE, "handler": NONE, "leader": NONE},
    "login_attempt": {"admin": READ, "coordinator": NONE, "group": NONE, "handler": NONE, "leader": NONE},
    # open logins: the system administrator may end one (delete)
    "user_session": {"admin": READ | {"delete"}, "coordinator": NONE, "group": NONE, "handler": NONE, "leader": NONE},
}

# Custom actions of a family of views, with the roles that may use them (on rows within their write scope).
# The ledger's actions are the workflow's steps, whose roles models.workflow declares.
ACTIONS: dict[str, dict[str, frozenset[str]]] = {
    "problem": {name: frozenset(step.roles) for name, step in STEPS.items()},
}


# Pages that are not tables, and the roles that may open them.
PAGES: dict[str, frozenset[str]] = {
    "account": frozenset(ROLES),  # changing one's own password
    # 督办 tables, computed over the rows each user may see
    "ranking": frozenset(ROLES),
    "visit_compliance": frozenset(ROLES),
    "submissions": frozenset(ROLES),
    # 报表 downloads (within each user's scope) and imports (the office; working groups import their own problems)
    "reports": frozenset(ROLES),
    "imports": frozenset({"admin", "coordinator", "group"}),
}


def allows(role: str | None, view: str, op: str) -> bool:
    """Whether `role` may perform `op` on `view`."""
    return op in POLICY.get(view, {}).get(role or "", NONE)


def allows_action(role: str | None, view: str, action: str, family: str | None = None) -> bool:
    """Whether `role` may run custom action `action` of `view` (the built-in delete follows the delete operation)."""
    if action == "delete":
        return allows(role, view, "delete")
    return allows(role, view, "action") and role in ACTIONS.get(family or view, {}).get(action, NONE)


def check_complete(view_endpoints: set[str], page_endpoints: set[str]) -> None:
    """Refuse to start unless every view has a policy line for every role, and every line has a view."""
    missing = (view_endpoints - set(POLICY)) | (page_endpoints - set(PAGES))
    extra = (set(POLICY) - view_endpoints) | (set(PAGES) - page_endpoints)
    if missing or extra:
        raise RuntimeError(f"权限表与视图不一致：缺少 {sorted(missing)}，多余 {sorted(extra)}")
    for view, roles in POLICY.items():
        if set(roles) != set(ROLES):
            raise RuntimeError(f"权限表中视图 {view} 未对全部角色作出规定：{sorted(set(ROLES) ^ set(roles))}")
        for granted in roles.values():
            if not granted <= set(OPS):
                raise RuntimeError(f"权限表中视图 {view} 含未知操作：{sorted(granted - set(OPS))}")


# --- rows ---------------------------------------------------------------------------------------------

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
        return PolicyPush.policy_id.in_(select(PolicyDoc.id).where(PolicyDoc.campaign_id == campaign_id))
    if model is ProblemUpdate:
        return ProblemUpdate.problem_id.in_(select(Problem.id).where(Problem.campaign_id == campaign_id))
    if model in (LoginAttempt, UserSession):
        return false()
    return model.campaign_id == campaign_id


def group_filters(model, user):
    """What a working-group member sees beyond the campaign's shared reference data; None for shared tables.
    (Each table's condition is built only when asked for: building SQL is not free and a page asks often.)"""
    group = user.body_id

    def linked():
        return select(EnterpriseGroup.enterprise_id).where(EnterpriseGroup.body_id == group)

    def bodies():
        return select(Body.id).where(Body.campaign_id == user.campaign_id, or_(Body.kind != "工作组", Body.id == group))

    def own_problems():
        return or_(Problem.collected_by_body_id == group, Problem.enterprise_id.in_(linked()))

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
        PolicyPush: lambda: PolicyPush.enterprise_id.in_(select(Enterprise.id).where(enterprises())),
        AuditLog: false,
        User: false,
    }.get(model)
    return rule() if rule is not None else None


def handler_own(user):
    """The problems a responsible unit handles, as 主办 or 协办 (within its campaign, which the caller adds)."""
    co = select(problem_co_unit.c.problem_id).where(problem_co_unit.c.unit_id == user.unit_id)
    return or_(Problem.responsible_unit_id == user.unit_id, Problem.id.in_(co))


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
            Problem: lambda: and_(Problem.collected_by_body_id == user.body_id, Problem.status == "待交办"),
        }.get(model, false)
        return rule()
    return false()


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
