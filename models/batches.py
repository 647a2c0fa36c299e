"""Import batches (导入记录): every import that wrote something is recorded — who, when, which file (kept, with its
SHA-256), what it created and updated — and can be undone while none of its rows has changed since. Undoing deletes
the rows the import created and puts back the values of the rows it updated, timeline entries included, as one
audited write; a batch is undone once. The same file imported again is known by its SHA-256 (earlier_import)."""
from __future__ import annotations

import hashlib
from datetime import date, datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, insert, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import FILE_BYTES, CampaignOwnedMixin, IdMixin, db, hold, local_now
from .documents import OfficialDocument, document_problem
from .enterprise import Enterprise, EnterpriseGroup, Visit
from .errors import DomainError
from .problem import Problem, ProblemUpdate
from .scope import sees_every_batch
from .task import PolicyPush

KIND_LABELS = {"problems": "附件2问题清单", "enterprises": "企业名单"}
MODELS = {"problem": Problem, "enterprise": Enterprise}
# Columns a snapshot does not put back: the key, the counters and stamps a write keeps by itself.
NOT_RESTORED = {"id", "version", "created_at", "updated_at", "urgency"}


class ImportFile(IdMixin, db.Model):
    """The file an import batch read, kept as it was uploaded (outside the audit trail: it is the evidence)."""

    __label__ = "导入文件"
    __tablename__ = "import_file"

    data: Mapped[bytes] = mapped_column(FILE_BYTES)


class ImportBatch(IdMixin, CampaignOwnedMixin, db.Model):
    """One import that wrote to the database."""

    __label__ = "导入记录"
    __tablename__ = "import_batch"
    __column_labels__ = {"kind": "导入类型", "file_name": "文件名", "checksum": "SHA-256 校验值", "size": "文件大小（字节）",
                         "file": "导入文件", "file_id": "导入文件", "created_by": "导入人", "created_count": "新增条数",
                         "updated_count": "更新条数", "unchanged_count": "不变条数", "undone_at": "撤销时间",
                         "undone_by": "撤销人"}

    kind: Mapped[str] = mapped_column(String(16))  # problems / enterprises
    file_name: Mapped[str] = mapped_column(String(200))
    checksum: Mapped[str] = mapped_column(String(64))  # SHA-256 of the file
    size: Mapped[int] = mapped_column(Integer)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("import_file.id", ondelete="SET NULL"))
    file = relationship(ImportFile)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=local_now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"), index=True)
    created_by = relationship("User", foreign_keys=[created_by_id])
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    unchanged_count: Mapped[int] = mapped_column(Integer, default=0)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    undone_by = relationship("User", foreign_keys=[undone_by_id])
    rows: Mapped[list[ImportBatchRow]] = relationship(back_populates="batch", cascade="all, delete-orphan",
                                                      order_by="ImportBatchRow.id")

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def __str__(self) -> str:
        return f"{self.kind_label}导入 {self.file_name}（{self.created_at:%Y-%m-%d %H:%M}）"


class ImportBatchRow(IdMixin, db.Model):
    """A row an import batch created or updated: its version right after the import (a later change shows as another
    version), the values it had before (for an update), and the timeline entries the import added to it."""

    __label__ = "导入记录明细"
    __tablename__ = "import_batch_row"

    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"), index=True)
    batch = relationship(ImportBatch, back_populates="rows")
    table_name: Mapped[str] = mapped_column(String(32))
    row_id: Mapped[int] = mapped_column(Integer)
    created: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(Integer)
    before: Mapped[dict | None] = mapped_column(JSON)  # column values (and links) before the import, for an update
    updates: Mapped[list | None] = mapped_column(JSON)  # ids of the timeline entries the import added


def snapshot(obj) -> dict:
    """What `obj` holds, to be put back by restore: its columns, and a problem's 协办单位 or an enterprise's groups."""
    values = {}
    for attr in inspect(obj).mapper.column_attrs:
        if attr.key not in NOT_RESTORED:
            value = getattr(obj, attr.key)
            values[attr.key] = value.isoformat() if isinstance(value, date | datetime) else value
    if isinstance(obj, Problem):
        values["co_units"] = sorted(u.id for u in obj.co_units)
    if isinstance(obj, Enterprise):
        values["groups"] = sorted(link.body_id for link in obj.groups)
    return values


