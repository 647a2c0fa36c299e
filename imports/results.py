"""What an import tells whoever ran it, shared by every importer (imports.problems, imports.enterprises), the panel's
import screen and `flask import`: each row's outcome, the result with its errors, notes, names to confirm and
counts, the batch it recorded (models.batches), and the collector held off while it runs."""
from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field

from models import Campaign, db
from models.batches import record_batch

from .workbook import CellError, Sheet

FLUSH_EVERY = 1_000  # rows written between flushes
SKIPPED = "跳过（重复）"  # the action of a row left out as a duplicate
NEW, UPDATED, SAME = "新增", "更新", "不变"  # what a row did (an update may add the workflow step taken)
ASSIGNED_NEW = "新增并交办"  # a new row assigned as it is written
ASSIGN_ON_CONFIRM = "新增并交办（确认时勾选）"  # the preview of a row that names a 牵头单位 only: 交办 when the user confirms


@dataclass
class Outcome:
    row: int
    number: str | None
    action: str  # 新增 / 更新 / 不变, with the workflow step taken, if any
    detail: str = ""
    summary: str = ""  # which problem: its enterprise and the start of its description
    problem: object = field(default=None, repr=False, compare=False)  # the row written (its number once imported)


@dataclass
class ImportResult:
    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False
    sheet: Sheet | None = None  # what was read and how: the header, the columns left out, notes, skipped rows
    notes: list[CellError] = field(default_factory=list)  # cells read otherwise than written
    unknown: dict[str, dict[str, list]] = field(default_factory=dict)  # kind → name not found → close rows offered
    created: list[str] = field(default_factory=list)  # enterprises the import creates, as the user asked
    touched: list = field(default_factory=list)  # (row, created, values before) of each row written, for the batch
    new_updates: list = field(default_factory=list)  # timeline entries the import added
    batch: object = None  # the ImportBatch recorded for a written import
    allow_duplicates: bool = False  # the user confirmed that duplicates be imported
    same_file: object = None  # an earlier ImportBatch of the campaign that read this very file (not undone)

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action.startswith(action))

    def new_problems(self) -> list:
        """The problems a written import added (the new ones' numbers, for the result page), in the file's order."""
        return [o.problem for o in self.outcomes if o.action.startswith(NEW) and getattr(o.problem, "number", None)
                and getattr(o.problem, "id", None)]

    @property
    def skipped_file(self) -> bool:
        """Whether the whole file is left out: the campaign imported it before and the user has not confirmed it."""
        return self.same_file is not None and not self.allow_duplicates

    def summary(self) -> str:
        verb = "预检" if self.dry_run else "导入"
        if self.errors:
            return f"{verb}未通过：发现{len(self.errors)}处错误，未写入任何数据。"
        if self.skipped_file:
            batch = self.same_file
            earlier = f"与导入记录第{batch.id}号（“{batch.file_name}”，{batch.created_at:%Y-%m-%d %H:%M}导入）完全相同"
            if self.dry_run:
                return f"预检：这个文件{earlier}；除非确认导入重复的内容，否则整个跳过，不写入任何数据。"
            return f"导入跳过：这个文件{earlier}，未写入任何数据。"
        done = "将" if self.dry_run or not self.written else "已"
        firms = f"（{done}新建企业{len(self.created)}家）" if self.created else ""
        repeated = f"，跳过重复的{self.count(SKIPPED)}条" if self.count(SKIPPED) else ""
        return (f"{verb}通过：{done}新增{self.count(NEW)}条、更新{self.count(UPDATED)}条，{self.count(SAME)}条不变"
                f"{repeated}。{firms}")



@contextmanager
def collector_paused():
    """Python's cycle collector held off while an import builds and writes its rows: with the campaign's rows and
    thousands of new ones alive, each of its full passes walks them all and together they took a third of an import's
    time; it runs again as before once the import is done (its rows are released at the commit)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def keep_batch(kind: str, campaign: Campaign, user, file_name: str, data: bytes, result: ImportResult, rows: list):
    """Record the import that is about to be committed (models.batches), with the timeline entries it added to each
    problem; None when it wrote nothing."""
    if not rows:
        return None
    added: dict[int, list] = {}
    for update in result.new_updates:
        added.setdefault(id(update.problem), []).append(update)
    counts = (result.count(NEW), result.count(UPDATED), result.count(SAME))
    batch = record_batch(kind, campaign, user, file_name, data, counts,
                         [(obj, created, before, added.get(id(obj), [])) for obj, created, before in rows])
    db.session.flush()
    return batch
