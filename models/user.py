"""Accounts (用户) and the audit log (审计日志)."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .base import IdMixin, TimestampMixin, choice, db, local_now
from .org import Body, Person, Unit
from .errors import DomainError
from .vocab import AUDIT_ACTIONS, ROLE_LABELS, ROLES

MIN_PASSWORD_LENGTH = 8


class User(IdMixin, TimestampMixin, UserMixin, db.Model):
    """A login account with its role and scope (a working group or a unit)."""

    __label__ = "用户"

    __tablename__ = "app_user"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(choice(ROLES, "user_role"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    person: Mapped[Person | None] = relationship()
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"), index=True)
    unit: Mapped[Unit | None] = relationship()
    body_id: Mapped[int | None] = mapped_column(ForeignKey("body.id", ondelete="SET NULL"), index=True)
    body: Mapped[Body | None] = relationship()
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None]

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return bool(self.active)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    def set_password(self, password: str) -> None:
        """Store a salted hash of `password`, refusing one that is too short."""
        if len(password or "") < MIN_PASSWORD_LENGTH:
            raise DomainError(f"密码至少需要{MIN_PASSWORD_LENGTH}个字符。")
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Whether `password` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def __str__(self) -> str:
        return f"{self.display_name}（{self.username}）" if self.display_name else self.username


class AuditLog(IdMixin, db.Model):
    """One insert, update or delete: who, when, which row, old and new values."""

    __label__ = "审计日志"

    __tablename__ = "audit_log"

    at: Mapped[datetime] = mapped_column(default=local_now, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"), index=True)
    user: Mapped[User | None] = relationship()
    username: Mapped[str | None] = mapped_column(String(64))  # kept when the account is gone; "cli:…" for commands
    table_name: Mapped[str] = mapped_column(String(64), index=True)
    row_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(choice(AUDIT_ACTIONS, "audit_action"))
    changes: Mapped[dict | None] = mapped_column(JSON)

    def __str__(self) -> str:
        return f"{self.at} {self.username} {self.action} {self.table_name}#{self.row_id}"