def restore(obj, values: dict) -> None:
    """Put back what snapshot took."""
    from .org import Unit  # a problem's 协办单位

    mapper = inspect(obj).mapper
    for key, value in values.items():
        if key in ("co_units", "groups"):
            continue
        column = mapper.columns[key]
        kind = column.type.python_type if hasattr(column.type, "python_type") else None
        if value is not None and kind is datetime:
            value = datetime.fromisoformat(value)
        elif value is not None and kind is date:
            value = date.fromisoformat(value)
        setattr(obj, key, value)
    if isinstance(obj, Problem) and "co_units" in values:
        obj.co_units = list(db.session.scalars(select(Unit).where(Unit.id.in_(values["co_units"])))) if values["co_units"] else []
    if isinstance(obj, Enterprise) and "groups" in values:
        wanted = set(values["groups"])
        for link in list(obj.groups):
            if link.body_id not in wanted:
                obj.groups.remove(link)
        for body_id in wanted - {link.body_id for link in obj.groups}:
            obj.groups.append(EnterpriseGroup(body_id=body_id))


def record_batch(kind: str, campaign, user, file_name: str, data: bytes, counts: tuple[int, int, int],
                 rows: list[tuple[object, bool, dict | None, list]]) -> ImportBatch:
    """Record a written import, after its last flush (the rows have their ids and versions): `rows` are (row, created,
    values before, timeline entries added). The batch's rows (thousands for a large file) go in as one multi-row
    insert rather than as objects of the session, which they would never be used as before the commit."""
    batch = ImportBatch(campaign_id=campaign.id, kind=kind, file_name=(file_name or "")[:200] or "（未命名）",
                        checksum=hashlib.sha256(data).hexdigest(), size=len(data), file=ImportFile(data=data),
                        created_by_id=getattr(user, "id", None), created_count=counts[0], updated_count=counts[1],
                        unchanged_count=counts[2])
    db.session.add(batch)
    db.session.flush()
    if rows:
        db.session.execute(insert(ImportBatchRow), [
            {"batch_id": batch.id, "table_name": obj.__tablename__, "row_id": obj.id, "created": created,
             "version": obj.version, "before": before, "updates": [u.id for u in updates] or None}
            for obj, created, before, updates in rows])
    return batch


def batches_seen(query, user):
    """`query` on ImportBatch narrowed to the batches `user` may see: all of the campaign's for the 推进办 and the
    administrator, one's own for the others."""
    return query if sees_every_batch(user) else query.where(ImportBatch.created_by_id == getattr(user, "id", None))


def earlier_import(campaign_id: int, data: bytes, user) -> ImportBatch | None:
    """The campaign's latest import batch that read this very file (the same SHA-256), was not undone and `user` may
    see, or None: the same file uploaded again is a duplicate, which the imports skip unless the user confirms it. (A
    batch the user may not see is not named to them; the rows it wrote that they may see are still found as repeated
    problems.)"""
    return db.session.scalars(batches_seen(select(ImportBatch).where(
        ImportBatch.campaign_id == campaign_id, ImportBatch.checksum == hashlib.sha256(data).hexdigest(),
        ImportBatch.undone_at.is_(None)), user).order_by(ImportBatch.id.desc()).limit(1)).first()


