"""The problem workflow (交办 → 办理 → 销号), decided in one place.

待交办 → 已交办 → 办理中 → 已办结 → 已销号, with 退回, 申请延期 / 批准延期 / 驳回延期, 重新办理, 上报
(本级 → 市级 → 省级), 挂牌督办 and 已撤销. Each function checks the role, the data the step needs and the
current status, changes the problem, and records a ProblemUpdate (the audit trail records the row changes).
Views, imports and commands call these functions; which problems a user may touch at all (row scope) is
applied by the caller's scoped query.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .base import db, local_now
from .errors import DomainError
from .problem import Problem, ProblemUpdate
from .vocab import ESCALATION_LEVELS, SATISFACTION_LEVELS

OFFICE = ("admin", "coordinator")
CLOSED = ("已销号", "已撤销")
ASSIGNED = ("已交办", "办理中")
OPEN = ("待交办", *ASSIGNED)


@dataclass(frozen=True)
class Step:
    """A transition as users see it: its name on buttons, who may take it, and from which statuses."""

    label: str
    roles: tuple[str, ...]
    sources: tuple[str, ...]
    lead_only: bool = False  # for a responsible unit: only the 主办 unit, not a 协办 one


STEPS: dict[str, Step] = {
    "assign": Step("交办", OFFICE, ("待交办",)),
    "accept": Step("签收", ("admin", "handler"), ("已交办",), lead_only=True),
    "progress": Step("报告进展", ("admin", "handler"), ASSIGNED),
    "resolve": Step("申请办结", ("admin", "handler"), ASSIGNED, lead_only=True),
    "return": Step("退回", ("admin", "handler"), ASSIGNED, lead_only=True),
    "request_extension": Step("申请延期", ("admin", "handler"), ASSIGNED, lead_only=True),
    "approve_extension": Step("批准延期", OFFICE, ASSIGNED),
    "reject_extension": Step("驳回延期", OFFICE, ASSIGNED),
    "close": Step("销号", OFFICE, ("已办结",)),
    "reopen": Step("重新办理", OFFICE, ("已办结",)),
    "escalate": Step("上报", OFFICE, OPEN),
    "flag": Step("挂牌督办", ("admin", "coordinator", "leader"), ("待交办", *ASSIGNED, "已办结")),
    "unflag": Step("取消挂牌督办", ("admin", "coordinator", "leader"), ("待交办", *ASSIGNED, "已办结")),
    "comment": Step("领导批示", ("admin", "leader"), ("待交办", *ASSIGNED, "已办结", "已销号")),
    "withdraw": Step("撤销", ("admin", "coordinator", "group"), OPEN),
}


def today() -> date:
    return local_now().date()


def refusal(name: str, problem: Problem, user) -> str | None:
    """Why `user` may not take step `name` on `problem` now (in Chinese), or None if they may."""
    step = STEPS[name]
    if user.role not in step.roles:
        return f"您的角色（{user.role_label}）不能对问题执行“{step.label}”。"
    if problem.status not in step.sources:
        return f"问题{problem.number}当前为“{problem.status}”，不能“{step.label}”。"
    if user.role == "handler":
        if step.lead_only and problem.responsible_unit_id != user.unit_id:
            return f"只有主办单位可以对问题{problem.number}“{step.label}”。"
        if problem.responsible_unit_id != user.unit_id and user.unit_id not in {u.id for u in problem.co_units}:
            return f"问题{problem.number}不由您的单位办理。"
    if user.role == "group" and problem.collected_by_body_id != user.body_id:
        return f"问题{problem.number}不是本工作组收集的。"
    if user.role == "group" and problem.status != "待交办":
        return f"问题{problem.number}已交办，工作组不能再{step.label}；请联系推进办。"
    if name == "flag" and problem.flagged:
        return f"问题{problem.number}已经挂牌督办。"
    if name == "unflag" and not problem.flagged:
        return f"问题{problem.number}没有挂牌督办。"
    if name in ("approve_extension", "reject_extension") and problem.extension_requested_until is None:
        return f"问题{problem.number}没有待审批的延期申请。"
    if name == "request_extension" and problem.extension_requested_until is not None:
        return f"问题{problem.number}已有待审批的延期申请。"
    if name == "escalate" and problem.escalation_level == ESCALATION_LEVELS[-1]:
        return f"问题{problem.number}已上报至{problem.escalation_level}，不能再上报。"
    return None


def available(problem: Problem, user) -> list[str]:
    """The steps `user` may take on `problem` now, in the order of STEPS."""
    return [name for name in STEPS if refusal(name, problem, user) is None]


def require(name: str, problem: Problem, user) -> None:
    message = refusal(name, problem, user)
    if message:
        raise DomainError(message)


def needed(value, message: str):
    """`value`, or a DomainError when it is missing or blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DomainError(message)
    return value.strip() if isinstance(value, str) else value


