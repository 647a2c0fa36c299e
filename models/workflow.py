"""The problem workflow (交办 → 办理 → 销号), decided in one place.

待交办 → 已交办 → 办理中 → 已办结 → 已销号, with 退回, 申请延期 / 批准延期 / 驳回延期, 重新办理, 上报
(本级 → 市级 → 省级), 挂牌督办 and 已撤销. Each function checks the role, the data the step needs and the
current status, changes the problem, and records a ProblemUpdate (the audit trail records the row changes).
Views, imports and commands call these functions; which problems a user may see at all is applied by the caller's
scoped query, and which they may change (models.scope) is checked here too, on the problem itself. What each step is
called, from which statuses to which and for whom is declared in models.steps (re-exported here).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import date

from flask import has_request_context
from sqlalchemy import event, func, select

from . import audit, terms
from .base import db, local_now
from .calendar import workdays_left
from .errors import DomainError
from .portal import Appeal, Revisit
from .problem import Problem, ProblemUpdate
from .scope import PROXY_RECORDERS, change_refusal
from .steps import (ASSIGNED, OFFICE, OPEN, PROXIED, STEP_FOR, STEPS, TAKEN, UNTIL_RESOLVED, Step,  # noqa: F401 (the
                    StepName, merge_targets, next_level, revisit_pending)  # declaration, models.steps; callers find it here too)
from .terms import Vocabulary
from .vocab import PROXY_CHANNELS, Channel, Status


@dataclass(frozen=True)
class OnBehalf:
    """代录: the 推进办's `user` entering the step of `unit` (the problem's 主办 unit) on its behalf, as the unit's answer
    came by `channel`. The workflow's functions take it where they take a user: only who may take the step changes
    (refusal), every other rule of the step holds, and the timeline line names the unit and the channel (record)."""

    user: object
    unit: object
    channel: str | None

    @property
    def id(self):
        return getattr(self.user, "id", None)

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def role_label(self) -> str:
        return self.user.role_label


def proxy_refusal(step: Step, proxy: OnBehalf) -> str | None:
    """Why the 推进办 may not enter `step` on the unit's behalf (the rule of 代录), or None: who may, which steps, by
    which channel. (That there is a unit to stand for is the actor's part in the problem: part_refusal.)"""
    if proxy.user.role not in PROXY_RECORDERS:
        return f"您的角色（{proxy.user.role_label}）不能代录责任单位的办理步骤。"
    if not step.proxy:
        return f"“{step.label}”不能代录（可以代录：{'、'.join(STEPS[name].label for name in PROXIED)}）。"
    if proxy.channel not in PROXY_CHANNELS:
        return f"请选择代录的渠道（{'、'.join(PROXY_CHANNELS)}之一）。"
    return None


def part_refusal(step: Step, problem: Problem, user) -> str | None:
    """Why the actor has no part in `problem` for `step`, or None: 代录 needs the 主办 unit it stands for; a unit's
    handler acts on its own problems (主办 or 协办), and on the steps only the 主办 takes, as the 主办."""
    if isinstance(user, OnBehalf):
        if problem.responsible_unit_id is None and problem.responsible_unit is None:
            return f"问题{problem.number}没有责任单位，无从代录。"
    elif user.role == "handler":
        if step.lead_only and problem.responsible_unit_id != user.unit_id:
            return f"只有主办单位可以对问题{problem.number}“{step.label}”。"
        if problem.responsible_unit_id != user.unit_id and user.unit_id not in {u.id for u in problem.co_units}:
            return f"问题{problem.number}不由您的单位办理。"
    return None


def today() -> date:
    return local_now().date()


def refusal(name: str, problem: Problem, user) -> str | None:
    """Why `user` may not take step `name` on `problem` now (in Chinese), or None if they may: the step's role and
    statuses, a unit's part in the problem, the row scope of what a user may change (models.scope), and what else
    the step requires of the problem."""
    step = STEPS[name]
    proxy = isinstance(user, OnBehalf)  # 代录: the 推进办 stands for the 主办 unit; the rest of the step's rules hold
    if proxy:
        message = proxy_refusal(step, user)
    else:
        message = f"您的角色（{user.role_label}）不能对问题执行“{step.label}”。" if user.role not in step.roles else None
    if message:
        return message
    if problem.status not in step.sources:
        return f"问题{problem.number}当前为“{problem.status}”，不能“{step.label}”。"
    return (part_refusal(step, problem, user) or change_refusal(problem, user.user if proxy else user, step.label)
            or (step.unless(problem) if step.unless else None))


# The step a problem usually wants next, first found first: what the page offers as its primary button.
FORWARD = (StepName.APPROVE_EXTENSION, StepName.ASSIGN, StepName.ACCEPT, StepName.RESOLVE, StepName.REVISIT, StepName.CLOSE,
           StepName.COMMENT, StepName.PROGRESS)


def primary(steps: list[str]) -> str | None:
    """Of the steps a user may take now, the one the problem usually wants next."""
    return next((name for name in FORWARD if name in steps), None)


def available(problem: Problem, user) -> list[str]:
    """The steps `user` may take on `problem` now, in the order of STEPS."""
    return [name for name in TAKEN if refusal(name, problem, user) is None]


def proxy_available(problem: Problem, user) -> list[str]:
    """The unit's steps `user` may enter on its behalf (代录) on `problem` now, in the order of STEPS."""
    if user.role not in PROXY_RECORDERS:
        return []
    stand_in = OnBehalf(user, problem.responsible_unit, Channel.PHONE)
    return [name for name in PROXIED if refusal(name, problem, stand_in) is None]


def on_behalf(name: str, problem: Problem, user, channel: str, **values) -> ProblemUpdate:
    """代录: take the unit's step `name` on `problem` on its behalf (the 推进办 enters what the unit said by `channel`),
    under every rule of the step but who takes it."""
    return ACTIONS[name](problem, OnBehalf(user, problem.responsible_unit, channel), **values)


def as_imported(name: str, problem: Problem, user, **values) -> ProblemUpdate:
    """A step a 附件2 row's change takes: the importer's own step where their role takes it, else, for a unit's step,
    代录 by Excel (the 推进办 brings in what units wrote in the sheet); otherwise refused by the step's rules."""
    if imported_by_proxy(name, user):
        return on_behalf(name, problem, user, Channel.EXCEL, **values)
    return ACTIONS[name](problem, user, **values)


def imported_by_proxy(name: str, user) -> bool:
    """Whether as_imported takes the step `name` as 代录 for `user`."""
    return user.role not in STEPS[name].roles and STEPS[name].proxy and user.role in PROXY_RECORDERS


def route(problem: Problem, status: str) -> list[str]:
    """The steps that take `problem` from its status to `status`, as a 附件2 row that changes 办理状态 asks (shortest
    first, forward only: e.g. 已交办 → 已办结 is 签收 then 申请办结); DomainError saying why there is none. 已销号 is the
    office's verification of what the unit reported: only from 已办结, never in the same row as the unit's 申请办结."""
    if status == problem.status:
        return []
    if status == Status.CLOSED and problem.status != Status.RESOLVED:
        raise DomainError(f"办理状态不能从“{problem.status}”直接改为“{status}”：销号是推进办对责任单位办结结果的核实，"
                          f"须先改为“{Status.RESOLVED}”导入，核实后再改为“{status}”。")
    paths, queue = {problem.status: []}, deque([problem.status])
    while queue:
        here = queue.popleft()
        for (source, target), code in STEP_FOR.items():
            if source == here and target not in paths and target != Status.CLOSED:
                paths[target] = [*paths[here], code]
                queue.append(target)
    if status == Status.CLOSED:
        paths[status] = [STEP_FOR[(Status.RESOLVED, Status.CLOSED)]]
    if status not in paths:
        raise DomainError(f"办理状态不能从“{problem.status}”直接改为“{status}”，请逐步办理。")
    return paths[status]


def require(name: str, problem: Problem, user) -> None:
    message = refusal(name, problem, user)
    if message:
        raise DomainError(message)


def needed(value, message: str):
    """`value`, or a DomainError when it is missing or blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DomainError(message)
    return value.strip() if isinstance(value, str) else value


def record(problem: Problem, user, step: str, note: str | None = None) -> ProblemUpdate:
    """Add the step `step` (its code, models.steps) to the problem's timeline, move the problem to the step's status
    when it declares one, and note the latest progress."""
    declared = STEPS[step]
    now = local_now()
    to_status = declared.target
    update = ProblemUpdate(problem=problem, author_id=getattr(user, "id", None), step=step, action=declared.label,
                           note=note or None, from_status=problem.status if to_status else None, to_status=to_status,
                           created_at=now)
    shown = declared.label
    if isinstance(user, OnBehalf):
        update.on_behalf_of_unit, update.channel = user.unit, user.channel
        shown = f"{declared.label}（推进办代录·{user.channel}）"  # the ledger's and 附件2's 办理进展 say so too
    update.recorded = True  # the one door of the timeline (ProblemUpdate.check)
    if to_status:
        problem.status = to_status
    show_progress(problem, shown, note, now)
    db.session.add(update)
    return update


@event.listens_for(Problem, "init")
def _entered(problem: Problem, args, kwargs) -> None:
    """Every problem's timeline starts with 录入, however it is created (a screen, an import, a command, a seed): who
    entered it, and how (changed by the caller with entered_via)."""
    user_id, _ = audit.actor_provider()
    entered = STEPS[StepName.ENTERED]
    update = ProblemUpdate(problem=problem, author_id=user_id, step=entered.code, action=entered.label,
                           to_status=entered.target,
                           note="在页面录入" if has_request_context() else "由命令行录入", created_at=local_now())
    update.recorded = True


def entered_via(problem: Problem, how: str) -> None:
    """Say how a new problem came in (the note of its 录入 line), e.g. 导入附件2问题清单."""
    problem.updates[0].note = how


def show_progress(problem: Problem, action: str, note: str | None, when) -> None:
    """Keep the ledger's 办理进展 column and the no-progress clock in step with the latest update."""
    problem.progress = f"{when:%Y-%m-%d} {action}" + (f"：{note}" if note else "")
    problem.last_progress_at = when


def assign(problem: Problem, user, responsible_unit, deadline: date, lead_person=None, co_units=(), supervisor=None,
           note: str | None = None) -> ProblemUpdate:
    """交办: the office names the 责任单位, the 责任人 and the 办理时限."""
    require(StepName.ASSIGN, problem, user)
    needed(responsible_unit, "交办必须指定责任单位。")
    needed(lead_person, "交办必须指定责任人。")
    needed(deadline, "交办必须指定办理时限。")
    if lead_person.unit_id != responsible_unit.id and lead_person.unit is not responsible_unit:
        raise DomainError(f"责任人“{lead_person}”不是责任单位“{responsible_unit}”的人员，请从该单位的人员中选择（或先为该单位新增人员）。")
    if deadline < today():
        raise DomainError("办理时限不能早于今天。")
    if responsible_unit in co_units:
        raise DomainError("协办单位不能与责任单位相同。")
    if supervisor is None and problem.campaign.supervisor_required:
        raise DomainError("本专项行动要求每个问题在交办时明确一名跟踪督办人（见专项行动设置），请选择督办人。")
    problem.responsible_unit = responsible_unit
    problem.co_units = list(co_units)
    problem.lead_person = lead_person
    problem.supervisor = supervisor
    problem.deadline = deadline
    problem.assigned_on = today()
    return record(problem, user, StepName.ASSIGN,
                  note=f"责任单位：{responsible_unit}；办理时限：{deadline}" + (f"；{note}" if note else ""))


def accept(problem: Problem, user, note: str | None = None) -> ProblemUpdate:
    """签收: the responsible unit takes the problem on."""
    require(StepName.ACCEPT, problem, user)
    return record(problem, user, StepName.ACCEPT, note=note)


def progress(problem: Problem, user, note: str) -> ProblemUpdate:
    """报告进展: the responsible unit (主办 or 协办) reports how handling goes."""
    require(StepName.PROGRESS, problem, user)
    return record(problem, user, StepName.PROGRESS, note=needed(note, "请填写办理进展。"))


def resolve(problem: Problem, user, resolution: str, note: str | None = None) -> ProblemUpdate:
    """申请办结: the responsible unit reports the problem solved, with the result."""
    require(StepName.RESOLVE, problem, user)
    problem.resolution = needed(resolution, "申请办结必须填写办理结果。")
    problem.resolved_on = today()
    return record(problem, user, StepName.RESOLVE, note=note or problem.resolution)


def return_(problem: Problem, user, reason: str) -> ProblemUpdate:
    """退回: the unit disputes the assignment; the problem goes back to the office to be assigned again."""
    require(StepName.RETURN, problem, user)
    reason = needed(reason, "退回必须填写理由。")
    was = f"原责任单位：{problem.responsible_unit}；原办理时限：{problem.deadline}"
    problem.responsible_unit = None
    problem.co_units = []
    problem.lead_person = None
    problem.deadline = None
    problem.assigned_on = None
    problem.extension_requested_until = None
    return record(problem, user, StepName.RETURN, note=f"{reason}（{was}）")


EXTENSION_LEAD = 1  # 延期须在办理时限前至少 1 个工作日申请 (the 交办通知书, documents.papers)
LATE_REQUEST = "未按时申请"  # how the timeline line of a 申请延期 made later than that begins


def late_extension(problem: Problem, day: date) -> bool:
    """Whether a 申请延期 made on `day` breaks the rule: fewer than EXTENSION_LEAD working days left to the deadline,
    i.e. on the deadline day or after it."""
    return problem.deadline is not None and workdays_left(problem.deadline, day) < EXTENSION_LEAD


def late_extension_warning(problem: Problem, day: date) -> str | None:
    """What the 申请延期 form says before it is sent when the request would be late; None when it is in time."""
    if not late_extension(problem, day):
        return None
    left = workdays_left(problem.deadline, day)
    when = "今天到期" if left == 0 else f"已逾期{-left}个工作日"
    return (f"问题{problem.number}的办理时限为 {problem.deadline}（{when}）：延期须在办理时限前至少 {EXTENSION_LEAD} 个工作日申请。"
            f"现在申请将标注“{LATE_REQUEST}”，推进办审批时可以看到。")


def late_requests(problem_ids) -> set[int]:
    """Of the problems `problem_ids`, those whose latest 申请延期 was made late (its timeline line says so)."""
    ids = list(problem_ids)
    if not ids:
        return set()
    latest = (select(func.max(ProblemUpdate.id)).where(ProblemUpdate.problem_id.in_(ids),
                                                       ProblemUpdate.step == StepName.REQUEST_EXTENSION)
              .group_by(ProblemUpdate.problem_id))
    return set(db.session.scalars(select(ProblemUpdate.problem_id).where(
        ProblemUpdate.id.in_(latest), ProblemUpdate.note.startswith(LATE_REQUEST))))


def request_extension(problem: Problem, user, until: date, reason: str) -> ProblemUpdate:
    """申请延期: the unit asks for a later deadline; the office decides. A request later than the rule goes through,
    marked 未按时申请 for the office."""
    require(StepName.REQUEST_EXTENSION, problem, user)
    reason = needed(reason, "申请延期必须填写理由。")
    needed(until, "申请延期必须填写希望延至的日期。")
    if problem.deadline and until <= problem.deadline:
        raise DomainError(f"延期后的时限应晚于当前办理时限（{problem.deadline}）。")
    late = (f"{LATE_REQUEST}（办理时限{problem.deadline}，延期须在时限前至少 {EXTENSION_LEAD} 个工作日申请）；"
            if late_extension(problem, today()) else "")
    problem.extension_requested_until = until
    return record(problem, user, StepName.REQUEST_EXTENSION, note=f"{late}申请延至{until}：{reason}")


def approve_extension(problem: Problem, user, until: date | None = None, note: str | None = None) -> ProblemUpdate:
    """批准延期: the office sets the new deadline; the old one stays in the timeline."""
    require(StepName.APPROVE_EXTENSION, problem, user)
    until = until or problem.extension_requested_until
    if problem.deadline and until <= problem.deadline:
        raise DomainError(f"新的办理时限应晚于当前办理时限（{problem.deadline}）。")
    old = problem.deadline
    problem.deadline = until
    problem.extension_requested_until = None
    return record(problem, user, StepName.APPROVE_EXTENSION, note=f"办理时限由{old}延至{until}" + (f"；{note}" if note else ""))


def reject_extension(problem: Problem, user, reason: str) -> ProblemUpdate:
    """驳回延期: the office keeps the deadline."""
    require(StepName.REJECT_EXTENSION, problem, user)
    reason = needed(reason, "驳回延期必须填写理由。")
    problem.extension_requested_until = None
    return record(problem, user, StepName.REJECT_EXTENSION, note=reason)


def close(problem: Problem, user, satisfaction: str, note: str | None = None) -> ProblemUpdate:
    """销号: the office verifies the result and records the enterprise's satisfaction."""
    require(StepName.CLOSE, problem, user)
    levels = terms.values(problem.campaign_id, Vocabulary.SATISFACTION)
    if satisfaction not in levels:
        raise DomainError(f"销号必须填写企业满意度（{'、'.join(levels)}之一）。")
    problem.satisfaction = satisfaction
    problem.closed_on = today()
    problem.closed_by_id = getattr(user, "id", None)
    return record(problem, user, StepName.CLOSE, note=f"企业满意度：{satisfaction}" + (f"；{note}" if note else ""))


def reopen(problem: Problem, user, reason: str) -> ProblemUpdate:
    """重新办理: the office does not accept the result and sends it back to the unit."""
    require(StepName.REOPEN, problem, user)
    reason = needed(reason, "重新办理必须填写理由。")
    problem.resolved_on = None
    settle_revisit(problem, rate_again=True)
    return record(problem, user, StepName.REOPEN, note=reason)


def revisit(problem: Problem, user, note: str) -> ProblemUpdate:
    """回访: the office went back to an enterprise that rated the result 不满意 and records what it found and why the
    result stands (to do the work again is 重新办理 instead); then the problem may be 销号."""
    require(StepName.REVISIT, problem, user)
    note = needed(note, "回访必须记录回访情况和处理意见。")
    settle_revisit(problem)
    return record(problem, user, StepName.REVISIT, note=note)


def settle_revisit(problem: Problem, rate_again: bool = False) -> None:
    """The enterprise's 不满意 has been answered; after 重新办理 it may rate the next result afresh."""
    for appeal in db.session.scalars(select(Appeal).where(Appeal.problem_id == problem.id)):
        if appeal.revisit == Revisit.PENDING:
            appeal.revisit = Revisit.DONE
        if rate_again:
            appeal.rating = appeal.rating_comment = appeal.rated_at = None


def escalate(problem: Problem, user, reason: str) -> ProblemUpdate:
    """上报: what this level cannot solve goes up one level (本级 → 市级 → 省级)."""
    require(StepName.ESCALATE, problem, user)
    reason = needed(reason, "上报必须填写理由。")
    level = next_level(problem)
    problem.escalation_level = level
    return record(problem, user, StepName.ESCALATE, note=f"上报至{level}：{reason}")


def set_flag(problem: Problem, user, flagged: bool, note: str | None = None) -> ProblemUpdate:
    """挂牌督办 (or lift it): office and leaders."""
    require(StepName.FLAG if flagged else StepName.UNFLAG, problem, user)
    problem.flagged = flagged
    return record(problem, user, StepName.FLAG if flagged else StepName.UNFLAG, note=note)


def comment(problem: Problem, user, note: str) -> ProblemUpdate:
    """领导批示."""
    require(StepName.COMMENT, problem, user)
    return record(problem, user, StepName.COMMENT, note=needed(note, "请填写批示内容。"))


def urge(problem: Problem, user, note: str) -> ProblemUpdate:
    """催办: the office or a leader presses the responsible unit (the note waits, unread, on the unit's desk)."""
    require(StepName.URGE, problem, user)
    return record(problem, user, StepName.URGE, note=needed(note, "请填写催办要求。"))


def withdraw(problem: Problem, user, reason: str) -> ProblemUpdate:
    """已撤销: withdraw a problem with a reason. Problems are never deleted except by the system administrator."""
    require(StepName.WITHDRAW, problem, user)
    return record(problem, user, StepName.WITHDRAW, note=needed(reason, "撤销问题必须填写理由。"))


def merge_refusal(problem_enterprise_id, campaign_id, target: Problem | None, number: str) -> str | None:
    """Why a problem or 诉求 (its enterprise and campaign, and its number for the message) may not be merged into
    `target`: a problem of another enterprise, or one no longer open."""
    if target is None:
        return "请选择要并入的问题。"
    if target.campaign_id != campaign_id or target.enterprise_id is None or target.enterprise_id != problem_enterprise_id:
        return f"问题{target.number}属于{target.enterprise or '其他企业'}，与{number}不是同一企业，不能合并。"
    if target.status not in OPEN:
        return f"问题{target.number}当前为“{target.status}”，已不在办理中，不能并入；请选择该企业未办结的问题。"
    return None


def merge(problem: Problem, user, into: Problem | None, note: str | None = None) -> ProblemUpdate:
    """合并: a newly entered problem that repeats an open problem of the same enterprise is merged into it: it becomes
    已合并 with a link to the kept one; the 诉求 it came from (and the files) follow the kept problem, so the enterprise's
    lookup shows the kept problem's progress."""
    require(StepName.MERGE, problem, user)
    if into is not None and into.id == problem.id:
        raise DomainError(f"问题{problem.number}不能并入它自己。")
    refused = merge_refusal(problem.enterprise_id, problem.campaign_id, into, problem.number)
    if refused:
        raise DomainError(refused)
    problem.merged_into = into
    for appeal in db.session.scalars(select(Appeal).where(Appeal.problem_id == problem.id)):
        appeal.problem = into
        for attached in appeal.files:
            attached.problem = into
    return record(problem, user, StepName.MERGE, note=f"并入{into.number}" + (f"：{note}" if note else ""))


def add_note(problem: Problem, user, note: str) -> ProblemUpdate:
    """A note on the timeline without a status change: a leader's 批示, or the responsible unit's progress note, each
    under the rules of its step (who, in which status, on which problems)."""
    step = NOTE_STEPS.get(user.role)
    if step is None:
        raise DomainError(f"您的角色（{user.role_label}）不能在问题上添加说明；请使用问题页面上的办理步骤。")
    return ACTIONS[step](problem, user, note=note)


# The functions behind the steps, for the screens that offer them.
ACTIONS = {
    StepName.ASSIGN: assign, StepName.ACCEPT: accept, StepName.PROGRESS: progress, StepName.RESOLVE: resolve,
    StepName.RETURN: return_, StepName.REQUEST_EXTENSION: request_extension,
    StepName.APPROVE_EXTENSION: approve_extension, StepName.REJECT_EXTENSION: reject_extension,
    StepName.CLOSE: close, StepName.REOPEN: reopen, StepName.ESCALATE: escalate,
    StepName.FLAG: lambda p, u, note=None: set_flag(p, u, True, note),
    StepName.UNFLAG: lambda p, u, note=None: set_flag(p, u, False, note),
    StepName.COMMENT: comment, StepName.URGE: urge, StepName.WITHDRAW: withdraw, StepName.REVISIT: revisit,
    StepName.MERGE: merge,
}
NOTE_STEPS = {"handler": StepName.PROGRESS, "admin": StepName.PROGRESS, "leader": StepName.COMMENT}  # the step a free note is, per role

# The columns of a problem that only these functions change: no form offers them (admin.forms checks at start-up).
WORKFLOW_COLUMNS = frozenset({
    "status", "progress", "last_progress_at", "responsible_unit", "co_units", "lead_person", "supervisor",
    "assigned_on", "deadline", "resolution", "resolved_on", "closed_on", "closed_by", "satisfaction",
    "escalation_level", "flagged", "extension_requested_until", "merged_into",
})
