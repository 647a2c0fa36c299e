"""The task list (附件1 工作任务清单) and the policy list (政策清单) with its pushes to enterprises."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Integer, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import VersionMixin, NAME_LENGTH, CampaignOwnedMixin, IdMixin, ProvenanceMixin, TimestampMixin, choice, db, name_column
from .enterprise import Enterprise
from .errors import DomainError
from .org import Body, Person, Unit
from .terms import Vocabulary, term_column
from .vocab import RECURRENCE_KINDS, REPORT_KINDS, TASK_SECTIONS, TASK_STATUSES, Recurrence

task_body = Table(
    "task_body",
    db.Model.metadata,
    Column("task_id", ForeignKey("task.id", ondelete="CASCADE"), primary_key=True),
    Column("body_id", ForeignKey("body.id", ondelete="CASCADE"), primary_key=True),
)


class Task(IdMixin, TimestampMixin, VersionMixin, CampaignOwnedMixin, ProvenanceMixin, db.Model):
    """One item of the task list: a main task, a working method, a phase, a mechanism or a dated target."""

    __label__ = "任务"

    __tablename__ = "task"
    __table_args__ = (
        UniqueConstraint("campaign_id", "code"),
        CheckConstraint(
            "recurrence_day IS NULL OR (recurrence_day >= 1 AND recurrence_day <= 10)", name="recurrence_day"
        ),
        CheckConstraint("start_on IS NULL OR due_on IS NULL OR start_on <= due_on", name="date_order"),
    )

    code: Mapped[str] = mapped_column(String(32))  # the document's numbering, e.g. 三(四)-2
    section: Mapped[str] = mapped_column(choice(TASK_SECTIONS, "task_section"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    parent: Mapped[Task | None] = relationship(remote_side="Task.id")
    title: Mapped[str] = name_column()
    content: Mapped[str | None] = mapped_column(Text)
    responsible_text: Mapped[str | None] = mapped_column(String(NAME_LENGTH))  # as the document words it
    responsible_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"), index=True)
    responsible_unit: Mapped[Unit | None] = relationship()
    responsible_body_id: Mapped[int | None] = mapped_column(ForeignKey("body.id", ondelete="SET NULL"), index=True)
    responsible_body: Mapped[Body | None] = relationship(foreign_keys=[responsible_body_id])
    recipient_text: Mapped[str | None] = mapped_column(String(NAME_LENGTH))  # to whom results are handed
    start_on: Mapped[date | None]
    due_on: Mapped[date | None] = mapped_column(index=True)
    due_text: Mapped[str | None] = mapped_column(String(64))  # e.g. 9月8日前
    recurrence: Mapped[str | None] = mapped_column(choice(RECURRENCE_KINDS, "recurrence_kind"))
    # 每周: ISO weekday 1-7 (3 = 周三); 每旬: day of the 旬 by which it is due (8 = 每旬8日前)
    recurrence_day: Mapped[int | None] = mapped_column(Integer)
    recurrence_text: Mapped[str | None] = mapped_column(String(64))
    report_kind: Mapped[str | None] = mapped_column(choice(REPORT_KINDS, "task_report_kind"))
    target_text: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    target_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    target_unit: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(choice(TASK_STATUSES, "task_status"), default="未开始")

    submitters: Mapped[list[Body]] = relationship(secondary=task_body)  # bodies that must report

    def check(self) -> None:
        if (self.recurrence is None) != (self.recurrence_day is None):
            raise DomainError("“周期”和“周期日”须同时填写或同时留空。")
        if self.recurrence == Recurrence.WEEKLY and not 1 <= self.recurrence_day <= 7:
            raise DomainError("每周任务的周期日应为1～7（1为周一，3为周三，7为周日）。")
        if self.recurrence == Recurrence.DEKAD and not 1 <= self.recurrence_day <= 10:
            raise DomainError("每旬任务的周期日应为1～10（如8表示每旬8日前）。")
        if self.start_on and self.due_on and self.start_on > self.due_on:
            raise DomainError("开始日期不能晚于完成时限。")

    @property
    def schedule(self) -> str | None:
        """When it is due, as the dates are counted (每周五, 每旬8日前): from 周期 and 周期日, which the reports follow;
        None when it does not recur."""
        if self.recurrence == Recurrence.WEEKLY and self.recurrence_day:
            return f"每周{WEEKDAYS[self.recurrence_day - 1]}"
        if self.recurrence == Recurrence.DEKAD and self.recurrence_day:
            return f"每旬{self.recurrence_day}日前"
        return None

    @property
    def schedule_text(self) -> str | None:
        """周期 as a report prints it: the document's words while they say the day the reports follow (每周三下午), else
        that day (每周五, after the office moved it)."""
        written, derived = self.recurrence_text, self.schedule
        return written if derived is None or (written or "").startswith(derived) else derived

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


WEEKDAYS = "一二三四五六日"


class PolicyDocument(IdMixin, TimestampMixin, VersionMixin, CampaignOwnedMixin, ProvenanceMixin, db.Model):
    """A policy on the campaign's policy list (政策清单)."""

    __label__ = "政策"

    __tablename__ = "policy"
    __table_args__ = (UniqueConstraint("campaign_id", "title"),)

    title: Mapped[str] = name_column()
    doc_number: Mapped[str | None] = mapped_column(String(100))
    level: Mapped[str | None] = term_column(Vocabulary.POLICY_LEVEL)
    issuer: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    domain: Mapped[str | None] = mapped_column(String(100))
    compiled_by_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"), index=True)
    compiled_by: Mapped[Unit | None] = relationship()
    compiled_on: Mapped[date | None]

    def __str__(self) -> str:
        return f"{self.title}（{self.doc_number}）" if self.doc_number else self.title


class PolicyPush(IdMixin, TimestampMixin, VersionMixin, db.Model):
    """A policy pushed to an enterprise (政策包) and whether it has been enjoyed (应享尽享)."""

    __label__ = "政策推送"

    __tablename__ = "policy_push"
    __table_args__ = (UniqueConstraint("policy_id", "enterprise_id"),)

    policy_id: Mapped[int] = mapped_column(ForeignKey("policy.id", ondelete="CASCADE"), index=True)
    policy: Mapped[PolicyDocument] = relationship()
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"), index=True)
    enterprise: Mapped[Enterprise] = relationship()
    pushed_on: Mapped[date]
    pushed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    pushed_by: Mapped[Person | None] = relationship()
    enjoyed: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(String(NAME_LENGTH))

    def __str__(self) -> str:
        return f"{self.policy} → {self.enterprise}"
