"""Reminders (提醒 / 催办 / 督办): the automatic ladder `flask remind` climbs once a day, and the outbox that carries a
reminder or a 催办 beyond the panel (e-mail, a group robot; ops.delivery sends it).

The ladder, for each running problem with a deadline, by its campaign's settings and the work calendar:
  提醒      at most `yellow_days` working days left (the yellow light);
  催办      past the deadline by up to `escalate_days` working days;
  蓝色督办  past it by more than `escalate_days` working days, 黄色督办 by more than twice as many, 红色督办 three times.
A problem gets each level once per deadline (an extension starts the ladder again), so running the command again the
same day, or every quarter of an hour, adds nothing. Each reminder is a line on the problem's timeline, written by
the system (no author), and waits unread on the responsible unit's desk (新批示与催办) until someone there opens the
problem; the reminder then records when it was read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import (Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, and_, exists, func,
                        insert, literal, or_, select, update)
from sqlalchemy.orm import Mapped, aliased, mapped_column, relationship

from .base import IdMixin, db, local_now
from .calendar import add_workdays, yellow_horizon
from .org import Campaign, Unit
from .portal import Appeal
from .problem import Problem, ProblemUpdate
from .steps import STEPS, StepName
from .vocab import RUNNING_STATUSES, Status


class Level:
    REMIND = "提醒"
    URGE = "催办"
    BLUE = "蓝色督办"
    YELLOW = "黄色督办"
    RED = "红色督办"


LADDER = (Level.REMIND, Level.URGE, Level.BLUE, Level.YELLOW, Level.RED)
# the timeline's step for each (models.steps: the manual 催办 step is “催办”, so the system's own say 自动)
STEP_OF = {Level.REMIND: StepName.AUTO_REMIND, Level.URGE: StepName.AUTO_URGE, Level.BLUE: StepName.BLUE,
           Level.YELLOW: StepName.YELLOW, Level.RED: StepName.RED}
# What the office, a leader or an enterprise did that the responsible unit must hear of, beyond the panel too (the
# outbox): the ladder's lines, 催办, 挂牌督办 and 重新办理; and an enterprise's 不满意 (below, `unit_notice`).
OUTGOING = (*STEP_OF.values(), StepName.URGE, StepName.FLAG, StepName.REOPEN)
# What waits unread on the unit's desk (新批示与催办): the outgoing lines, a leader's 批示 and the office's decision on
# a 延期 request, and an enterprise's 不满意.
NOTICES = (*OUTGOING, StepName.COMMENT, StepName.APPROVE_EXTENSION, StepName.REJECT_EXTENSION)


def unsatisfied(line=ProblemUpdate):
    """A SQL condition: the timeline line `line` is an enterprise's rating (一事一评) below its campaign's satisfied
    levels, one that called for a 回访 (models.intake.rate): the problem's 诉求 has a 回访, pending or done, and no later
    rating followed (an earlier 满意 of a result sent back since is not one; a 不满意 answered by a later 满意 no longer)."""
    later = aliased(ProblemUpdate)
    return and_(line.step == StepName.RATED,
                exists().where(Appeal.problem_id == line.problem_id, Appeal.revisit.is_not(None)),
                ~exists().where(later.problem_id == line.problem_id, later.step == StepName.RATED,
                                later.id > line.id))


def unit_notice(line=ProblemUpdate, steps: tuple[str, ...] = NOTICES):
    """A SQL condition: the timeline line `line` is news for the responsible unit (one of `steps`, or an enterprise's
    不满意)."""
    return or_(line.step.in_(steps), unsatisfied(line))


class Reminder(IdMixin, db.Model):
    """One rung of the ladder reached by one problem on one day."""

    __label__ = "自动提醒"

    __tablename__ = "reminder"
    __table_args__ = (UniqueConstraint("problem_id", "level", "day"),)

    problem_id: Mapped[int] = mapped_column(ForeignKey("problem.id", ondelete="CASCADE"), index=True)
    problem: Mapped[Problem] = relationship()
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"), index=True)  # to whom
    unit: Mapped[Unit | None] = relationship()
    level: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)  # the day the ladder reached it
    deadline: Mapped[date] = mapped_column(Date)  # the deadline it was about (a new one starts the ladder again)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=local_now)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)  # when someone of the unit first opened the problem
    update_id: Mapped[int | None] = mapped_column(ForeignKey("problem_update.id", ondelete="SET NULL"))


class Delivery(IdMixin, db.Model):
    """One message of the outbox: a timeline line (a reminder, a 催办) to one address on one channel. Unique, so
    nothing is sent twice; sent by ops.delivery outside any request, retried a bounded number of times."""

    __label__ = "外发消息"

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("update_id", "channel", "address"),)

    update_id: Mapped[int] = mapped_column(ForeignKey("problem_update.id", ondelete="CASCADE"), index=True)
    update: Mapped[ProblemUpdate] = relationship()
    channel: Mapped[str] = mapped_column(String(16))  # 邮件, 企业微信, 钉钉
    address: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="待发送", index=True)  # 待发送, 发送中, 已发送, 失败
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=local_now)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)  # when a run took it (发送中): its lease runs from here
    resent_at: Mapped[datetime | None] = mapped_column(DateTime)  # when someone last asked for it again (重新发送)
    resent_by: Mapped[str | None] = mapped_column(String(100))  # who did


QUEUE_LOOKBACK_DAYS = 2  # a 催办 typed in the panel goes out with the next run, if that is within two days
PENDING, SENDING, SENT, FAILED = "待发送", "发送中", "已发送", "失败"
STATUSES = (PENDING, SENDING, SENT, FAILED)
EMAIL, WECOM, DINGTALK = "邮件", "企业微信", "钉钉"
ROBOTS = (WECOM, DINGTALK)  # one group robot, whichever kind: a line delivered to it is never queued again for it
SECRET_PARAMETER = re.compile(r"((?:access_token|key|sign|secret|token)=)([^&#\s]+)", re.I)


def notes(campaign: Campaign) -> dict[str, str]:
    """What each rung says on the timeline and in the message."""
    days = campaign.escalate_days
    return {
        Level.REMIND: f"办理时限临近（不超过{campaign.yellow_days}个工作日），请抓紧办理并及时报告进展。",
        Level.URGE: "已超过办理时限，请立即办理并报告进展；确需延期的请申请延期。",
        Level.BLUE: f"逾期超过{days}个工作日，升级为蓝色督办。",
        Level.YELLOW: f"逾期超过{days * 2}个工作日，升级为黄色督办。",
        Level.RED: f"逾期超过{days * 3}个工作日，升级为红色督办。",
    }


def rungs(campaign: Campaign, today: date) -> dict[str, object]:
    """The SQL condition on a running problem's deadline for each rung, on `today`."""
    horizon = yellow_horizon(today, campaign.yellow_days)
    back = [add_workdays(today, -campaign.escalate_days * k) for k in (1, 2, 3)]
    deadline = Problem.deadline
    return {
        Level.REMIND: and_(deadline >= today, deadline <= horizon),
        Level.URGE: and_(deadline < today, deadline >= back[0]),
        Level.BLUE: and_(deadline < back[0], deadline >= back[1]),
        Level.YELLOW: and_(deadline < back[1], deadline >= back[2]),
        Level.RED: deadline < back[2],
    }