def record(problem: Problem, user, action: str, note: str | None = None, to_status: str | None = None) -> ProblemUpdate:
    """Add a step to the problem's timeline, move its status when `to_status` is given, and note the latest progress."""
    now = local_now()
    update = ProblemUpdate(problem=problem, author_id=getattr(user, "id", None), action=action, note=note or None,
                           from_status=problem.status if to_status else None, to_status=to_status, created_at=now)
    update.recorded = True  # the one door of the timeline (ProblemUpdate.check)
    if to_status:
        problem.status = to_status
    show_progress(problem, action, note, now)
    db.session.add(update)
    return update


def show_progress(problem: Problem, action: str, note: str | None, when) -> None:
    """Keep the ledger's 办理进展 column and the no-progress clock in step with the latest update."""
    problem.progress = f"{when:%Y-%m-%d} {action}" + (f"：{note}" if note else "")
    problem.last_progress_at = when


def assign(problem: Problem, user, responsible_unit, deadline: date, lead_person=None, co_units=(), supervisor=None,
           note: str | None = None) -> ProblemUpdate:
    """交办: the office names the 责任单位, the 责任人 and the 办理时限."""
    require("assign", problem, user)
    needed(responsible_unit, "交办必须指定责任单位。")
    needed(lead_person, "交办必须指定责任人。")
    needed(deadline, "交办必须指定办理时限。")
    if deadline < today():
        raise DomainError("办理时限不能早于今天。")
    if responsible_unit in co_units:
        raise DomainError("协办单位不能与责任单位相同。")
    problem.responsible_unit = responsible_unit
    problem.co_units = list(co_units)
    problem.lead_person = lead_person
    problem.supervisor = supervisor
    problem.deadline = deadline
    problem.assigned_on = today()
    return record(problem, user, "交办", note=f"责任单位：{responsible_unit}；办理时限：{deadline}" + (f"；{note}" if note else ""),
                  to_status="已交办")


def accept(problem: Problem, user, note: str | None = None) -> ProblemUpdate:
    """签收: the responsible unit takes the problem on."""
    require("accept", problem, user)
    return record(problem, user, "签收", note=note, to_status="办理中")


def progress(problem: Problem, user, note: str) -> ProblemUpdate:
    """报告进展: the responsible unit (主办 or 协办) reports how handling goes."""
    require("progress", problem, user)
    return record(problem, user, "进展说明", note=needed(note, "请填写办理进展。"))


def resolve(problem: Problem, user, resolution: str, note: str | None = None) -> ProblemUpdate:
    """申请办结: the responsible unit reports the problem solved, with the result."""
    require("resolve", problem, user)
    problem.resolution = needed(resolution, "申请办结必须填写办理结果。")
    problem.resolved_on = today()
    return record(problem, user, "申请办结", note=note or problem.resolution, to_status="已办结")


def return_(problem: Problem, user, reason: str) -> ProblemUpdate:
    """退回: the unit disputes the assignment; the problem goes back to the office to be assigned again."""
    require("return", problem, user)
    reason = needed(reason, "退回必须填写理由。")
    was = f"原责任单位：{problem.responsible_unit}；原办理时限：{problem.deadline}"
    problem.responsible_unit = None
    problem.co_units = []
    problem.lead_person = None
    problem.deadline = None
    problem.assigned_on = None
    problem.extension_requested_until = None
    return record(problem, user, "退回", note=f"{reason}（{was}）", to_status="待交办")


def request_extension(problem: Problem, user, until: date, reason: str) -> ProblemUpdate:
    """申请延期: the unit asks for a later deadline; the office decides."""
    require("request_extension", problem, user)
    reason = needed(reason, "申请延期必须填写理由。")
    needed(until, "申请延期必须填写希望延至的日期。")
    if problem.deadline and until <= problem.deadline:
        raise DomainError(f"延期后的时限应晚于当前办理时限（{problem.deadline}）。")
    problem.extension_requested_until = until
    return record(problem, user, "申请延期", note=f"申请延至{until}：{reason}")


