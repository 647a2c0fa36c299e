"""Import of the 附件2 问题清单 layout: `flask --app app import problems PATH [--dry-run]` and the upload screen.

Rows match existing problems by 问题编号 (and update them) or, without a number, create new ones. Every row is
checked first (unknown enterprise, group, unit or person, unparsable dates, values outside the allowed lists, a
status jump the workflow does not allow, rows outside the importer's scope) and every error is reported with its
row and column. The import is all-or-nothing: one error and nothing is written. Status changes go through
models.workflow, one legal step at a time, so the trail (ProblemUpdate, AuditLog) is the same as on screen.

Columns computed by the system are not read back: 序号, 所在镇（园区） (from the enterprise), 亮灯 and 销号时间.
办理进展 is read only as the text of a status step (the 办理结果 when a row moves to 已办结, the reason of a 撤销).
"""
from __future__ import annotations

from collections import Counter

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Body, Campaign, Enterprise, Person, Problem, Unit, annex2, db, workflow
from models.base import campaign_mismatch
from models.errors import DomainError
from models import terms
from models.terms import Vocabulary
from models.vocab import OPEN_STATUSES, PROBLEM_STATUSES, BodyKind, Status
from models.workflow import StepName, entered_via
from models.scope import change_refusal, scope_query

from .workbook import CellError, RowRefusal, parse_date, read_sheet, split_names, text

COLUMN = {header: index for index, header in enumerate(annex2.HEADERS, start=1)}
# Rows applied between flushes: what the session holds unwritten (and the memory a flush takes) stays small, so that
# a 20,000-row file imports within the memory limit of the hardening issue (tests/test_upload_limits.py).
FLUSH_EVERY = 1_000
# What a row is compared with, loaded with the problems in a few queries rather than one per row.
ROW_RELATIONS = [selectinload(getattr(Problem, name)) for name in (
    "enterprise", "collected_by_body", "responsible_unit", "co_units", "lead_person", "supervisor", "campaign")]
PLAIN = ("enterprise", "description", "demand", "category", "collected_by_body", "collected_on", "remark")
ASSIGNMENT = ("responsible_unit", "co_units", "lead_person", "supervisor", "deadline")
FIELD_COLUMN = {column.field: column.header for column in annex2.READ_BACK}
# The one step that takes a problem from the file's old status to its new one.
STEP_FOR = {
    (Status.UNASSIGNED, Status.ASSIGNED): StepName.ASSIGN, (Status.ASSIGNED, Status.HANDLING): StepName.ACCEPT,
    (Status.ASSIGNED, Status.RESOLVED): StepName.RESOLVE, (Status.HANDLING, Status.RESOLVED): StepName.RESOLVE,
    (Status.RESOLVED, Status.CLOSED): StepName.CLOSE, (Status.RESOLVED, Status.HANDLING): StepName.REOPEN,
    **{(s, Status.WITHDRAWN): StepName.WITHDRAW for s in OPEN_STATUSES},
}


@dataclass
class Outcome:
    row: int
    number: str | None
    action: str  # 新增 / 更新 / 不变, with the workflow step taken, if any
    detail: str = ""


@dataclass
class ImportResult:
    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action.startswith(action))

    def summary(self) -> str:
        verb = "预检" if self.dry_run else "导入"
        if self.errors:
            return f"{verb}未通过：发现{len(self.errors)}处错误，未写入任何数据。"
        done = "将" if self.dry_run or not self.written else "已"
        return f"{verb}通过：{done}新增{self.count('新增')}条、更新{self.count('更新')}条，{self.count('不变')}条不变。"


class Lookup:
    """The rows a file may name, among those the importing user may see in the campaign."""

    def __init__(self, campaign: Campaign, user):
        def visible(model, *where):
            rows = db.session.scalars(scope_query(select(model).where(model.campaign_id == campaign.id, *where), model, user)).all()
            found: dict[str, list] = {}
            for row in rows:
                found.setdefault(row.name, []).append(row)
            return found

        self.campaign_id, self.readers = campaign.id, {}
        self.enterprises = visible(Enterprise)
        self.groups = visible(Body, Body.kind == BodyKind.WORKING_GROUP)
        self.units = visible(Unit)
        self.people = visible(Person)

    def term(self, vocabulary: str):
        """A cell's text as a term of the campaign's `vocabulary` (a former name is read as the term it became);
        ValueError listing the terms in use otherwise."""
        if vocabulary in self.readers:
            return self.readers[vocabulary]
        resolve, names = terms.resolver(self.campaign_id, vocabulary), terms.values(self.campaign_id, vocabulary)

        def convert(value):
            value = text(value)
            if value is not None and resolve(value) is None:
                raise ValueError(f"“{value}”不是本专项行动的{vocabulary}（可选：{'、'.join(names)}）")
            return None if value is None else resolve(value)
        return self.readers.setdefault(vocabulary, convert)

    @staticmethod
    def one(table: dict, name: str, what: str):
        rows = table.get(name, [])
        if not rows:
            raise ValueError(f"{what}“{name}”不存在（或您无权使用）")
        if len(rows) > 1:
            raise ValueError(f"有{len(rows)}个同名的{what}“{name}”，无法确定是哪一个")
        return rows[0]