@dataclass
class LadderRun:
    today: date
    made: dict[str, int]
    queued: int = 0

    @property
    def total(self) -> int:
        return sum(self.made.values())


def climb(today: date, now: datetime | None = None) -> LadderRun:
    """Put every running problem on its rung for `today` (a new Reminder and a timeline line for each rung a problem
    reaches for its current deadline) and queue the messages; the caller commits. Set-based: a few statements per
    campaign and rung, whatever the number of problems."""
    now = (now or local_now()).replace(microsecond=0)  # as MariaDB's DATETIME keeps it: the run's lines are found by it
    run = LadderRun(today, dict.fromkeys(LADDER, 0))
    for campaign in db.session.scalars(select(Campaign).order_by(Campaign.id)):
        for level, condition in rungs(campaign, today).items():
            reached = exists().where(Reminder.problem_id == Problem.id, Reminder.level == level,
                                     Reminder.deadline == Problem.deadline)
            rows = (select(Problem.id, Problem.responsible_unit_id, literal(level), literal(today, Date),
                           Problem.deadline, literal(now, DateTime))
                    .where(Problem.campaign_id == campaign.id, Problem.status.in_(RUNNING_STATUSES),
                           Problem.deadline.is_not(None), condition, ~reached))
            db.session.execute(insert(Reminder).from_select(
                ["problem_id", "unit_id", "level", "day", "deadline", "created_at"], rows))
            mine = and_(Reminder.level == level, Reminder.day == today, Reminder.update_id.is_(None),
                        Reminder.created_at == now)
            db.session.execute(insert(ProblemUpdate).from_select(
                ["problem_id", "created_at", "step", "action", "note", "version"],
                select(Reminder.problem_id, literal(now, DateTime), literal(STEP_OF[level]),
                       literal(STEPS[STEP_OF[level]].label), literal(notes(campaign)[level]), literal(1)).where(mine)))
            line = (select(func.max(ProblemUpdate.id)).where(ProblemUpdate.problem_id == Reminder.problem_id,
                                                              ProblemUpdate.step == STEP_OF[level],
                                                              ProblemUpdate.created_at == now).scalar_subquery())
            # counted by the UPDATE that links them to their lines (an INSERT … SELECT's row count is not reliable
            # on every driver: psycopg reports none)
            run.made[level] += db.session.execute(update(Reminder).where(mine).values(update_id=line)
                                                  .execution_options(synchronize_session=False)).rowcount
    run.queued = queue_new(now - timedelta(days=QUEUE_LOOKBACK_DAYS), now)
    return run


