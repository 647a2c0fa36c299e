"""The steps of a problem's timeline, each declared once: its code (what the timeline stores, ProblemUpdate.step), its
label (what every button, timeline line, portal line, desk notice, paper and message shows, read from here by code),
the statuses it leaves from and the one it moves to, who may take it, what else must hold, the name of its form in the
panel, whether the enterprise's public timeline shows it, and whether a 附件2 row's status change may take it.

To add a step: one declaration here (a code in StepName, a Step in STEPS), one function in models.workflow (it checks
with `require`, changes the problem and calls `record(problem, user, StepName.X, …)`; listed in workflow.ACTIONS),
and one form in admin.steps.forms (FORMS, under the declaration's `form`). The panel refuses to start while a step
that people take has no form or a step has no label (admin.steps.check_steps); the access table gives the step to
its roles (admin.access reads `roles` from here). Steps only the system takes (录入, 企业评价, the reminder ladder)
have no roles and no form.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from . import terms
from .base import db
from .portal import Appeal, Revisit
from .problem import Problem, ProblemUpdate
from .terms import Vocabulary
from .vocab import OPEN_STATUSES, RUNNING_STATUSES, Status

OFFICE = ("admin", "coordinator")
OPEN = OPEN_STATUSES
ASSIGNED = RUNNING_STATUSES
UNTIL_RESOLVED = (Status.UNASSIGNED, *ASSIGNED, Status.RESOLVED)


class StepName:
    """The steps' codes, as the timeline stores them and screens, imports and the access table call them."""

    ASSIGN = "assign"
    ACCEPT = "accept"
    PROGRESS = "progress"
    RESOLVE = "resolve"
    RETURN = "return"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REJECT_EXTENSION = "reject_extension"
    CLOSE = "close"
    REOPEN = "reopen"
    ESCALATE = "escalate"
    FLAG = "flag"
    UNFLAG = "unflag"
    COMMENT = "comment"
    URGE = "urge"
    WITHDRAW = "withdraw"
    REVISIT = "revisit"
    MERGE = "merge"
    # taken by the system alone
    ENTERED = "entered"  # the first line of every timeline: how the problem came in
    RATED = "rated"  # the enterprise's own rating through the portal (一事一评)
    AUTO_REMIND = "auto_remind"  # the reminder ladder (models.reminders, flask remind)
    AUTO_URGE = "auto_urge"
    BLUE = "blue"
    YELLOW = "yellow"
    RED = "red"


UNKNOWN = "unknown"  # a timeline line whose label no code ever wrote (the migration to codes; none expected)


def revisit_pending(problem: Problem) -> bool:
    """Whether the enterprise rated the result below the campaign's satisfied levels (models.intake.rate) and the
    office has not yet visited again."""
    return problem.id is not None and db.session.scalar(select(Appeal.id).where(
        Appeal.problem_id == problem.id, Appeal.revisit == Revisit.PENDING).limit(1)) is not None


def not_before_revisit(problem: Problem) -> str | None:
    return (f"企业对问题{problem.number}的办理结果评价为不满意，须先回访（重新办理，或记录回访情况）才能销号。"
            if revisit_pending(problem) else None)


def no_revisit(problem: Problem) -> str | None:
    return None if revisit_pending(problem) else f"问题{problem.number}没有待回访的企业评价。"


def merge_targets(enterprise_id, campaign_id, but=None) -> tuple:
    """The conditions of the open problems a problem or 诉求 of an enterprise may be merged into: the same enterprise's
    in the same campaign (not the problem itself, `but`), the callers adding the user's row scope."""
    return (Problem.enterprise_id == enterprise_id, Problem.enterprise_id.is_not(None), Problem.campaign_id == campaign_id,
            Problem.status.in_(OPEN), Problem.id != (but or 0))


def nothing_to_merge_into(problem: Problem) -> str | None:
    if problem.enterprise_id is None:
        return f"问题{problem.number}没有企业，不能合并。"
    found = db.session.scalar(select(Problem.id).where(*merge_targets(problem.enterprise_id, problem.campaign_id,
                                                                      problem.id)).limit(1))
    return None if found is not None else f"问题{problem.number}的企业没有其他未办结的问题，无可合并。"


def no_request(problem: Problem) -> str | None:
    return None if problem.extension_requested_until is not None else f"问题{problem.number}没有待审批的延期申请。"


def request_pending(problem: Problem) -> str | None:
    return f"问题{problem.number}已有待审批的延期申请。" if problem.extension_requested_until is not None else None


def next_level(problem: Problem) -> str | None:
    """The 上报层级 above the problem's, among its campaign's levels in use (本级 → 市级 → 省级 by default); None at the top."""
    levels = terms.values(problem.campaign_id, Vocabulary.ESCALATION)
    above = levels[levels.index(problem.escalation_level) + 1:] if problem.escalation_level in levels else levels[1:]
    return above[0] if above else None


def at_top(problem: Problem) -> str | None:
    return f"问题{problem.number}已上报至{problem.escalation_level}，不能再上报。" if next_level(problem) is None else None


@dataclass(frozen=True)
class Step:
    """One step: its code and label, who may take it from which statuses and to which, what else must hold of the
    problem (`unless`: a Chinese reason it may not, or None), its form in the panel, and where else it shows."""

    code: str
    label: str
    roles: tuple[str, ...] = ()  # who may take it; none: the system alone
    sources: tuple[str, ...] = ()  # the statuses it may be taken from
    target: str | None = None  # the status it moves the problem to; None: the status stays
    lead_only: bool = False  # for a responsible unit: only the 主办 unit, not a 协办 one
    unless: Callable[[Problem], str | None] | None = None
    form: str | None = None  # the name of its form in the panel (admin.steps.forms.FORMS); None: taken by the system
    public: bool = False  # the enterprise's public timeline of its 诉求 shows it (models.intake.public_timeline)
    imported: bool = False  # a 附件2 row whose 办理状态 goes from one of `sources` to `target` takes it (imports)
    proxy: bool = False  # a unit's step the 推进办 may enter on its behalf (代录, models.workflow.on_behalf)


