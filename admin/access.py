"""Who may use which screen: the role × view × operation table, and its start-up check.

POLICY is data: for every admin view, the operations each role may perform; PAGES, the roles that may open each
page that is not a table. A view missing from them, or a line for a view that does not exist, stops the app at
start-up, so adding a view forces a decision. Which rows a user may see and change is the model layer's rule
(models.scope); the secure base views apply both.
"""
from __future__ import annotations

from documents import PAPERS
from exports import REPORTS
from imports import IMPORTERS
from models.scope import APPEAL_DECIDERS, CARD_PRINTERS, PROXY_RECORDERS
from models.vocab import ROLES
from models.steps import PROXIED, STEPS, TAKEN, proxy_action

OPS = ("list", "details", "create", "edit", "delete", "action", "export")
NONE: frozenset[str] = frozenset()
READ = frozenset({"list", "details"})
CRUD = READ | {"create", "edit", "delete", "action"}


def ops(*names: str) -> frozenset[str]:
    return READ | frozenset(names)


ORG = {"admin": CRUD, "coordinator": CRUD, "group": READ, "handler": READ, "leader": READ}

POLICY: dict[str, dict[str, frozenset[str]]] = {
    # the 推进办 edits its own campaign's settings and copies it into a new one (models.scope keeps it to its own)
    "campaign": {"admin": CRUD, "coordinator": ops("edit", "action"), "group": READ, "handler": READ, "leader": READ},
    # 词表: the office's configuration; the others meet the terms in their dropdowns, not as a menu entry
    "term": {"admin": CRUD, "coordinator": CRUD, "group": NONE, "handler": NONE, "leader": NONE},
    # 工作日历: the administrator keeps it; the 推进办 reads it (deadlines count its working days)
    "calendar_day": {"admin": CRUD, "coordinator": READ, "group": NONE, "handler": NONE, "leader": NONE},
    "calendar_year": {"admin": CRUD, "coordinator": READ, "group": NONE, "handler": NONE, "leader": NONE},
    # 自动提醒 and 外发消息 (flask remind): what went out, and whether it arrived; written by the command alone
    "reminder": {"admin": READ, "coordinator": READ, "group": NONE, "handler": NONE, "leader": NONE},
    # 重新发送 (a failed message back to 待发送): the 推进办 and the administrator, who mend the address or setting
    "delivery": {"admin": ops("action"), "coordinator": ops("action"), "group": NONE, "handler": NONE, "leader": NONE},
    # 公文登记: the papers issued and their 文号 (taken by 生成文书 alone)
    "official_document": {"admin": READ, "coordinator": READ, "group": NONE, "handler": NONE, "leader": READ},
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
    # 诉求直报 (the portal's 待受理 queue): the office and the working group decide (受理 / 不予受理) within their scope.
    # Those it names are also the only ones who open the attachments of a 诉求 still in the queue (admin.intake
    # .may_see_file): deciding needs them; a leader or a responsible unit sees them once the 诉求 is a problem of theirs.
    "appeal": {role: ops("action") if role in APPEAL_DECIDERS else NONE for role in ROLES},
    "user": {"admin": CRUD, "coordinator": NONE, "group": NONE, "handler": NONE, "leader": NONE},
    "audit_log": {"admin": READ, "coordinator": READ, "group": NONE, "handler": NONE, "leader": NONE},
    "login_attempt": {"admin": READ, "coordinator": NONE, "group": NONE, "handler": NONE, "leader": NONE},
    # open logins: the system administrator may end one (delete)
    "user_session": {"admin": READ | {"delete"}, "coordinator": NONE, "group": NONE, "handler": NONE, "leader": NONE},
}

# Custom actions of a family of views, with the roles that may use them (on rows within their write scope).
# The ledger's actions are the workflow's steps people take, whose roles models.steps declares.
ACTIONS: dict[str, dict[str, frozenset[str]]] = {
    "problem": {**{name: frozenset(STEPS[name].roles) for name in TAKEN},
                # 代录: the 推进办 enters a unit's step on its behalf (models.workflow.on_behalf)
                **{proxy_action(name): frozenset(PROXY_RECORDERS) for name in PROXIED},
                # 生成文书 (交办通知书, 督办单, 催办单, 销号审批单): whoever may issue one of them (documents.PAPERS)
                "document": frozenset().union(*(paper.roles for paper in PAPERS.values()))},
    "delivery": {"resend": frozenset({"admin", "coordinator"})},
}


# Pages that are not tables, and the roles that may open them.
PAGES: dict[str, frozenset[str]] = {
    "admin": frozenset(ROLES),  # 我的待办 (the panel's index page: each role's desk)
    "stats": frozenset(ROLES),  # 统计: the figures and charts of the problems each user may see
    "account": frozenset(ROLES),  # changing one's own password
    # 督办 tables, computed over the rows each user may see
    "ranking": frozenset(ROLES),
    "visit_compliance": frozenset(ROLES),
    "submissions": frozenset(ROLES),
    # 报表 downloads (within each user's scope) and imports: whoever may run one of their kinds (the registries)
    "reports": frozenset().union(*(report.roles for report in REPORTS.values())),
    "imports": frozenset().union(*(importer.roles for importer in IMPORTERS.values())),
    # the portal's QR cards: the office prints the campaign's and every group's, a group its own (models.scope)
    "portal_cards": CARD_PRINTERS,
    # 附件 (admin.attachments): every role; each file only to those who may see its row (models.attachments.may_open)
    "attachment": frozenset(ROLES),
}


# What each role's menu offers: the pages it uses day to day, so that a responsible unit's menu on a phone has five
# entries rather than nine. A page left out stays open to the role by its URL and the links that lead to it (POLICY
# and PAGES decide that): it is only not in the menu. None: every page the role may open.
MENUS: dict[str, frozenset[str] | None] = {
    "admin": None,
    "coordinator": None,
    "group": frozenset({"stats", "enterprise", "enterprise_group", "visit", "event", "appeal", "problem",
                        "visit_compliance", "submissions", "report", "reports", "imports", "portal_cards"}),
    "handler": frozenset({"stats", "problem", "overdue", "due_soon", "flagged", "stale", "reports"}),
    "leader": frozenset({"stats", "problem", "overdue", "due_soon", "flagged", "escalated", "stale", "ranking",
                         "visit_compliance", "submissions", "reports"}),
}


def in_menu(role: str | None, view: str) -> bool:
    """Whether `role`'s menu lists `view` (MENUS; whether the role may open it is `allows` and PAGES)."""
    shown = MENUS.get(role or "")
    return shown is None or view in shown


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
    unknown = set().union(*(shown for shown in MENUS.values() if shown)) - view_endpoints - page_endpoints
    if set(MENUS) != set(ROLES) or unknown:
        raise RuntimeError(f"菜单表与视图不一致：角色 {sorted(set(MENUS) ^ set(ROLES))}，不存在的视图 {sorted(unknown)}")
    for view, roles in POLICY.items():
        if set(roles) != set(ROLES):
            raise RuntimeError(f"权限表中视图 {view} 未对全部角色作出规定：{sorted(set(ROLES) ^ set(roles))}")
        for granted in roles.values():
            if not granted <= set(OPS):
                raise RuntimeError(f"权限表中视图 {view} 含未知操作：{sorted(granted - set(OPS))}")


