"""The problem ledger (问题台账): problems, their progress updates (办理进展) and periodic reports (报送)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Column, Computed, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint,
                        event, inspect, select, text, update)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .base import (VersionMixin, NAME_LENGTH, CampaignOwnedMixin, IdMixin, ProvenanceMixin, TimestampMixin, choice, db, local_now,
                   only_on)
from .enterprise import Enterprise
from .errors import DomainError
from .org import Body, Campaign, Person, Unit
from .terms import Vocabulary, term_column
from .vocab import PROXY_CHANNELS, PROBLEM_STATUSES, REPORT_KINDS, RUNNING_STATUSES, Escalation, Status

# The ledger's "most urgent first" order needs no date: a running problem's light (红, 黄, 绿) follows its
# deadline, so running problems with a deadline come first (by deadline), then 待交办, then the rest, a missing
# deadline last within each. The database computes this rank from status and deadline, so every write path
# (screens, imports, bulk inserts) keeps it, and an index on it serves the default page without a sort.
def urgency_sql(table: str = "") -> str:
    """The rank's SQL, its columns qualified by table when given (a query that joins may name two statuses)."""
    status, deadline = f"{table}status", f"{table}deadline"
    return (f"CASE WHEN {status} IN ({', '.join(repr(s) for s in RUNNING_STATUSES)}) AND {deadline} IS NOT NULL THEN 0"
            f" WHEN {status} = '{Status.UNASSIGNED}' THEN (CASE WHEN {deadline} IS NULL THEN 2 ELSE 1 END)"
            f" WHEN {deadline} IS NULL THEN 4 ELSE 3 END")


URGENCY_SQL = urgency_sql()


class Urgency(ColumnElement):
    """The rank as a query orders by it: the generated column problem.urgency, except on SQLite, where the
    expression itself. SQLite (3.40) never reads an index as covering once a query touches a generated column,
    so a working group's deep page read 100,000 rows of the table; an index on the expression it does read alone
    (ix_problem_campaign_urgency_expr), provided the query spells the expression as the index does."""
    inherit_cache = True
    _traverse_internals = []  # no state of its own: every Urgency is the same, so a query ordered by it is cached
    type = Integer()


@compiles(Urgency)
def _urgency_column(element, compiler, **kw):
    return compiler.process(Problem.__table__.c.urgency, **kw)


@compiles(Urgency, "sqlite")
def _urgency_expression(element, compiler, **kw):
    return f"({urgency_sql('problem.')})"