def steps(*declared: Step) -> dict[str, Step]:
    return {step.code: step for step in declared}


STEPS: dict[str, Step] = steps(
    Step(StepName.ASSIGN, "交办", OFFICE, (Status.UNASSIGNED,), Status.ASSIGNED, form="assign", public=True,
         imported=True),
    Step(StepName.ACCEPT, "签收", ("admin", "handler"), (Status.ASSIGNED,), Status.HANDLING, lead_only=True,
         form="accept", public=True, imported=True, proxy=True),
    Step(StepName.PROGRESS, "报告进展", ("admin", "handler"), ASSIGNED, form="progress", proxy=True),
    Step(StepName.RESOLVE, "申请办结", ("admin", "handler"), (Status.HANDLING,), Status.RESOLVED, lead_only=True,
         form="resolve", public=True, imported=True, proxy=True),  # after 签收
    Step(StepName.RETURN, "退回", ("admin", "handler"), ASSIGNED, Status.UNASSIGNED, lead_only=True, form="return"),
    Step(StepName.REQUEST_EXTENSION, "申请延期", ("admin", "handler"), ASSIGNED, lead_only=True, unless=request_pending,
         form="request_extension", proxy=True),
    Step(StepName.APPROVE_EXTENSION, "批准延期", OFFICE, ASSIGNED, unless=no_request, form="approve_extension"),
    Step(StepName.REJECT_EXTENSION, "驳回延期", OFFICE, ASSIGNED, unless=no_request, form="reject_extension"),
    Step(StepName.CLOSE, "销号", OFFICE, (Status.RESOLVED,), Status.CLOSED, unless=not_before_revisit, form="close",
         public=True, imported=True),
    Step(StepName.REOPEN, "重新办理", OFFICE, (Status.RESOLVED,), Status.HANDLING, form="reopen", public=True,
         imported=True),
    Step(StepName.ESCALATE, "上报", OFFICE, OPEN, unless=at_top, form="escalate"),
    Step(StepName.FLAG, "挂牌督办", ("admin", "coordinator", "leader"), UNTIL_RESOLVED,
         unless=lambda p: f"问题{p.number}已经挂牌督办。" if p.flagged else None, form="flag"),
    Step(StepName.UNFLAG, "取消挂牌督办", ("admin", "coordinator", "leader"), UNTIL_RESOLVED,
         unless=lambda p: None if p.flagged else f"问题{p.number}没有挂牌督办。", form="unflag"),
    Step(StepName.COMMENT, "领导批示", ("admin", "leader"), (*UNTIL_RESOLVED, Status.CLOSED), form="comment"),
    Step(StepName.URGE, "催办", ("admin", "coordinator", "leader"), ASSIGNED, form="urge"),
    Step(StepName.WITHDRAW, "撤销", ("admin", "coordinator", "group"), OPEN, Status.WITHDRAWN, form="withdraw",
         public=True, imported=True),
    Step(StepName.REVISIT, "回访", OFFICE, (Status.RESOLVED, Status.CLOSED), unless=no_revisit, form="revisit"),
    # a newly entered problem that repeats an open one of the same enterprise (models.workflow.merge)
    Step(StepName.MERGE, "合并", ("admin", "coordinator", "group"), (Status.UNASSIGNED,), Status.MERGED,
         unless=nothing_to_merge_into, form="merge"),
    # the system's own lines
    Step(StepName.ENTERED, "录入", target=Status.UNASSIGNED),
    Step(StepName.RATED, "企业评价"),
    Step(StepName.AUTO_REMIND, "自动提醒"),  # the manual 催办 step is “催办”, so the system's own say 自动
    Step(StepName.AUTO_URGE, "自动催办"),
    Step(StepName.BLUE, "蓝色督办"),
    Step(StepName.YELLOW, "黄色督办"),
    Step(StepName.RED, "红色督办"),
)

# The steps people take (the panel's buttons and bulk actions, the access table's problem actions), in this order.
TAKEN = tuple(code for code, step in STEPS.items() if step.roles)
# The system's steps, shown as 系统自动 on the timeline.
SYSTEM = tuple(code for code, step in STEPS.items() if not step.roles and code != StepName.ENTERED)
# The unit's steps the 推进办 may enter on its behalf (代录), in this order.
PROXIED = tuple(code for code, step in STEPS.items() if step.proxy)


def proxy_action(code: str) -> str:
    """The name of the ledger's action (and access-table row) that enters the step `code` on a unit's behalf."""
    return f"proxy_{code}"


# The step a 附件2 row takes when its 办理状态 goes from one status to another (imports.problems).
STEP_FOR = {(source, step.target): code for code, step in STEPS.items() if step.imported for source in step.sources}


def label(code: str | None, written: str | None = None) -> str:
    """The label of the step `code` as declared (what the timeline, buttons and papers show); for a line of no
    declared step (UNKNOWN, from the migration to codes), the label it was written under."""
    step = STEPS.get(code)
    return step.label if step is not None else written or "其他"


ProblemUpdate.label_of = staticmethod(label)  # ProblemUpdate.label reads the declaration (models.problem cannot import it)
