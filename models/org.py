"""Campaigns, their source documents and their organisation: units, people, bodies and posts."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, event, false, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .base import (
    VersionMixin,
    NAME_LENGTH,
    SHORT,
    CampaignOwnedMixin,
    IdMixin,
    ProvenanceMixin,
    TimestampMixin,
    choice,
    db,
    name_column,
)
from .errors import DomainError
from .vocab import BODY_KINDS, BODY_UNIT_ROLES, POST_ROLES, TOWN_KINDS, UNIT_KINDS, BodyKind


class SourceDocument(IdMixin, TimestampMixin, db.Model):
    """A document the system is modelled on and seeded from (原始文件)."""

    __label__ = "来源文件"

    __tablename__ = "source_document"

    code: Mapped[str] = mapped_column(String(SHORT), unique=True)
    filename: Mapped[str] = mapped_column(String(NAME_LENGTH))
    title: Mapped[str] = name_column()
    raw_text: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)  # normalised: simplified Chinese, annotations removed

    def __str__(self) -> str:
        return self.title


# 一事一评: the five levels of the national 好差评 scale (政务服务“好差评”), best first
DEFAULT_RATING_LEVELS = "非常满意、满意、基本满意、不满意、非常不满意"


def rating_scale(text: str | None) -> list[str]:
    """The levels of a 一事一评 scale as the office writes them (separated by 、 or a comma), best first."""
    text = text if text is not None else DEFAULT_RATING_LEVELS
    return [level.strip() for level in re.split(r"[、,，;；\s]+", text) if level.strip()]


class Campaign(IdMixin, TimestampMixin, VersionMixin, ProvenanceMixin, db.Model):
    """A campaign (专项行动); every campaign-owned row points here."""

    __label__ = "专项行动"

    __tablename__ = "campaign"

    name: Mapped[str] = name_column(unique=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # prefix of problem numbers
    doc_number: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    issuer: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    issued_on: Mapped[date | None]
    region: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    parent_document: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    goals: Mapped[str | None] = mapped_column(Text)
    start_on: Mapped[date | None]
    end_on: Mapped[date | None]
    last_problem_seq: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # numbers problems
    # Settings (专项行动设置): the 推进办 edits them in the panel; every screen, report and export reads them here.
    # (The report days and the visits each linked enterprise needs are the campaign's tasks': 周期日 and 目标.)
    yellow_days: Mapped[int] = mapped_column(Integer, default=3, server_default="3")  # 亮灯: yellow with this many days left
    stale_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")  # 7日无进展
    due_soon_days: Mapped[int] = mapped_column(Integer, default=3, server_default="3")  # 即将到期: the listing's window
    ranking_min_problems: Mapped[int] = mapped_column(Integer, default=3, server_default="3")  # 红黑榜: fewer is 样本不足
    # 交办: the 办理时限 proposed when the problem's type has none, in working days (none: the clerk types it)
    deadline_days: Mapped[int | None] = mapped_column(Integer)
    # 公文 (models.documents): what comes before 〔年份〕N号 in the papers' 文号, e.g. 汨助企办 (none: the bare 〔2024〕12号)
    doc_prefix: Mapped[str | None] = mapped_column(String(32))
    # `flask remind`: overdue beyond this many working days → 蓝色督办, twice as many → 黄色, three times → 红色
    escalate_days: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    # 交办 names a 跟踪督办 person besides the 领办 one (000: 一名处级干部负责领办、一名工作组成员跟踪督办)
    supervisor_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # 一事一评 (the portal): the scale an enterprise rates a result on, best first, and how many of its first levels
    # count as satisfied; a rating below them sends the problem back to the 推进办 for 回访 (models.intake)
    rating_levels: Mapped[str] = mapped_column(String(200), default=DEFAULT_RATING_LEVELS,
                                               server_default=DEFAULT_RATING_LEVELS)
    rating_satisfied: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    # 附件 (models.attachments): the largest file a step, visit or report takes, and what one problem's files may take
    file_max_mb: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    problem_files_max_mb: Mapped[int] = mapped_column(Integer, default=50, server_default="50")
    document_id: Mapped[int | None] = mapped_column(ForeignKey("source_document.id"))
    document: Mapped[SourceDocument | None] = relationship(foreign_keys=[document_id])

    SETTING_LIMITS = {"yellow_days": ("黄灯天数", 0, 90), "stale_days": ("无进展天数", 1, 365),
                      "due_soon_days": ("即将到期天数", 0, 365), "ranking_min_problems": ("红黑榜最少问题数", 1, 1000),
                      "deadline_days": ("默认办理时限", 1, 365), "escalate_days": ("逾期升级督办天数", 1, 120),
                      "rating_satisfied": ("计入满意的评价级数", 1, 9), "file_max_mb": ("每个附件的上限（MB）", 1, 20),
                      "problem_files_max_mb": ("每个问题附件合计的上限（MB）", 1, 1000)}

    def check(self) -> None:
        for key, (label, low, high) in self.SETTING_LIMITS.items():
            value = getattr(self, key)
            if value is not None and not low <= value <= high:
                raise DomainError(f"{label}应在 {low} 至 {high} 之间，当前为 {value}。")
        levels = self.ratings()
        if len(levels) < 2 or len(set(levels)) != len(levels) or any(len(level) > 16 for level in levels):
            raise DomainError("企业评价等级应至少两级、互不相同、每级不超过16个字，从好到差用顿号或逗号分开，"
                              "如 非常满意、满意、基本满意、不满意、非常不满意。")
        if self.rating_satisfied is not None and not 1 <= self.rating_satisfied < len(levels):
            raise DomainError(f"计入满意的评价级数应在 1 至 {len(levels) - 1} 之间（共 {len(levels)} 级），当前为 {self.rating_satisfied}。")
        if self.code is not None and not re.fullmatch(r"[A-Za-z0-9]{1,16}", self.code):
            raise DomainError(f"问题编号前缀“{self.code}”无效：只能用 1 至 16 个字母或数字。")

    def ratings(self) -> list[str]:
        """The 一事一评 scale, best first."""
        return rating_scale(self.rating_levels)

    def number_year(self) -> int | None:
        """The year problem numbers carry: the year the campaign was issued or started, if known."""
        day = self.issued_on or self.start_on
        return day.year if day else None

    def __str__(self) -> str:
        return self.name


def reporting_unit(campaign: Campaign) -> str:
    """Who fills in a report or issues a paper by default: the campaign's office (推进机制办公室), else its issuer."""
    office = db.session.scalar(select(Body.name).where(Body.campaign_id == campaign.id, Body.kind == BodyKind.OFFICE).limit(1))
    return office or campaign.issuer or campaign.name