def parsers(lookup: Lookup) -> dict:
    """How an imported cell becomes a value, by the `parse` of each column models.annex2 reads back; ValueError (in
    Chinese) when it cannot."""
    def choice(allowed, what):
        def convert(value):
            value = text(value)
            if value is not None and value not in allowed:
                raise ValueError(f"“{value}”不是有效的{what}（可选：{'、'.join(allowed)}）")
            return value
        return convert

    def named(table, what):
        return lambda value: Lookup.one(table, text(value), what) if text(value) else None

    def required(value):
        value = text(value)
        if value is None:
            raise ValueError("不能为空")
        return value

    return {
        "text": text,
        "required text": required,
        "date": parse_date,
        "category": lookup.term(Vocabulary.CATEGORY),
        "status": choice(PROBLEM_STATUSES, annex2.HEADER_OF["status"]),
        "satisfaction": lookup.term(Vocabulary.SATISFACTION),
        "enterprise": named(lookup.enterprises, "企业"),
        "group": named(lookup.groups, "工作组"),
        "unit": named(lookup.units, "单位"),
        "units": lambda value: [Lookup.one(lookup.units, name, "单位") for name in split_names(value)],
        "person": named(lookup.people, "人员"),
    }


def parse_row(number: int, cells: dict, convert: dict, errors: list[CellError]) -> dict:
    """The row's values as the model's types (the columns models.annex2 reads back), or errors naming the row and
    the column."""
    values = {}
    for column in annex2.READ_BACK:
        try:
            values[column.field] = convert[column.parse](cells.get(column.header))
        except ValueError as error:
            errors.append(CellError(number, COLUMN[column.header], column.header, str(error)))
            values[column.field] = None
    return values


def same(old, new) -> bool:
    if isinstance(old, list) or isinstance(new, list):
        return {x.id for x in old or []} == {x.id for x in new or []}
    return (old or None) == (new or None)


def step_args(step: str, values: dict) -> dict:
    """What the workflow function of `step` takes from the row."""
    return {
        StepName.ASSIGN: {name: values[name] for name in ASSIGNMENT},
        StepName.RESOLVE: {"resolution": values["progress"]},
        StepName.CLOSE: {"satisfaction": values["satisfaction"]},
        StepName.REOPEN: {"reason": values["progress"]},
        StepName.WITHDRAW: {"reason": values["remark"] or values["progress"]},
    }.get(step, {})


