"""Accounts (用户) and the audit log (审计日志)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, false as sa_false, ForeignKey, Index, String, delete, func, select, update
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .base import VersionMixin, IdMixin, TimestampMixin, choice, db, local_now
from .org import Body, Campaign, Person, Unit
from .errors import DomainError
from .vocab import AUDIT_ACTIONS, ROLE_LABELS, ROLES, BodyKind

MIN_PASSWORD_LENGTH = 8
DEFAULT_HASH_METHOD = "scrypt"
MAX_LOGIN_FAILURES = 5
LOGIN_WINDOW = timedelta(minutes=15)  # 5 failures within it lock the account and the address ...
LOGIN_LOCKOUT = timedelta(minutes=15)  # ... for this long
SESSION_MAX_AGE = timedelta(days=7)  # a login lasts at most this long, whatever the browser keeps


class User(IdMixin, TimestampMixin, VersionMixin, UserMixin, db.Model):
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
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id", ondelete="SET NULL"), index=True)
    campaign: Mapped[Campaign | None] = relationship()
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None]
    ledger_all_columns: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())  # 附件2 全列

    def before_save(self) -> None:
        """A unit or working group fixes the account's campaign."""
        scope = self.body if self.role == "group" else self.unit if self.role == "handler" else None
        if scope is not None:
            self.campaign = scope.campaign

    def check(self) -> None:
        if self.role == "group" and (self.body is None or self.body.kind != BodyKind.WORKING_GROUP):
            raise DomainError("工作组角色的账号必须指定所属工作组。")
        if self.role == "handler" and self.unit is None:
            raise DomainError("责任单位角色的账号必须指定所属单位。")
        if self.role in ("coordinator", "leader") and self.campaign is None:
            raise DomainError("推进办和领导角色的账号必须指定专项行动。")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return bool(self.active)

    login_token = None  # the current login's secret, when the user logged in or was loaded by it

    def get_id(self) -> str:
        """The session's user key: the account and its login (UserSession), which logout, a new password or the
        login's age end on the server, whoever holds a copy of the cookie."""
        return f"{self.id}:{self.login_token}"

    def password_mark(self) -> str:
        """A mark of the current password: logins made with an older one no longer count."""
        return hashlib.sha256((self.password_hash or "").encode()).hexdigest()[:16]

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    def set_password(self, password: str) -> None:
        """Store a salted hash of `password`, refusing one that is too short."""
        if len(password or "") < MIN_PASSWORD_LENGTH:
            raise DomainError(f"密码至少需要{MIN_PASSWORD_LENGTH}个字符。")
        method = current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else DEFAULT_HASH_METHOD
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        """Whether `password` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def start_login(self) -> str:
        """Open a login (UserSession) and return its secret; expired logins of every account are cleared out."""
        now = local_now()
        db.session.execute(delete(UserSession).where(UserSession.created_at < now - SESSION_MAX_AGE))
        self.login_token = secrets.token_urlsafe(32)
        db.session.add(UserSession(user=self, token_hash=token_hash(self.login_token), password_mark=self.password_mark(),
                                   created_at=now))
        return self.login_token

    def keep_login(self) -> None:
        """After a new password: this login goes on (the others, made with the old one, have ended)."""
        db.session.execute(update(UserSession).where(UserSession.token_hash == token_hash(self.login_token or ""))
                           .values(password_mark=self.password_mark()))

    def end_login(self) -> None:
        """Log out: this login no longer opens anything, even from a copy of its cookie."""
        db.session.execute(delete(UserSession).where(UserSession.token_hash == token_hash(self.login_token or "")))

    def __str__(self) -> str:
        return f"{self.display_name}（{self.username}）" if self.display_name else self.username

    @property
    def shown_name(self) -> str:
        """Who the user is, as colleagues know them: the name, else the unit or working group, else the role."""
        scope = self.body or self.unit
        return self.display_name or (scope.name if scope is not None else self.role_label)


class LoginAttempt(IdMixin, db.Model):
    """One login attempt, kept so that every server process applies the same throttling."""

    __tablename__ = "login_attempt"
    __label__ = "登录尝试"
    __table_args__ = (
        Index("ix_login_attempt_username_at", "username", "at"),
        Index("ix_login_attempt_address_at", "address", "at"),
    )

    at: Mapped[datetime] = mapped_column(default=local_now)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)

    def __str__(self) -> str:
        return f"{self.at} {self.username}@{self.address} {'成功' if self.succeeded else '失败'}"


def token_hash(token: str) -> str:
    """What is stored of a login's secret: a database reader cannot log in with it."""
    return hashlib.sha256(token.encode()).hexdigest()


class UserSession(IdMixin, db.Model):
    """One login, from logging in to logging out (or a new password, deactivation, or SESSION_MAX_AGE)."""

    __tablename__ = "user_session"
    __label__ = "登录会话"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    user: Mapped[User] = relationship()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    password_mark: Mapped[str] = mapped_column(String(16))  # User.password_mark() when it began
    created_at: Mapped[datetime] = mapped_column(default=local_now, index=True)