def campaign_named(name: str | None) -> Campaign:
    """The campaign called `name`; with no name, the only campaign there is. DomainError (Chinese) otherwise."""
    if name:
        campaign = db.session.scalar(select(Campaign).where(Campaign.name == name))
        if campaign is None:
            raise DomainError(f"找不到专项行动“{name}”。")
        return campaign
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.id)).all()
    if len(campaigns) != 1:
        names = "、".join(f"“{c.name}”" for c in campaigns) or "（数据库中还没有专项行动，请先运行 seed）"
        raise DomainError(f"请用 --campaign 指定专项行动，现有：{names}。")
    return campaigns[0]


class StatedFigure(IdMixin, TimestampMixin, VersionMixin, CampaignOwnedMixin, ProvenanceMixin, db.Model):
    """A figure a document states without naming its members (文件数据)."""

    __label__ = "文件所述数据"

    __tablename__ = "stated_figure"
    __table_args__ = (UniqueConstraint("campaign_id", "label"),)

    label: Mapped[str] = name_column()
    value: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    unit: Mapped[str | None] = mapped_column(String(16))
    # The document lists names without stating their number (…等为成员单位): the value counts the listed names.
    counted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    def __str__(self) -> str:
        value = int(self.value) if self.value == int(self.value) else self.value
        return f"{self.label}：{value}{self.unit or ''}" + ("（所列名称数，文件未写此数）" if self.counted else "")