def approve_extension(problem: Problem, user, until: date | None = None, note: str | None = None) -> ProblemUpdate:
    """批准延期: the office sets the new deadline; the old one stays in the timeline."""
    require("approve_extension", problem, user)
    until = until or problem.extension_requested_until
    if problem.deadline and until <= problem.deadline:
        raise DomainError(f"新的办理时限应晚于当前办理时限（{problem.deadline}）。")
    old = problem.deadline
    problem.deadline = until
    problem.extension_requested_until = None
    return record(problem, user, "批准延期", note=f"办理时限由{old}延至{until}" + (f"；{note}" if note else ""))


def reject_extension(problem: Problem, user, reason: str) -> ProblemUpdate:
    """驳回延期: the office keeps the deadline."""
    require("reject_extension", problem, user)
    reason = needed(reason, "驳回延期必须填写理由。")
    problem.extension_requested_until = None
    return record(problem, user, "驳回延期", note=reason)


def close(problem: Problem, user, satisfaction: str, note: str | None = None) -> ProblemUpdate:
    """销号: the office verifies the result and records the enterprise's satisfaction."""
    require("close", problem, user)
    if satisfaction not in SATISFACTION_LEVELS:
        raise DomainError("销号必须填写企业满意度（满意、基本满意或不满意）。")
    problem.satisfaction = satisfaction
    problem.closed_on = today()
    problem.closed_by_id = getattr(user, "id", None)
    return record(problem, user, "销号", note=f"企业满意度：{satisfaction}" + (f"；{note}" if note else ""), to_status="已销号")


def reopen(problem: Problem, user, reason: str) -> ProblemUpdate:
    """重新办理: the office does not accept the result and sends it back to the unit."""
    require("reopen", problem, user)
    reason = needed(reason, "重新办理必须填写理由。")
    problem.resolved_on = None
    return record(problem, user, "重新办理", note=reason, to_status="办理中")


def escalate(problem: Problem, user, reason: str) -> ProblemUpdate:
    """上报: what this level cannot solve goes up one level (本级 → 市级 → 省级)."""
    require("escalate", problem, user)
    reason = needed(reason, "上报必须填写理由。")
    level = ESCALATION_LEVELS[ESCALATION_LEVELS.index(problem.escalation_level) + 1]
    problem.escalation_level = level
    return record(problem, user, f"上报{level}", note=reason)


def set_flag(problem: Problem, user, flagged: bool, note: str | None = None) -> ProblemUpdate:
    """挂牌督办 (or lift it): office and leaders."""
    require("flag" if flagged else "unflag", problem, user)
    problem.flagged = flagged
    return record(problem, user, "挂牌督办" if flagged else "取消挂牌督办", note=note)


def comment(problem: Problem, user, note: str) -> ProblemUpdate:
    """领导批示."""
    require("comment", problem, user)
    return record(problem, user, "领导批示", note=needed(note, "请填写批示内容。"))


def withdraw(problem: Problem, user, reason: str) -> ProblemUpdate:
    """已撤销: withdraw a problem with a reason. Problems are never deleted except by the system administrator."""
    require("withdraw", problem, user)
    return record(problem, user, "撤销", note=needed(reason, "撤销问题必须填写理由。"), to_status="已撤销")


def add_note(problem: Problem, user, note: str) -> ProblemUpdate:
    """A note on the timeline without a status change: a leader's 批示, or the responsible unit's progress note, each
    under the rules of its step (who, in which status, on which problems)."""
    step = NOTE_STEPS.get(user.role)
    if step is None:
        raise DomainError(f"您的角色（{user.role_label}）不能在问题上添加说明；请使用问题页面上的办理步骤。")
    return ACTIONS[step](problem, user, note=note)


# The functions behind the steps, for the screens that offer them.
ACTIONS = {
    "assign": assign, "accept": accept, "progress": progress, "resolve": resolve, "return": return_,
    "request_extension": request_extension, "approve_extension": approve_extension,
    "reject_extension": reject_extension, "close": close, "reopen": reopen, "escalate": escalate,
    "flag": lambda p, u, note=None: set_flag(p, u, True, note), "unflag": lambda p, u, note=None: set_flag(p, u, False, note),
    "comment": comment, "withdraw": withdraw,
}
NOTE_STEPS = {"handler": "progress", "admin": "progress", "leader": "comment"}  # the step a free note is, per role

# The columns of a problem that only these functions change: no form offers them (admin.base checks at start-up).
WORKFLOW_COLUMNS = frozenset({
    "status", "progress", "last_progress_at", "responsible_unit", "co_units", "lead_person", "supervisor",
    "assigned_on", "deadline", "resolution", "resolved_on", "closed_on", "closed_by", "satisfaction",
    "escalation_level", "flagged", "extension_requested_until",
})