problem_co_unit = Table(
    "problem_co_unit",
    db.Model.metadata,
    Column("problem_id", ForeignKey("problem.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True),
)


class Problem(IdMixin, TimestampMixin, VersionMixin, CampaignOwnedMixin, ProvenanceMixin, db.Model):
    """One row of the ledger (问题台账)."""

    __label__ = "问题"

    __tablename__ = "problem"
    __table_args__ = (
        UniqueConstraint("campaign_id", "number"),
        CheckConstraint("deadline IS NULL OR assigned_on IS NULL OR assigned_on <= deadline", name="deadline_order"),
        # A campaign's problems of a status by deadline, then by id: a desk line's first problems read in order.
        Index("ix_problem_status_queue", "campaign_id", "status", "deadline", "id"),
        # A working group's, a unit's or an enterprise's problems, counted from the index alone within a campaign, by
        # status (and, for a unit, by deadline: what it must sign for, what is overdue).
        Index("ix_problem_enterprise_scope", "enterprise_id", "campaign_id", "collected_by_body_id"),
        Index("ix_problem_body_scope", "collected_by_body_id", "campaign_id", "status"),
        Index("ix_problem_unit_scope", "responsible_unit_id", "campaign_id", "status", "deadline", "id",
              "collected_by_body_id", "enterprise_id"),  # (and what a working group's scope tests: its filter by unit)
    )

    number: Mapped[str] = mapped_column(String(32))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"))
    enterprise: Mapped[Enterprise | None] = relationship()
    description: Mapped[str] = mapped_column(Text)
    demand: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = term_column(Vocabulary.CATEGORY, index=True)
    nature: Mapped[str | None] = term_column(Vocabulary.NATURE)
    source: Mapped[str | None] = term_column(Vocabulary.SOURCE)
    collected_by_body_id: Mapped[int | None] = mapped_column(ForeignKey("body.id", ondelete="SET NULL"))
    collected_by_body: Mapped[Body | None] = relationship(foreign_keys=[collected_by_body_id])
    collected_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    collected_by_person: Mapped[Person | None] = relationship(foreign_keys=[collected_by_person_id])
    collected_on: Mapped[date | None] = mapped_column(index=True)
    responsible_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    responsible_unit: Mapped[Unit | None] = relationship(foreign_keys=[responsible_unit_id])
    co_units: Mapped[list[Unit]] = relationship(secondary=problem_co_unit)
    lead_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    lead_person: Mapped[Person | None] = relationship(foreign_keys=[lead_person_id])  # 领办
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    supervisor: Mapped[Person | None] = relationship(foreign_keys=[supervisor_id])  # 督办
    assigned_on: Mapped[date | None]
    deadline: Mapped[date | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(choice(PROBLEM_STATUSES, "problem_status"), default=Status.UNASSIGNED, index=True)
    escalation_level: Mapped[str] = term_column(Vocabulary.ESCALATION, default=Escalation.LOCAL, index=True)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, index=True)  # 挂牌督办
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_on: Mapped[date | None]  # 办结
    closed_on: Mapped[date | None]  # 销号
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    closed_by = relationship("User", foreign_keys=[closed_by_id])
    satisfaction: Mapped[str | None] = term_column(Vocabulary.SATISFACTION)
    remark: Mapped[str | None] = mapped_column(Text)
    progress: Mapped[str | None] = mapped_column(Text)  # the latest step of the timeline, as the ledger shows it
    last_progress_at: Mapped[datetime | None] = mapped_column(index=True)
    extension_requested_until: Mapped[date | None]  # a 申请延期 awaiting the office's decision
    # 已合并: the open problem of the same enterprise this one was merged into (models.workflow.merge), kept as a link
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("problem.id", ondelete="SET NULL"), index=True)
    merged_into: Mapped[Problem | None] = relationship(remote_side="Problem.id", foreign_keys=[merged_into_id])
    urgency: Mapped[int] = mapped_column(Computed(URGENCY_SQL))  # see URGENCY_SQL; never written by the app

    updates: Mapped[list[ProblemUpdate]] = relationship(
        back_populates="problem", cascade="all, delete-orphan", order_by="(ProblemUpdate.created_at, ProblemUpdate.id)"
    )

    def before_save(self) -> None:
        if self.last_progress_at is None:
            self.last_progress_at = local_now()

    def check(self) -> None:
        if self.assigned_on and self.deadline and self.assigned_on > self.deadline:
            raise DomainError("办理时限不能早于交办日期。")

    def __str__(self) -> str:
        return f"{self.number} {self.enterprise or ''}".strip()


# The ledger's default order (ledger.urgency_order) within a campaign, read straight off this index; the columns
# after it are those the roles' scopes and the common filters test, so a page's ids come from the index alone.
# On SQLite the same index is on the rank's expression (see Urgency).
_URGENCY_INDEX_TAIL = (Problem.deadline, Problem.id.desc(), Problem.status, Problem.collected_by_body_id,
                       Problem.enterprise_id, Problem.responsible_unit_id)
only_on(Index("ix_problem_campaign_urgency", Problem.campaign_id, Problem.urgency, *_URGENCY_INDEX_TAIL),
        "postgresql", "mysql", "mariadb")
only_on(Index("ix_problem_campaign_urgency_expr", Problem.campaign_id, text(f"({URGENCY_SQL})"), *_URGENCY_INDEX_TAIL),
        "sqlite")


# The few problems a desk line looks for among many (models.desk): flagged, escalated, with a 延期 request waiting.
# Partial indexes on SQLite and PostgreSQL hold only those rows (their conditions are written exactly as models.ledger
# and models.desk write them, which is how the planner knows to use them); MariaDB, which has none, indexes them all.
# The column the condition tests comes last, so that the index alone answers the count.
for name, column, condition in (
        ("ix_problem_flagged_open", Problem.flagged, Problem.flagged == True),  # noqa: E712 (SQL, not Python)
        ("ix_problem_escalated", Problem.escalation_level, Problem.escalation_level != Escalation.LOCAL),
        ("ix_problem_extension", Problem.extension_requested_until, Problem.extension_requested_until.is_not(None))):
    Index(name, Problem.campaign_id, Problem.status, column, sqlite_where=condition, postgresql_where=condition)


class ProblemUpdate(IdMixin, VersionMixin, db.Model):
    """A step in a problem's handling (办理进展): a transition or a progress note."""

    __label__ = "办理进展"

    __tablename__ = "problem_update"
    # What happened of a kind (a 批示, a 退回…) to which problem and when: the desk's notices and 待批示, from the index.
    __table_args__ = (Index("ix_problem_update_step", "step", "problem_id", "created_at", "author_id"),)

    problem_id: Mapped[int] = mapped_column(ForeignKey("problem.id", ondelete="CASCADE"), index=True)
    problem: Mapped[Problem] = relationship(back_populates="updates")
    created_at: Mapped[datetime] = mapped_column(default=local_now, index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    author = relationship("User")
    from_status: Mapped[str | None] = mapped_column(choice(PROBLEM_STATUSES, "update_from_status"))
    to_status: Mapped[str | None] = mapped_column(choice(PROBLEM_STATUSES, "update_to_status"))
    step: Mapped[str] = mapped_column(String(32))  # the step's code (models.steps.STEPS): what happened
    action: Mapped[str] = mapped_column(String(32))  # the step's label when it was written (a record; screens show `label`)
    note: Mapped[str | None] = mapped_column(Text)
    # 代录: the unit whose step the 推进办 entered on its behalf, and the channel the unit's answer came by
    on_behalf_of_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"))
    on_behalf_of_unit: Mapped[Unit | None] = relationship()
    channel: Mapped[str | None] = mapped_column(choice(PROXY_CHANNELS, "update_channel"))

    recorded = False  # set by models.workflow.record, the only way onto a timeline
    label_of = staticmethod(lambda code, written: written)  # models.steps.label, set by models.steps (it imports us)

    @property
    def label(self) -> str:
        """The step's label as declared now (models.steps), whatever it was called when written."""
        return self.label_of(self.step, self.action)

    @property
    def heading(self) -> str:
        """The line's title on the timeline: the step's label, and for a step entered on a unit's behalf, by whom, how
        and for whom, e.g. 报告进展（推进办代录·微信，代市发改局）."""
        if not self.channel:
            return self.label
        unit = f"，代{self.on_behalf_of_unit}" if self.on_behalf_of_unit is not None else ""
        return f"{self.label}（推进办代录·{self.channel}{unit}）"

    def check(self) -> None:
        """The timeline is written by the workflow's steps alone (their role, status and scope rules), and never
        rewritten: a step taken stays in the record."""
        state = inspect(self)
        if state.persistent and state.modified:
            raise DomainError("办理进展记录一经写入不能修改。")
        if not state.persistent and not self.recorded:
            raise DomainError("办理进展只能通过问题的办理步骤添加（如报告进展、领导批示）。")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d} {self.heading}"


class ProblemRead(db.Model):
    """When a user last opened a problem: what happened on it since is new to them (their desk's 新消息). Bookkeeping
    of reading, not a change of the ledger, so the audit trail leaves it out."""

    __label__ = "阅读记录"

    __tablename__ = "problem_read"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problem.id", ondelete="CASCADE"), primary_key=True, index=True)
    read_at: Mapped[datetime] = mapped_column(default=local_now)


class Report(IdMixin, TimestampMixin, VersionMixin, CampaignOwnedMixin, db.Model):
    """A periodic submission (报送): a body's 周调度 or 旬通报 for one period."""

    __label__ = "报送记录"

    __tablename__ = "report"
    __table_args__ = (
        UniqueConstraint("campaign_id", "kind", "period_start", "body_id"),
        CheckConstraint("period_start <= period_end", name="period_order"),
    )

    kind: Mapped[str] = mapped_column(choice(REPORT_KINDS, "report_kind"))
    period_start: Mapped[date]
    period_end: Mapped[date]
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id", ondelete="RESTRICT"), index=True)
    body: Mapped[Body] = relationship()
    submitted_at: Mapped[datetime | None]
    content: Mapped[str | None] = mapped_column(Text)
    filename: Mapped[str | None] = mapped_column(String(NAME_LENGTH))

    def check(self) -> None:
        if self.period_start and self.period_end and self.period_start > self.period_end:
            raise DomainError("期间开始日期不能晚于期间结束日期。")

    def __str__(self) -> str:
        return f"{self.body} {self.kind} {self.period_start}～{self.period_end}"


def reserve_problem_numbers(session: Session, campaign: Campaign, count: int = 1) -> list[str]:
    """Reserve the campaign's next `count` problem numbers, e.g. SJY-2024-0001 (SSYF-0001 when the year is unknown).

    The counter is bumped with one UPDATE, which locks the campaign row until commit, so two concurrent writers never
    receive the same number; a flush of many new problems (an import) reserves them all at once.
    """
    session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id)
        .values(last_problem_seq=Campaign.last_problem_seq + count)
        .execution_options(synchronize_session=False)
    )
    last = session.scalar(select(Campaign.last_problem_seq).where(Campaign.id == campaign.id))
    year = campaign.number_year()
    return [f"{campaign.code}-{year}-{seq:04d}" if year else f"{campaign.code}-{seq:04d}"
            for seq in range(last - count + 1, last + 1)]


@event.listens_for(Session, "before_flush")
def _number_new_problems(session: Session, flush_context, instances) -> None:
    """Give every new problem without a number the next one of its campaign, whoever creates it."""
    waiting: dict[int, tuple[Campaign, list[Problem]]] = {}
    for obj in list(session.new):
        if isinstance(obj, Problem) and not obj.number:
            campaign = obj.campaign or (session.get(Campaign, obj.campaign_id) if obj.campaign_id else None)
            if campaign is None or campaign.id is None:
                raise DomainError("问题必须属于一个已保存的专项行动。")
            waiting.setdefault(campaign.id, (campaign, []))[1].append(obj)
    for campaign, problems in waiting.values():
        for problem, number in zip(problems, reserve_problem_numbers(session, campaign, len(problems))):
            problem.number = number
