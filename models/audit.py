"""The audit trail: every insert, update and delete of every table, from screens, imports and commands alike.

One listener on the ORM session writes an AuditLog row per changed row, inside the same transaction, so
a change and its audit entry are committed or rolled back together. Who made the change comes from
`actor_provider`, which the web app replaces with the logged-in user; commands are recorded as
"命令行:<system user>".
"""
from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from sqlalchemy import and_, event, inspect, or_
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import PASSIVE_NO_INITIALIZE, get_history

from .base import campaign_of, db, local_now
from .batches import ImportBatchRow, ImportFile
from .portal import AppealFile, PortalChallenge, PortalHit
from .problem import ProblemRead
from .reminders import Delivery, Reminder
from .user import AuditLog, LoginAttempt, LoginLock, UserSession

# the trail itself, the machinery of logging in, who has read what, and the reminders' bookkeeping (a reminder is a line
# of the problem's timeline already; its outbox records each attempt itself), and an import batch's kept file and its
# list of rows (the batch itself is audited, and so is every row the import or its undoing writes)
UNAUDITED = (AuditLog, LoginAttempt, LoginLock, UserSession, ProblemRead, Reminder, Delivery, ImportFile, ImportBatchRow,
             AppealFile, PortalHit, PortalChallenge)
NOISE = {"updated_at", "version", "urgency"}  # follow from every write; not worth a line of the trail
SECRET = {"password_hash", "code_hash"}  # a password; an enterprise's 查询码 (portal)
# Columns a table's rows change by themselves rather than by anyone's business: a login stamps the account's
# 最近登录; the ledger's 附件2 全列 switch is the user's own view of it. An update of nothing else is kept, but the audit
# list leaves it out unless asked (bookkeeping()).
BOOKKEEPING = {"app_user": ("last_login_at", "ledger_all_columns")}


@cache  # the system user of a process does not change; an import asks once per new problem
def command_line_actor() -> tuple[int | None, str]:
    """Whom a command's writes are recorded as: 命令行:<system user>."""
    try:
        who = getpass.getuser()
    except Exception:  # no user name in some containers
        who = "unknown"
    return None, f"命令行:{who}"


actor_provider: Callable[[], tuple[int | None, str]] = command_line_actor


def plain(value):
    """A JSON-friendly form of a column value or a related row."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):  # a file's content (an attachment): its size, not its bytes
        return f"（{len(value)} 字节）"
    if isinstance(value, db.Model):
        return f"{value.id}:{value}"
    return str(value)


@cache
def models_by_table() -> dict[str, type]:
    """Each audited table's model, by table name."""
    return {mapper.class_.__tablename__: mapper.class_ for mapper in db.Model.registry.mappers
            if not issubclass(mapper.class_, UNAUDITED)}


def model_of(table_name: str) -> type | None:
    """The model whose rows an audit row's table holds, or None (an association table, such as problem_co_unit)."""
    return models_by_table().get(table_name)


def table_choices() -> list[tuple[str, str]]:
    """(table name, Chinese label) of every audited table, in the order of the schema."""
    return [(table.name, models_by_table()[table.name].__label__) for table in db.metadata.sorted_tables
            if table.name in models_by_table()]


def audited_keys(model) -> list[str]:
    """The keys an audit row of `model` may hold in its changes (see changes_of)."""
    mapper = inspect(model)
    columns = [attr.key for attr in mapper.column_attrs if attr.key not in NOISE and attr.key != "id"]
    return columns + [rel.key for rel in mapper.relationships if rel.uselist and rel.secondary is not None]


def bookkeeping():
    """The audit rows that record only bookkeeping (BOOKKEEPING), as an SQL condition: an update whose changes hold
    none of the table's other keys."""
    return or_(*(
        and_(AuditLog.table_name == table, AuditLog.action == "update",
             *(AuditLog.changes[key].as_string().is_(None) for key in audited_keys(model_of(table)) if key not in keys))
        for table, keys in BOOKKEEPING.items()
    ))


def changes_of(obj, action: str) -> dict:
    """{attribute: [old, new]} for what the flush writes about `obj`."""
    state = inspect(obj)
    changes = {}
    # An update changes only attributes that were set since the row was loaded (the state's committed values): an
    # import updates thousands of rows of thirty-odd columns, most untouched.
    changed = state.committed_state
    for key in [attr.key for attr in state.mapper.column_attrs if action != "update" or attr.key in changed]:
        if key in NOISE or key == "id":
            continue
        history = get_history(obj, key, passive=PASSIVE_NO_INITIALIZE) if action != "insert" else None
        if action == "insert":
            old, new = None, getattr(obj, key)
        elif action == "delete":
            old, new = (history.unchanged or history.deleted or [None])[0], None
        elif history.has_changes():
            old, new = (history.deleted or [None])[0], (history.added or [None])[0]
        else:
            continue
        if old is None and new is None:
            continue
        if key in SECRET:
            old, new = old and "******", new and "******"
        changes[key] = [plain(old), plain(new)]
    for rel in state.mapper.relationships:
        if not rel.uselist or rel.secondary is None:
            continue
        history = get_history(obj, rel.key, passive=PASSIVE_NO_INITIALIZE)
        if history.added or history.deleted:
            changes[rel.key] = {"removed": [plain(x) for x in history.deleted], "added": [plain(x) for x in history.added]}
    return changes


def audit_campaign(obj) -> int | None:
    """The campaign an audited row belongs to, directly or through the row it hangs on."""
    own = campaign_of(obj)
    if own is not None:
        return own
    for rel in inspect(obj).mapper.relationships:
        if rel.direction.name == "MANYTOONE":
            related = getattr(obj, rel.key)
            found = campaign_of(related) if related is not None else None
            if found is not None:
                return found
    return None


@event.listens_for(Session, "before_flush")
def _remember_deletions(session: Session, flush_context, instances) -> None:
    """Deleted rows lose their values during the flush, so describe them before it."""
    pending = session.info.setdefault("audit_deleted", [])
    for obj in session.deleted:
        if isinstance(obj, db.Model) and not isinstance(obj, UNAUDITED):
            with session.no_autoflush:
                pending.append((obj.__tablename__, str(obj.id), audit_campaign(obj), changes_of(obj, "delete")))


@event.listens_for(Session, "after_flush")
def _write_audit_rows(session: Session, flush_context) -> None:
    rows = []
    user_id, username = actor_provider()
    now = local_now()
    with session.no_autoflush:
        for action, objects in (("insert", session.new), ("update", session.dirty)):
            for obj in objects:
                if not isinstance(obj, db.Model) or isinstance(obj, UNAUDITED):
                    continue
                changes = changes_of(obj, action)
                if action == "update" and not changes:
                    continue
                rows.append({"table_name": obj.__tablename__, "row_id": str(obj.id), "action": action,
                             "campaign_id": audit_campaign(obj), "changes": changes})
        for table, row_id, campaign_id, changes in session.info.pop("audit_deleted", []):
            rows.append({"table_name": table, "row_id": row_id, "action": "delete", "campaign_id": campaign_id,
                         "changes": changes})
    if rows:
        for row in rows:
            row.update(at=now, user_id=user_id, username=username)
        session.connection().execute(AuditLog.__table__.insert(), rows)


@event.listens_for(Session, "after_rollback")
def _forget_deletions(session: Session) -> None:
    session.info.pop("audit_deleted", None)