def channels() -> list[tuple[str, str | None]]:
    """The channels set up in the environment (app config): e-mail goes to each unit's address, a group robot to
    its one webhook."""
    if not has_app_context():
        return []
    config = current_app.config
    found = []
    if config.get("SMTP_HOST"):
        found.append((EMAIL, None))
    kind = (config.get("WEBHOOK_KIND") or "").lower()
    if config.get("WEBHOOK_URL"):
        found.append((DINGTALK if kind == "dingtalk" else WECOM, config["WEBHOOK_URL"]))
    return found


def queue_new(since: datetime, now: datetime) -> int:
    """Queue the messages for the outgoing timeline lines (the ladder's; 催办, 挂牌督办 and 重新办理 taken in the panel;
    an enterprise's 不满意) of assigned problems written at or after `since` that have none yet: one per channel (to the responsible unit's e-mail, when it has one; to the group
    robot, whichever kind and address it has now: a line it already has is not queued again when they change). How
    many were queued, counted as those stamped `now`."""
    for channel, address in channels():
        robot = channel in ROBOTS
        target = literal(masked(address)) if robot else Unit.email  # the robot's secret never reaches the table
        already = Delivery.channel.in_(ROBOTS) if robot else Delivery.channel == channel
        rows = (select(ProblemUpdate.id, literal(channel), target, literal(PENDING), literal(0), literal(now, DateTime))
                .join(Problem, Problem.id == ProblemUpdate.problem_id)
                .join(Unit, Unit.id == Problem.responsible_unit_id)
                .where(ProblemUpdate.created_at >= since, unit_notice(ProblemUpdate, OUTGOING),
                       Problem.status != Status.UNASSIGNED,  # not yet the unit's (交办 tells it)
                       target.is_not(None),
                       ~exists().where(Delivery.update_id == ProblemUpdate.id, already)))
        db.session.execute(insert(Delivery).from_select(
            ["update_id", "channel", "address", "status", "attempts", "created_at"], rows))
    return db.session.scalar(select(func.count(Delivery.id)).where(Delivery.created_at == now)) if channels() else 0


def masked(text: str | None) -> str | None:
    """`text` with the secret of every key=, access_token=, sign= or secret= parameter hidden but its last four
    characters (enough to tell two robots apart): for the pages and the table, which coordinators read."""
    if not text:
        return text
    def hide(match):
        secret = match.group(2)
        if secret.startswith("****"):  # masked already
            return match.group(0)
        return match.group(1) + "****" + (secret[-4:] if len(secret) > 8 else "")

    return SECRET_PARAMETER.sub(hide, text)


RESENDABLE = (FAILED, PENDING)


def resend(query, who: str, now: datetime) -> tuple[int, int]:
    """Put the messages of `query` (a query of Delivery, already narrowed to what the user may change) that have not
    gone out back in the queue, due at once and with all their attempts again (重新发送): `flask remind` sends them on
    its next run. (How many were queued again, how many were left because they were sent or are being sent.)"""
    rows = query.with_entities(Delivery.id, Delivery.status).all()
    ids = [pk for pk, status in rows if status in RESENDABLE]
    if ids:
        db.session.execute(update(Delivery).where(Delivery.id.in_(ids), Delivery.status.in_(RESENDABLE))
                           .values(status=PENDING, attempts=0, next_try_at=None, resent_at=now, resent_by=who[:100])
                           .execution_options(synchronize_session=False))
    return len(ids), len(rows) - len(ids)


def mark_read(unit_id: int | None, problem_id: int, now: datetime) -> None:
    """Someone of `unit_id` opened the problem: its reminders to that unit are read."""
    if unit_id is None:
        return
    db.session.execute(update(Reminder).where(Reminder.problem_id == problem_id, Reminder.unit_id == unit_id,
                                              Reminder.read_at.is_(None)).values(read_at=now)
                       .execution_options(synchronize_session=False))
