"""Enterprises, their working-group links (联点), visits (走访) and events (宣讲/会议)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

import unicodedata

from sqlalchemy import select

from .base import VersionMixin, NAME_LENGTH, CampaignOwnedMixin, IdMixin, ProvenanceMixin, TimestampMixin, choice, db, name_column
from .org import Body, Unit, towns
from .errors import DomainError
from .text import refusal
from .uscc import uscc_error
from .terms import Vocabulary, term_column


class Enterprise(IdMixin, TimestampMixin, VersionMixin, CampaignOwnedMixin, ProvenanceMixin, db.Model):
    """An enterprise served by the campaign (企业)."""

    __label__ = "企业"

    __tablename__ = "enterprise"
    __table_args__ = (
        UniqueConstraint("campaign_id", "name"),
        UniqueConstraint("campaign_id", "credit_code"),
    )

    name: Mapped[str] = name_column()
    credit_code: Mapped[str | None] = mapped_column(String(18))
    ownership: Mapped[str | None] = term_column(Vocabulary.OWNERSHIP)
    above_scale: Mapped[bool] = mapped_column(Boolean, default=False)  # 规上
    industry: Mapped[str | None] = mapped_column(String(100))
    town_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"), index=True)
    town: Mapped[Unit | None] = relationship()
    contact: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))

    groups: Mapped[list[EnterpriseGroup]] = relationship(back_populates="enterprise", cascade="all, delete-orphan")

    @validates("credit_code")
    def _check_credit_code(self, key, value):
        if value is None or not value.strip():
            return None
        value = value.strip().upper()
        error = uscc_error(value)
        if error:
            raise DomainError(error)
        return value

    def __str__(self) -> str:
        return self.name


class EnterpriseGroup(IdMixin, TimestampMixin, VersionMixin, ProvenanceMixin, db.Model):
    """A working group's link to an enterprise it serves (联点企业)."""

    __label__ = "联点企业"

    __tablename__ = "enterprise_group"
    __table_args__ = (UniqueConstraint("enterprise_id", "body_id"),)

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"), index=True)
    enterprise: Mapped[Enterprise] = relationship(back_populates="groups")
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id", ondelete="CASCADE"), index=True)
    body: Mapped[Body] = relationship()

    def __str__(self) -> str:
        return f"{self.body} · {self.enterprise}"


class Visit(IdMixin, TimestampMixin, VersionMixin, CampaignOwnedMixin, ProvenanceMixin, db.Model):
    """A working group's visit to an enterprise (走访)."""

    __label__ = "走访记录"

    __tablename__ = "visit"

    body_id: Mapped[int] = mapped_column(ForeignKey("body.id", ondelete="RESTRICT"), index=True)
    body: Mapped[Body] = relationship()
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True)
    enterprise: Mapped["Enterprise"] = relationship()
    visited_on: Mapped[date] = mapped_column(index=True)
    form: Mapped[str] = term_column(Vocabulary.VISIT_FORM, default="实地走访")
    participants: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    summary: Mapped[str | None] = mapped_column(Text)

    def __str__(self) -> str:
        return f"{self.visited_on} {self.body} 走访 {self.enterprise}"


class Event(IdMixin, TimestampMixin, VersionMixin, CampaignOwnedMixin, ProvenanceMixin, db.Model):
    """A meeting or briefing (宣讲/会议) with its attendance."""

    __label__ = "会议"

    __tablename__ = "event"
    __table_args__ = (UniqueConstraint("campaign_id", "title"),)

    kind: Mapped[str] = term_column(Vocabulary.EVENT_KIND)
    title: Mapped[str] = name_column()
    held_on: Mapped[date | None]
    date_text: Mapped[str | None] = mapped_column(String(64))  # the date as the document words it
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("body.id", ondelete="SET NULL"), index=True)
    organiser: Mapped[Body | None] = relationship()
    co_organiser_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"), index=True)
    co_organiser: Mapped[Unit | None] = relationship()
    venue: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    attendance_total: Mapped[int | None] = mapped_column(Integer)
    attendance_cadres: Mapped[int | None] = mapped_column(Integer)  # 机关干部
    attendance_enterprises: Mapped[int | None] = mapped_column(Integer)  # 企业代表
    summary: Mapped[str | None] = mapped_column(Text)

    def __str__(self) -> str:
        return self.title


def add_enterprise(campaign_id: int, user, name: str, credit_code: str | None = None, town_id=None) -> Enterprise:
    """新增企业 from a problem or visit form: a new enterprise of the campaign, its 统一社会信用代码 checked (GB 32100) and
    its 所在镇（园区） one of the campaign's towns; refused, saying which exists, when the campaign has one of the same
    name or code; a working group's is linked to the group (so it stays within the group's scope). Not committed.
    Who may add one is models.scope.FIRM_ADDERS (checked by the caller)."""
    name = " ".join((name or "").split())
    code = unicodedata.normalize("NFKC", credit_code or "").replace(" ", "").upper() or None
    if not name:
        raise DomainError("请填写企业名称。")
    if len(name) > NAME_LENGTH:
        raise DomainError(f"企业名称最多 {NAME_LENGTH} 个字。")
    refused = refusal("企业名称", name) or (code and uscc_error(code))
    if refused:
        raise DomainError(refused)
    same = Enterprise.campaign_id == campaign_id
    named = db.session.scalar(select(Enterprise).where(same, Enterprise.name == name))
    if named is not None:
        raise DomainError(f"企业名单中已有“{named.name}”" + (f"（统一社会信用代码 {named.credit_code}）" if named.credit_code
                                                        else "") + "，请直接选择它。")
    coded = code and db.session.scalar(select(Enterprise).where(same, Enterprise.credit_code == code))
    if coded:
        raise DomainError(f"统一社会信用代码 {code} 已属于企业名单中的“{coded.name}”，请直接选择它（或核对代码）。")
    town = None
    if town_id not in (None, ""):
        town = next((t for t in towns(campaign_id) if str(t.id) == str(town_id)), None)
        if town is None:
            raise DomainError("所选所在镇（园区）不是本专项行动的镇或园区，请重新选择。")
    firm = Enterprise(campaign_id=campaign_id, name=name, credit_code=code, town=town)
    db.session.add(firm)
    if user.role == "group" and user.body_id is not None:
        db.session.add(EnterpriseGroup(enterprise=firm, body_id=user.body_id))
    return firm
