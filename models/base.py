"""Declarative base, the shared `db` object, column helpers and mixins."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Date, DateTime, Enum, ForeignKey, Integer, LargeBinary, MetaData, String, Text, event, update
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column, relationship

from .errors import DomainError
from .periods import date_refusal
from .text import refusal

# Stable constraint names, so that migrations can drop them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

DEFAULT_TIMEZONE = "Asia/Shanghai"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    __label__ = "记录"  # the Chinese name of a row of this table, for messages

    def before_save(self) -> None:
        """Fill in values derived from others. Runs before every flush, before `check`."""

    def check(self) -> None:
        """Refuse, with a DomainError, a row that breaks a rule of its table. Runs before every flush."""


db = SQLAlchemy(model_class=Base)


def only_on(index, *dialects: str):
    """An index that only these databases build (by name: sqlite, postgresql, mysql, mariadb), for a kind of index
    the others lack or read badly; the migrations create it on the same ones."""
    index.info["dialects"] = dialects
    return index.ddl_if(dialect=dialects)


def compared(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's include_object: an index this database does not build (only_on) is not missing from it."""
    dialects = obj.info.get("dialects") if type_ == "index" and not reflected else None
    return dialects is None or db.engine.dialect.name in dialects


# Batch mode lets migrations alter tables on SQLite; compare_type catches column type changes.
migrate = Migrate(render_as_batch=True, compare_type=True, include_object=compared)


@event.listens_for(Engine, "connect")
def _sqlite_enforces_foreign_keys(dbapi_connection, connection_record) -> None:
    """SQLite ignores foreign keys unless asked on every connection."""
    if type(dbapi_connection).__module__ == "sqlite3":
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def local_now() -> datetime:
    """The current wall-clock time in the configured time zone, without tzinfo."""
    tz = current_app.config.get("TIMEZONE", DEFAULT_TIMEZONE) if has_app_context() else DEFAULT_TIMEZONE
    return datetime.now(ZoneInfo(tz)).replace(tzinfo=None, microsecond=0)


def choice(values: tuple[str, ...], name: str) -> Enum:
    """A column type that admits only `values`, stored as text with a CHECK constraint everywhere."""
    return Enum(
        *values,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=max(len(v) for v in values) * 2,
    )


def hold(obj) -> bool:
    """Queue for `obj`'s row and hold it until the transaction ends, in a fresh transaction (what the session held is
    committed first), so that of parallel requests deciding on one row the first decides and the others, let in after
    it, read its decision; False when the row is gone. An UPDATE that changes nothing is the lock on every database:
    it locks the row on PostgreSQL and MariaDB (whose later reads then see the rows committed before it) and takes
    SQLite's one write lock; the row's attributes are read again after it."""
    row_id = obj.id  # read before the commit expires it: reading it after would start the transaction before the lock
    db.session.commit()
    table = obj.__table__
    unchanged = {column: column for column in table.c if column.primary_key or column.onupdate is not None}  # (stamps too)
    held = db.session.execute(update(table).where(table.c.id == row_id).values(unchanged)).rowcount == 1
    db.session.expire(obj)
    return held


class IdMixin:
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=local_now)
    updated_at: Mapped[datetime] = mapped_column(default=local_now, onupdate=local_now)


class VersionMixin:
    """A counter bumped on every update; an update that finds another version fails (lost-edit protection)."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}


class CampaignOwnedMixin:
    """Rows that belong to one campaign (专项行动)."""

    @declared_attr
    def campaign_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("campaign.id", ondelete="RESTRICT"), index=True)

    @declared_attr
    def campaign(cls):
        return relationship("Campaign")


class ProvenanceMixin:
    """Where a seeded row came from: the document and the exact excerpt.

    An excerpt may join several passages of the document with "……" (the Chinese ellipsis).
    Rows entered by users leave both empty.
    """

    EXCERPT_SEPARATOR = "……"

    @declared_attr
    def source_document_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("source_document.id", ondelete="RESTRICT"), nullable=True)

    @declared_attr
    def source_document(cls):
        return relationship("SourceDocument", foreign_keys=[cls.source_document_id])

    source_excerpt: Mapped[str | None] = mapped_column(Text)

    def excerpt_passages(self) -> list[str]:
        """The passages of the excerpt, each of which occurs verbatim in the document."""
        if not self.source_excerpt:
            return []
        return [p for p in self.source_excerpt.split(self.EXCERPT_SEPARATOR) if p]


NAME_LENGTH = 200
FILE_BYTES = LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")  # an uploaded file of up to 10 MB
SHORT = 64


def name_column(**kwargs) -> Mapped[str]:
    """A required name of ordinary length."""
    return mapped_column(String(NAME_LENGTH), nullable=False, **kwargs)


def campaign_of(obj) -> int | None:
    """The id of the campaign a row belongs to, whether its campaign was set by id or by object."""
    if not isinstance(obj, CampaignOwnedMixin):
        return None
    if obj.campaign_id is not None:
        return obj.campaign_id
    return obj.campaign.id if obj.campaign is not None else None


def campaign_mismatch(obj) -> str | None:
    """A Chinese message when a row links rows of different campaigns (e.g. a problem of one campaign and a unit of another)."""
    own = campaign_of(obj)
    seen: dict[int, object] = {own: obj} if own is not None else {}
    for rel in obj.__mapper__.relationships:
        if rel.key == "campaign" or rel.direction.name == "ONETOMANY":
            continue
        value = getattr(obj, rel.key)
        for related in (value if rel.uselist else [value]):
            other = campaign_of(related) if related is not None else None
            if other is None:
                continue
            if seen and other not in seen:
                first = next(iter(seen.values()))
                return (f"{related.__label__}“{related}”与{first.__label__}“{first}”不属于同一个专项行动，不能关联。"
                        if first is not obj else
                        f"{related.__label__}“{related}”不属于本{obj.__label__}所在的专项行动，不能关联。")
            seen.setdefault(other, related)
    return None


def value_refusal(obj) -> str | None:
    """A Chinese message when a column of the row holds what no report could carry: text with a control character
    (models.text), a date outside the calendar the system keeps (models.periods)."""
    for column in obj.__table__.columns:
        what, value = f"{obj.__label__}的“{column.key}”", obj.__dict__.get(column.key)
        if isinstance(column.type, String):
            message = refusal(what, value)
        elif isinstance(column.type, Date | DateTime):
            message = date_refusal(value) and f"{what}：{date_refusal(value)}"
        else:
            continue
        if message:
            return message
    return None


@event.listens_for(Session, "before_flush")
def _check_rows(session: Session, flush_context, instances) -> None:
    """Apply every table's rules, the one-campaign rule and the value rules to each new or changed row, whoever
    writes it (screens, imports and commands name the field first; this is what holds for every way in)."""
    for obj in [*session.new, *session.dirty]:
        if not isinstance(obj, db.Model):
            continue
        with session.no_autoflush:
            obj.before_save()
            obj.check()
            message = campaign_mismatch(obj) or value_refusal(obj)
        if message:
            raise DomainError(message)