def apply_row(number: int, values: dict, campaign: Campaign, user, problems: dict[str, Problem]) -> tuple[Outcome, Problem | None]:
    """Change the database as the row says, and tell which problem it wrote; raises RowRefusal before changing
    anything it refuses."""
    status = values["status"]
    if values["number"] is None:
        if status not in (None, Status.UNASSIGNED, Status.ASSIGNED):
            raise RowRefusal(FIELD_COLUMN["status"], "新问题的办理状态只能是“待交办”或“已交办”（交办时须同时填写责任单位、责任人和办理时限）。")
        problem = Problem(campaign=campaign, **{name: values[name] for name in PLAIN})
        entered_via(problem, "导入附件2问题清单")
        refused = change_refusal(problem, user)
        if refused:
            raise RowRefusal(FIELD_COLUMN["collected_by_body"], refused)
        if status == Status.ASSIGNED:
            run_step(problem, StepName.ASSIGN, user, values)  # adds the problem once the step is allowed
            return Outcome(number, None, "新增并交办"), problem
        if any(values[name] for name in ASSIGNMENT):
            raise RowRefusal(FIELD_COLUMN["responsible_unit"], "待交办的问题不应填写责任单位、责任人或办理时限；要交办请把办理状态写为“已交办”。")
        db.session.add(problem)
        return Outcome(number, None, "新增"), problem
    problem = problems.get(values["number"])
    if problem is None:
        raise RowRefusal(FIELD_COLUMN["number"], f"问题编号“{values['number']}”不存在（或您无权查看）；新问题请留空问题编号。")
    changed = [name for name in PLAIN if not same(getattr(problem, name), values[name])]
    status = status or problem.status
    step = None
    if status != problem.status:
        step = STEP_FOR.get((problem.status, status))
        if step is None:
            raise RowRefusal(FIELD_COLUMN["status"], f"办理状态不能从“{problem.status}”直接改为“{status}”，请逐步办理。")
    else:
        moved = [name for name in ASSIGNMENT if not same(getattr(problem, name), values[name])]
        if moved and problem.status == Status.UNASSIGNED:
            raise RowRefusal(FIELD_COLUMN[moved[0]], "待交办的问题不应填写责任单位、责任人或办理时限；要交办请把办理状态写为“已交办”。")
        if moved:
            raise RowRefusal(FIELD_COLUMN[moved[0]], "已交办问题的责任单位、协办单位、责任人、督办人和办理时限不能直接修改，请在系统中通过交办、延期等流程办理。")
    if status == problem.status and problem.status == Status.CLOSED and not same(problem.satisfaction, values["satisfaction"]):
        raise RowRefusal(FIELD_COLUMN["satisfaction"], "满意度只能在销号时填写，不能再修改。")
    if not changed and step is None:
        return Outcome(number, problem.number, "不变"), None
    refused = change_refusal(problem, user) if changed else None
    if refused:
        raise RowRefusal(FIELD_COLUMN[changed[0]], refused)
    for name in changed:
        setattr(problem, name, values[name])
    detail = "、".join(FIELD_COLUMN[name] for name in changed)
    if step is not None:
        run_step(problem, step, user, values)
        return Outcome(number, problem.number, f"更新（{workflow.STEPS[step].label}）", detail), problem
    return Outcome(number, problem.number, "更新", detail), problem


def check_row(problem: Problem) -> None:
    """The rules every write is held to (models.base runs them again at the flush): checked here, row by row,
    so that a refusal names its row."""
    with db.session.no_autoflush:
        problem.before_save()
        problem.check()
        message = campaign_mismatch(problem)
    if message:
        raise RowRefusal(None, message)


def run_step(problem: Problem, step: str, user, values: dict) -> None:
    try:
        workflow.ACTIONS[step](problem, user, **step_args(step, values))
    except DomainError as error:
        raise RowRefusal(FIELD_COLUMN["status"], str(error)) from None


def flushed(result: ImportResult) -> bool:
    """Write what the rows so far changed (inside the import's transaction); a refusal becomes the import's error."""
    try:
        db.session.flush()
        return True
    except DomainError as error:
        result.errors.append(CellError(0, None, None, f"写入时被拒绝：{error}"))
        return False


def import_problems(data: bytes, campaign: Campaign, user, dry_run: bool = False) -> ImportResult:
    """Check every row of a 附件2 file, then write all of it or nothing (nothing at all on a dry run)."""
    sheet = read_sheet(data, annex2.HEADERS, "附件2问题清单")
    result = ImportResult(errors=list(sheet.errors), dry_run=dry_run)
    convert = parsers(Lookup(campaign, user))
    parsed = [(number, parse_row(number, cells, convert, result.errors)) for number, cells in sheet.rows]
    numbers = [v["number"] for _, v in parsed if v["number"]]
    repeated = {n for n, times in Counter(numbers).items() if times > 1}
    for number, values in parsed:
        if values["number"] in repeated:
            result.errors.append(CellError(number, COLUMN[FIELD_COLUMN["number"]], FIELD_COLUMN["number"], f"问题编号“{values['number']}”在文件中出现了不止一次"))
    if result.errors:
        return result
    visible = scope_query(select(Problem).where(Problem.campaign_id == campaign.id, Problem.number.in_(numbers))
                          .options(*ROW_RELATIONS), Problem, user)
    problems = {p.number: p for p in db.session.scalars(visible)}
    try:
        with db.session.no_autoflush:  # flushed every FLUSH_EVERY rows: every row is checked as it is applied
            for position, (number, values) in enumerate(parsed, start=1):
                try:
                    outcome, written = apply_row(number, values, campaign, user, problems)
                    if written is not None:
                        check_row(written)
                    result.outcomes.append(outcome)
                except RowRefusal as refusal:
                    result.errors.append(CellError(number, COLUMN.get(refusal.header), refusal.header, refusal.message))
                if not result.errors and position % FLUSH_EVERY == 0 and not flushed(result):
                    break
        if not result.errors:
            flushed(result)
        if result.errors or dry_run:
            db.session.rollback()
        else:
            db.session.commit()
            result.written = True
    except Exception:
        db.session.rollback()
        raise
    return result
