"""诉求直报 (the enterprise portal, /portal/): what an enterprise submits, the files it attaches, and the rows that
rate-limit the portal and hold its CAPTCHA answers in the database, so that every worker shares them.

How a 诉求 becomes a ledger problem, is looked up and rated is models.intake; the public pages are portal/.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import FILE_BYTES, NAME_LENGTH, CampaignOwnedMixin, IdMixin, TimestampMixin, VersionMixin, choice, db, local_now
from .enterprise import Enterprise
from .org import Body
from .problem import Problem
from .terms import Vocabulary, term_column


class AppealStatus:
    WAITING = "待受理"
    ACCEPTED = "已受理"
    REFUSED = "不予受理"
    MERGED = "已合并"  # merged into an open problem of the same enterprise (models.intake.merge): problem is that one


APPEAL_STATUSES = (AppealStatus.WAITING, AppealStatus.ACCEPTED, AppealStatus.REFUSED, AppealStatus.MERGED)


class Revisit:
    """回访: an enterprise rated the result 不满意 or worse; the office must reopen the problem or record why not."""

    PENDING = "待回访"
    DONE = "已回访"


class Appeal(IdMixin, TimestampMixin, VersionMixin, CampaignOwnedMixin, db.Model):
    """A 诉求 an enterprise submitted through the portal: it waits in the 待受理 queue until the office (or the working
    group linked to the enterprise) accepts it as a ledger problem or refuses it with a reason the enterprise sees."""

    __label__ = "诉求直报"

    __tablename__ = "appeal"
    __table_args__ = (
        Index("ix_appeal_campaign_status", "campaign_id", "status", "id"),
        Index("ix_appeal_body_status", "body_id", "status"),
        Index("ix_appeal_enterprise", "enterprise_id", "status"),
        Index("ix_appeal_problem", "problem_id"),
    )

    number: Mapped[str | None] = mapped_column(String(24), unique=True)  # 受理编号, from the id once flushed
    code_hash: Mapped[str] = mapped_column(String(200))  # 查询码, hashed (werkzeug pbkdf2); shown once, never stored
    enterprise_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    credit_code: Mapped[str] = mapped_column(String(18))
    contact: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(20))
    category: Mapped[str | None] = term_column(Vocabulary.CATEGORY)
    description: Mapped[str] = mapped_column(Text)
    # the working group whose card (QR code) it came through: the group sees it in its queue
    body_id: Mapped[int | None] = mapped_column(ForeignKey("body.id", ondelete="SET NULL"))
    body: Mapped[Body | None] = relationship()
    # the campaign's enterprise with that 统一社会信用代码, when there is one: its linked group sees the 诉求 too
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id", ondelete="SET NULL"))
    enterprise: Mapped[Enterprise | None] = relationship()
    status: Mapped[str] = mapped_column(choice(APPEAL_STATUSES, "appeal_status"), default=AppealStatus.WAITING)
    reason: Mapped[str | None] = mapped_column(Text)  # 不予受理: why, as the enterprise reads it
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problem.id", ondelete="SET NULL"))
    problem: Mapped[Problem | None] = relationship()
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    decided_at: Mapped[datetime | None]
    # 一事一评: the enterprise's own rating of the result on the campaign's scale (Campaign.rating_levels)
    rating: Mapped[str | None] = mapped_column(String(16))
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None]
    revisit: Mapped[str | None] = mapped_column(String(8))  # 待回访 / 已回访
    address: Mapped[str | None] = mapped_column(String(45))  # the submitter's address, for the office's own checks

    files: Mapped[list[AppealFile]] = relationship(back_populates="appeal", order_by="AppealFile.id",
                                                   cascade="all, delete-orphan")

    def __str__(self) -> str:
        return f"{self.number or '（未编号）'} {self.enterprise_name}"


class AppealFile(IdMixin, db.Model):
    """A picture or PDF attached to a 诉求 (its type checked from its content); carried over to the problem on 受理."""

    __tablename__ = "appeal_file"

    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeal.id", ondelete="CASCADE"), index=True)
    appeal: Mapped[Appeal] = relationship(back_populates="files")
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problem.id", ondelete="SET NULL"), index=True)
    problem: Mapped[Problem | None] = relationship()
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    mime: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(FILE_BYTES, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=local_now)


class PortalHit(IdMixin, db.Model):
    """One use of the portal that a limit counts (a submission by address and by phone, a wrong 查询码 by address):
    in the database, so that every worker counts the same."""

    __tablename__ = "portal_hit"
    __table_args__ = (Index("ix_portal_hit_kind_key_at", "kind", "key", "at"),)

    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(64))  # an address, or a phone number's SHA-256
    at: Mapped[datetime] = mapped_column(DateTime, default=local_now, index=True)


class PortalChallenge(db.Model):
    """An image CAPTCHA's answer (hashed with its token), good for one try within CHALLENGE_MINUTES."""

    __tablename__ = "portal_challenge"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    answer_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=local_now, index=True)
    used: Mapped[bool] = mapped_column(Boolean, default=False)
