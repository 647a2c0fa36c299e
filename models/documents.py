"""Official documents (公文) the panel issues — 交办通知书, 督办单, 催办单, 销号审批单, 旬通报, 周调度 — and their 文号:
one sequence per campaign and year, shared by every kind, so that a 文号 (〔2024〕12号, after the campaign's prefix)
names one paper and is never given twice. A number is taken when the paper is generated; the register keeps which
problems it covers, who made it, and the checksum of the file, so a paper shown later can be matched to the register."""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Table, UniqueConstraint, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import CampaignOwnedMixin, IdMixin, db, local_now
from .org import Campaign
from .problem import Problem


class Kind:
    ASSIGN = "交办通知书"
    SUPERVISE = "督办单"
    URGE = "催办单"
    CLOSE = "销号审批单"
    DEKAD = "旬通报"
    WEEKLY = "周调度"


DOCUMENT_KINDS = (Kind.ASSIGN, Kind.SUPERVISE, Kind.URGE, Kind.CLOSE, Kind.DEKAD, Kind.WEEKLY)

document_problem = Table(
    "official_document_problem",
    db.Model.metadata,
    Column("document_id", ForeignKey("official_document.id", ondelete="CASCADE"), primary_key=True),
    Column("problem_id", ForeignKey("problem.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class OfficialDocument(IdMixin, CampaignOwnedMixin, db.Model):
    """One paper issued, with its 文号."""

    __label__ = "公文登记"

    __tablename__ = "official_document"
    __table_args__ = (UniqueConstraint("campaign_id", "year", "serial"),)

    kind: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(64))  # as printed: prefix〔year〕serial号
    title: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=local_now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_by = relationship("User")
    checksum: Mapped[str | None] = mapped_column(String(64))  # SHA-256 of the generated file
    problems: Mapped[list[Problem]] = relationship(secondary=document_problem)

    def __str__(self) -> str:
        return f"{self.kind} {self.number}"


def number_text(campaign: Campaign, year: int, serial: int) -> str:
    return f"{campaign.doc_prefix or ''}〔{year}〕{serial}号"


def take_number(campaign: Campaign, kind: str, year: int, problems: list[Problem], user=None,
                title: str | None = None) -> OfficialDocument:
    """Register a new paper of `kind` and give it the next 文号 of the campaign's year. Two requests at once cannot
    get the same one: the register's unique key refuses the second, which takes the next."""
    for _ in range(20):
        serial = (db.session.scalar(select(func.max(OfficialDocument.serial)).where(
            OfficialDocument.campaign_id == campaign.id, OfficialDocument.year == year)) or 0) + 1
        paper = OfficialDocument(campaign=campaign, kind=kind, year=year, serial=serial,
                                 number=number_text(campaign, year, serial), title=title,
                                 created_by_id=getattr(user, "id", None), problems=list(problems))
        try:
            with db.session.begin_nested():
                db.session.add(paper)
                db.session.flush()
            return paper
        except IntegrityError:
            continue
    raise RuntimeError("文号分配冲突过多，请稍后重试。")


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
