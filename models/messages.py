"""留言: a short thread per problem between the 推进办, the responsible unit and the working group (问一下, 补充材料).

A message changes nothing of the problem (no status, no timeline line, no version), is never shown on the portal, and
is read and written by exactly those who may see the problem (models.scope's row scope, checked by the caller's scoped
query of the problem: `post` takes a problem the caller has found within the user's scope). What is new to a user is
what another side wrote since they last opened the problem (models.desk: 新留言)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import IdMixin, choice, db, local_now
from .errors import DomainError
from .problem import Problem
from .text import refusal

MAX_LENGTH = 1000


class Side:
    """Who speaks in a thread: the 推进办 (and the system administrator), the responsible unit, the working group, a
    leader."""

    OFFICE = "推进办"
    UNIT = "责任单位"
    GROUP = "工作组"
    LEADER = "领导"


SIDES = (Side.OFFICE, Side.UNIT, Side.GROUP, Side.LEADER)
SIDE_OF_ROLE = {"admin": Side.OFFICE, "coordinator": Side.OFFICE, "handler": Side.UNIT, "group": Side.GROUP,
                "leader": Side.LEADER}


class Message(IdMixin, db.Model):
    """One message (留言) on a problem: who wrote it, for which side, when, and what."""

    __label__ = "留言"

    __tablename__ = "message"
    __column_labels__ = {"problem": "问题", "author": "留言人", "side": "留言方", "speaker": "署名", "text": "留言内容",
                         "created_at": "留言时间"}
    __table_args__ = (Index("ix_message_problem_created", "problem_id", "created_at"),)

    problem_id: Mapped[int] = mapped_column(ForeignKey("problem.id", ondelete="CASCADE"))
    problem: Mapped[Problem] = relationship()
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"), index=True)
    author = relationship("User")
    side: Mapped[str] = mapped_column(choice(SIDES, "message_side"))
    # the unit or group the author spoke for, as it was named then (a unit's name may change; the record stays)
    speaker: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=local_now, index=True)

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.side}：{self.text[:20]}"


def side_of(user) -> str | None:
    return SIDE_OF_ROLE.get(getattr(user, "role", None))


def speaker_of(user) -> str:
    """How the thread names the author: their unit or group, else their name."""
    own = getattr(user, "unit", None) or getattr(user, "body", None)
    name = user.display_name or user.username
    return f"{own.name} {name}" if own is not None and own.name != name else name


def others(user) -> str:
    """Who reads what `user` writes, as the confirmation says it."""
    mine = side_of(user)
    return "、".join(side for side in (Side.OFFICE, Side.UNIT, Side.GROUP) if side != mine)


def post(problem: Problem, user, text: str) -> Message:
    """Add `user`'s message to the problem's thread (the caller found `problem` within the user's scope)."""
    side = side_of(user)
    if side is None:
        raise DomainError("您的角色不能留言。")
    text = (text or "").strip()
    if not text:
        raise DomainError("请填写留言内容。")
    if len(text) > MAX_LENGTH:
        raise DomainError(f"留言最多 {MAX_LENGTH} 字（现为 {len(text)} 字）。")
    refused = refusal("留言", text)
    if refused:
        raise DomainError(refused)
    message = Message(problem=problem, author_id=user.id, side=side, speaker=speaker_of(user)[:200], text=text,
                      created_at=local_now())
    db.session.add(message)
    return message


def thread(problem_id: int) -> list[Message]:
    """The problem's messages, oldest first."""
    return db.session.scalars(select(Message).where(Message.problem_id == problem_id)
                              .order_by(Message.created_at, Message.id)).all()