def undo_refusal(batch: ImportBatch) -> str | None:
    """Why `batch` cannot be undone now (in Chinese), or None."""
    if batch.undone_at is not None:
        return f"该批导入已于{batch.undone_at:%Y-%m-%d %H:%M}撤销。"
    if not batch.rows:
        return "该批导入没有写入任何记录，无需撤销。"
    for table, model in MODELS.items():
        rows = [r for r in batch.rows if r.table_name == table]
        if not rows:
            continue
        current = dict(db.session.execute(select(model.id, model.version).where(model.id.in_([r.row_id for r in rows]))).all())
        for row in rows:
            if row.row_id not in current:
                return f"导入后{model.__label__}（编号{row.row_id}）已被删除，不能撤销。"
            if current[row.row_id] != row.version:
                obj = db.session.get(model, row.row_id)
                return f"导入后{model.__label__}“{obj}”又被修改过，不能撤销（撤销只在导入的记录都没有再变动时可用）。"
    problems = [r.row_id for r in batch.rows if r.table_name == "problem"]
    if problems:
        theirs = {u for r in batch.rows for u in (r.updates or ())}
        since = db.session.scalars(select(ProblemUpdate.id).where(ProblemUpdate.problem_id.in_(problems),
                                                                  ProblemUpdate.id.not_in(theirs) if theirs else True,
                                                                  ProblemUpdate.created_at > batch.created_at)).first()
        if since is not None:
            return "导入后这些问题又有了新的办理过程记录（如催办、批示），不能撤销。"
    return dependant_refusal(batch)


# Rows that others may have added since an import, hanging on a row it created: deleting that row would take them
# with it or the database would refuse, so the first one found holds the undo back, named as a clerk knows it.
# (table the import created rows in, the row hanging on one of them with its link, how it reads)
DEPENDANTS = (
    ("enterprise", Visit, Visit.enterprise_id, lambda visit: f"走访记录（{visit.visited_on:%Y-%m-%d} {visit.body}）"),
    ("enterprise", Problem, Problem.enterprise_id, lambda problem: f"问题{problem.number}"),
    ("enterprise", PolicyPush, PolicyPush.enterprise_id, lambda push: f"政策推送（{push.policy}）"),
    ("problem", OfficialDocument, document_problem.c.problem_id, lambda paper: f"文书{paper.number}（{paper.kind}）"),
)


def dependant_refusal(batch: ImportBatch) -> str | None:
    """Why `batch` cannot be undone because of a row added since that hangs on one it created (in Chinese, naming
    both), or None."""
    created = {table: {r.row_id for r in batch.rows if r.table_name == table and r.created} for table in MODELS}
    for table, model, link, reads in DEPENDANTS:
        if not created[table]:
            continue
        query = select(model, link).where(link.in_(sorted(created[table])))
        if link.table is not model.__table__:  # through an association table
            query = query.join(link.table, link.table.c.document_id == model.id)
        if model is Problem:  # the problems the import created with the enterprise go with it
            query = query.where(Problem.id.not_in(sorted(created["problem"])))
        found = db.session.execute(query.order_by(model.id).limit(1)).first()
        if found is not None:
            row, owner_id = found
            owner = db.session.get(MODELS[table], owner_id)
            what = f"企业“{owner.name}”" if table == "enterprise" else f"问题{owner.number}"
            return f"导入新建的{what}已有{reads(row)}，不能撤销。"
    return None


def undo(batch: ImportBatch, user) -> None:
    """Undo `batch`: delete what it created, put back what it updated (with the timeline entries it added), and mark
    it undone — one write, audited like any other; DomainError when it cannot be undone. Parallel undos of one batch
    queue on its row (models.base.hold): the first undoes it, the others are told it is undone. Commits what the
    session held before; the undo itself is not committed."""
    if not hold(batch):
        raise DomainError("该批导入记录已不存在。")
    refusal = undo_refusal(batch)
    if refusal:
        raise DomainError(refusal)
    added = [u for r in batch.rows for u in (r.updates or ())]
    for update in db.session.scalars(select(ProblemUpdate).where(ProblemUpdate.id.in_(added))) if added else ():
        db.session.delete(update)
    for row in reversed(batch.rows):  # problems before the enterprises they name
        obj = db.session.get(MODELS[row.table_name], row.row_id)
        if row.created:
            db.session.delete(obj)
        else:
            restore(obj, row.before or {})
    batch.undone_at = local_now()
    batch.undone_by_id = getattr(user, "id", None)
    try:
        db.session.flush()
    except IntegrityError:  # a row hung on one it deletes in the instant between the check and the delete
        db.session.rollback()
        raise DomainError("导入的记录刚被其他记录引用（如新的走访或问题），不能撤销；请刷新后查看。") from None