def logged_in_user(user_id: str, token: str) -> User | None:
    """The account of a login that still holds: active, its password unchanged, younger than SESSION_MAX_AGE."""
    if not user_id.isdigit() or not token:
        return None
    found = db.session.execute(
        select(User, UserSession.password_mark).join(UserSession, UserSession.user_id == User.id)
        # the campaign its pages are about (settings, the campaigns it sees), and the unit or group it works for
        .options(joinedload(User.campaign), joinedload(User.unit), joinedload(User.body))
        .where(UserSession.token_hash == token_hash(token), User.id == int(user_id),
               UserSession.created_at >= local_now() - SESSION_MAX_AGE)
    ).first()
    if found is None:
        return None
    user, mark = found
    if not user.active or not secrets.compare_digest(mark, user.password_mark()):
        return None
    user.login_token = token
    return user


class LoginLock(db.Model):
    """One row per account name and per address that login attempts take turns on (claim_login_attempt); the portal's
    submissions and lookups take turns on rows of their own, named portal:… (models.intake.turn)."""

    __tablename__ = "login_lock"
    __label__ = "登录锁"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)  # user:<name> or addr:<address>


@lru_cache(maxsize=4)
def dummy_hash(method: str) -> str:
    """A hash to check a password against when the account does not exist, so that the answer takes as long."""
    return generate_password_hash(secrets.token_hex(16), method=method)


def password_matches(user: User | None, password: str) -> bool:
    """Whether `password` opens `user` (an active account), costing the same time whether or not it exists."""
    if user is None:
        method = current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else DEFAULT_HASH_METHOD
        check_password_hash(dummy_hash(method), password)
        return False
    return user.check_password(password) and bool(user.active)


TURN_TRIES = 3


def take_turn(keys: list[str]) -> None:
    """Wait for, and hold until the transaction ends, the locks on `keys` (every process and database alike: an
    upsert locks the row on PostgreSQL and MariaDB, and any write takes SQLite's one write lock)."""
    rows = [{"name": key} for key in sorted(keys)]
    dialect = db.session.get_bind().dialect.name
    if dialect == "mysql":
        statement = mysql.insert(LoginLock.__table__).values(rows)
        statement = statement.on_duplicate_key_update(name=statement.inserted.name)
    else:
        statement = (postgresql if dialect == "postgresql" else sqlite).insert(LoginLock.__table__).values(rows)
        statement = statement.on_conflict_do_update(index_elements=["name"], set_={"name": statement.excluded.name})
    db.session.execute(statement)


def claim_login_attempt(username: str, address: str) -> tuple[LoginAttempt | None, datetime | None]:
    """Take a turn on the account name and the address, and within it either find them locked (None, until when)
    or record this attempt as a failure until its password proves right (the attempt, None). Parallel attempts, in
    any number of processes, count one another: no more passwords are checked than the limit allows."""
    for tries in range(TURN_TRIES):
        db.session.commit()  # a fresh transaction, so that the counts see every attempt committed before the turn
        try:
            take_turn([f"user:{username}"[:80], f"addr:{address}"[:80]])
            locked_until = login_locked_until(username, address)
            attempt = None if locked_until else record_login_attempt(username, address, False)
            db.session.commit()
            return attempt, locked_until
        except OperationalError:  # chosen as a deadlock's victim, or SQLite busy past its timeout: queue again
            db.session.rollback()
            if tries == TURN_TRIES - 1:
                raise


def login_locked_until(username: str, address: str) -> datetime | None:
    """When a locked account or address may try again, or None if it is not locked.

    Five failures within 15 minutes lock for 15 minutes after the fifth. An account's failures count only
    since its last successful login; an address's count whatever account they tried.
    """
    now = local_now()
    since = now - LOGIN_WINDOW - LOGIN_LOCKOUT
    last_success = db.session.scalar(
        select(func.max(LoginAttempt.at)).where(LoginAttempt.username == username, LoginAttempt.succeeded.is_(True))
    )
    account = [LoginAttempt.username == username] + ([LoginAttempt.at > last_success] if last_success else [])
    for condition in (account, [LoginAttempt.address == address]):
        times = db.session.scalars(
            select(LoginAttempt.at).where(LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since, *condition)
            .order_by(LoginAttempt.at)
        ).all()
        for first, fifth in zip(times, times[MAX_LOGIN_FAILURES - 1:]):
            if fifth - first <= LOGIN_WINDOW and fifth + LOGIN_LOCKOUT > now:
                return fifth + LOGIN_LOCKOUT
    return None


def record_login_attempt(username: str, address: str, succeeded: bool) -> LoginAttempt:
    """Keep an attempt in the database, where every server process sees it."""
    attempt = LoginAttempt(username=username[:64], address=address[:64], succeeded=succeeded, at=local_now())
    db.session.add(attempt)
    return attempt


class AuditLog(IdMixin, db.Model):
    """One insert, update or delete: who, when, which row, old and new values."""

    __label__ = "审计日志"

    __tablename__ = "audit_log"

    at: Mapped[datetime] = mapped_column(default=local_now, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"), index=True)
    user: Mapped[User | None] = relationship()
    username: Mapped[str | None] = mapped_column(String(64))  # kept when the account is gone; "cli:…" for commands
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id", ondelete="SET NULL"), index=True)
    campaign: Mapped[Campaign | None] = relationship()
    table_name: Mapped[str] = mapped_column(String(64), index=True)
    row_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(choice(AUDIT_ACTIONS, "audit_action"))
    changes: Mapped[dict | None] = mapped_column(JSON)

    def __str__(self) -> str:
        return f"{self.at} {self.username} {self.action} {self.table_name}#{self.row_id}"