class Unit(IdMixin, TimestampMixin, VersionMixin, CampaignOwnedMixin, ProvenanceMixin, db.Model):
    """An organisation (单位): department, park, town, upper-level office."""

    __label__ = "单位"

    __tablename__ = "unit"
    __table_args__ = (UniqueConstraint("campaign_id", "name"),)

    name: Mapped[str] = name_column()
    full_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    kind: Mapped[str | None] = mapped_column(choice(UNIT_KINDS, "unit_kind"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"), index=True)
    parent: Mapped[Unit | None] = relationship(remote_side="Unit.id")
    email: Mapped[str | None] = mapped_column(String(NAME_LENGTH))  # where its 提醒/催办/督办 are mailed, when mail is set up

    def check(self) -> None:
        if self.email is not None:
            self.email = self.email.strip() or None
        if self.email and not re.fullmatch(r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+", self.email):
            raise DomainError(f"单位“{self.name}”的电子邮箱“{self.email}”格式不对，应形如 office@example.gov.cn。")

    def __str__(self) -> str:
        return self.name


class Person(IdMixin, TimestampMixin, VersionMixin, CampaignOwnedMixin, ProvenanceMixin, db.Model):
    """A named person (人员) with position and unit."""

    __label__ = "人员"

    __tablename__ = "person"

    name: Mapped[str] = mapped_column(String(64), index=True)
    position: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"), index=True)
    unit: Mapped[Unit | None] = relationship()
    phone: Mapped[str | None] = mapped_column(String(32))

    def __str__(self) -> str:
        return f"{self.name}（{self.position}）" if self.position else self.name


class Body(IdMixin, TimestampMixin, VersionMixin, CampaignOwnedMixin, ProvenanceMixin, db.Model):
    """A body of the campaign (机构): 推进机制, its office, 专班, 工作组, 调研小组."""

    __label__ = "机构"

    __tablename__ = "body"
    __table_args__ = (UniqueConstraint("campaign_id", "name"),)

    name: Mapped[str] = name_column()
    full_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    kind: Mapped[str] = mapped_column(choice(BODY_KINDS, "body_kind"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("body.id", ondelete="SET NULL"), index=True)
    parent: Mapped[Body | None] = relationship(remote_side="Body.id")
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"), index=True)
    lead_unit: Mapped[Unit | None] = relationship()
    duties: Mapped[str | None] = mapped_column(Text)
    dissolves_at_end: Mapped[bool] = mapped_column(Boolean, default=False)

    units: Mapped[list[BodyUnit]] = relationship(back_populates="body", cascade="all, delete-orphan")
    posts: Mapped[list[Post]] = relationship(back_populates="body", cascade="all, delete-orphan")
    towns: Mapped[list[BodyTown]] = relationship(back_populates="body", cascade="all, delete-orphan")

    def __str__(self) -> str:
        return self.name


class BodyUnit(IdMixin, TimestampMixin, VersionMixin, ProvenanceMixin, db.Model):
    """A unit's part in a body (参加单位 / 成员单位 / 牵头单位)."""

    __label__ = "参加单位"

    __tablename__ = "body_unit"
    __table_args__ = (UniqueConstraint("body_id", "unit_id", "role"),)

    body_id: Mapped[int] = mapped_column(ForeignKey("body.id", ondelete="CASCADE"), index=True)
    body: Mapped[Body] = relationship(back_populates="units")
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    unit: Mapped[Unit] = relationship()
    role: Mapped[str] = mapped_column(choice(BODY_UNIT_ROLES, "body_unit_role"))

    def __str__(self) -> str:
        return f"{self.body} · {self.unit}（{self.role}）"


class BodyTown(IdMixin, TimestampMixin, VersionMixin, ProvenanceMixin, db.Model):
    """A town or park a working group is linked to (联点镇、园区)."""

    __label__ = "联点镇（园区）"

    __tablename__ = "body_town"
    __table_args__ = (UniqueConstraint("body_id", "unit_id"),)

    body_id: Mapped[int] = mapped_column(ForeignKey("body.id", ondelete="CASCADE"), index=True)
    body: Mapped[Body] = relationship(back_populates="towns")
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    unit: Mapped[Unit] = relationship()

    def __str__(self) -> str:
        return f"{self.body} · {self.unit}"


class Post(IdMixin, TimestampMixin, VersionMixin, ProvenanceMixin, db.Model):
    """A post in a body (职务安排): who, in which role, sent by which unit.

    The person may be unknown when a document names only the sending unit ("各派1名副科级领导担任组长").
    """

    __label__ = "职务安排"
    __tablename__ = "post"

    body_id: Mapped[int] = mapped_column(ForeignKey("body.id", ondelete="CASCADE"), index=True)
    body: Mapped[Body] = relationship(back_populates="posts")
    role: Mapped[str] = mapped_column(choice(POST_ROLES, "post_role"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    person: Mapped[Person | None] = relationship()
    sending_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"), index=True)
    sending_unit: Mapped[Unit | None] = relationship()
    note: Mapped[str | None] = mapped_column(String(NAME_LENGTH))

    def __str__(self) -> str:
        who = self.person.name if self.person else (f"{self.sending_unit}派员" if self.sending_unit else "（未定）")
        return f"{self.body} {self.role}：{who}"


@event.listens_for(Session, "before_flush")
def _keep_units_in_use(session: Session, flush_context, instances) -> None:
    """A unit still named by other rows (an enterprise's 所在镇（园区）, a person's unit, a problem's 责任单位…) is not
    deleted: the database would clear some of those references and refuse others. (Renaming one is fine: rows refer
    to it by id; the audit log keeps the old name.)"""
    for unit in [o for o in session.deleted if isinstance(o, Unit)]:
        uses = []
        for mapper in sorted(db.Model.registry.mappers, key=lambda m: m.local_table.name):  # a stable message
            table = mapper.local_table
            for column in table.columns:
                if any(fk.column is Unit.__table__.c.id for fk in column.foreign_keys) and table is not Unit.__table__:
                    with session.no_autoflush:
                        n = session.scalar(select(func.count()).select_from(table).where(column == unit.id))
                    if n:
                        uses.append(f"{mapper.class_.__label__} {n} 条")
        if uses:
            raise DomainError(f"单位“{unit.name}”仍被其他记录引用（{'、'.join(uses)}），不能删除；可以改名，或先把这些记录改到其他单位。")


def is_town(campaign_id: int | None):
    """The condition on Unit of the campaign's towns and parks, what an enterprise's 所在镇（园区） is: its units of the
    kind 镇 or 园区, and those its working groups are linked to (联点镇、园区). 受理, 新增企业 and the imports use it."""
    linked = select(BodyTown.unit_id).join(Body, Body.id == BodyTown.body_id).where(Body.campaign_id == campaign_id)
    return (Unit.campaign_id == campaign_id) & (Unit.kind.in_(TOWN_KINDS) | Unit.id.in_(linked))


def towns(campaign_id: int | None) -> list[Unit]:
    """The campaign's towns and parks (is_town), by name: the choices of 所在镇（园区）."""
    return db.session.scalars(select(Unit).where(is_town(campaign_id)).order_by(Unit.name)).all()
