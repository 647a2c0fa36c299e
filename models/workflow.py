"""What may happen to a problem, decided in one place. Views, imports and commands call these functions;
each checks the role, the data it needs and the current status, and writes a ProblemUpdate.
Row scope (which problems a user may touch at all) is applied by the caller's scoped query."""
from __future__ import annotations

from .base import db, local_now
from .errors import DomainError
from .problem import Problem, ProblemUpdate

CLOSED = ("已销号", "已撤销")
FLAGGERS = ("admin", "coordinator", "leader")
WITHDRAWERS = ("admin", "coordinator", "group")


def record(problem: Problem, user, action: str, note: str | None = None, to_status: str | None = None) -> ProblemUpdate:
    """Add a step to the problem's timeline (and move its status when `to_status` is given)."""
    update = ProblemUpdate(problem=problem, author_id=getattr(user, "id", None), action=action, note=note,
                           from_status=problem.status if to_status else None, to_status=to_status, created_at=local_now())
    if to_status:
        problem.status = to_status
    db.session.add(update)
    return update


def set_flag(problem: Problem, user, flagged: bool) -> ProblemUpdate:
    """挂牌督办 (or lift it): office and leaders only, not on closed problems."""
    if user.role not in FLAGGERS:
        raise DomainError("只有推进办、领导或系统管理员可以挂牌督办。")
    if problem.status in CLOSED:
        raise DomainError(f"问题{problem.number}已{problem.status[1:]}，不能再挂牌督办。")
    if bool(problem.flagged) == flagged:
        raise DomainError(f"问题{problem.number}{'已经' if flagged else '并未'}挂牌督办。")
    problem.flagged = flagged
    return record(problem, user, "挂牌督办" if flagged else "取消挂牌督办")


def withdraw(problem: Problem, user, reason: str) -> ProblemUpdate:
    """已撤销: withdraw a problem with a reason. Problems are never deleted except by the system administrator."""
    reason = (reason or "").strip()
    if user.role not in WITHDRAWERS:
        raise DomainError("只有推进办、收集问题的工作组或系统管理员可以撤销问题。")
    if not reason:
        raise DomainError("撤销问题必须填写理由。")
    if problem.status in CLOSED:
        raise DomainError(f"问题{problem.number}已{problem.status[1:]}，不能撤销。")
    if user.role == "group" and problem.status != "待交办":
        raise DomainError("问题已交办，工作组不能再撤销；请联系推进办。")
    return record(problem, user, "撤销", note=reason, to_status="已撤销")


def note_action(user) -> str:
    """What a note on a problem's timeline is called: a leader's comment or a progress note."""
    return "领导批示" if user.role == "leader" else "进展说明"


def add_note(problem: Problem, user, note: str) -> ProblemUpdate:
    """A progress note (责任单位) or a comment (领导批示) on a problem's timeline."""
    note = (note or "").strip()
    if not note:
        raise DomainError("请填写说明内容。")
    return record(problem, user, note_action(user), note=note)
