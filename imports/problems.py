"""Import of the 附件2 问题清单 layout: `flask --app app import problems PATH [--dry-run]` and the upload screen.

Rows match existing problems by 问题编号 (and update them) or, without a number, create new ones. Every row is
checked first (unknown enterprise, group, unit or person, unparsable dates, values outside the allowed lists, a
status jump the workflow does not allow, rows outside the importer's scope) and every error is reported with its
row and column. The import is all-or-nothing: one error and nothing is written. Status changes go through
models.workflow, one legal step at a time, so the trail (ProblemUpdate, AuditLog) is the same as on screen: a changed
办理状态 is the steps that lead there from the current one (models.workflow.route: 已交办 → 已办结 is 签收 then 申请办结;
no way back, and 已销号 only from 已办结), a changed 办理进展 cell on a problem in hand is a 报告进展 with the cell's text.
A unit's step the importer's role does not take itself is, for the 推进办, 代录 by Excel (models.workflow.as_imported):
the office brings in what units answered in the sheet. Undoing the batch takes the steps back with the row's values.

Columns computed by the system are not read back: 序号, 所在镇（园区） (from the enterprise), 亮灯 and 销号时间.
办理进展 is also the text of a status step (the 办理结果 when a row moves to 已办结, the reason of a 重新办理 or 撤销).

Duplicates are skipped unless the user confirms them (allow_duplicates): a file the campaign imported before (same
SHA-256, not undone: models.batches.earlier_import) writes nothing, and a new problem repeating an open one of the
same enterprise and description, or an earlier row of the file, is left out; the preview lists both.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Body, Campaign, Enterprise, Person, Problem, Unit, annex2, db, workflow
from models.base import campaign_mismatch
from models.errors import DomainError
from models import terms
from models.org import is_town
from models.terms import Vocabulary
from models.vocab import OPEN_STATUSES, PROBLEM_STATUSES, RUNNING_STATUSES, BodyKind, Channel, Status
from models.steps import StepName
from models.workflow import entered_via
from models.scope import FIRM_CREATORS, TERM_ADDERS, change_refusal, scope_query

from models.batches import earlier_import, snapshot
from models.problem import ProblemUpdate
from models.uscc import uscc_error
from seeds.normalise import simplified

from .cells import name_key
from .names import Names
from .results import (ASSIGN_ON_CONFIRM, ASSIGNED_NEW, FLUSH_EVERY, NEW, SAME, SKIPPED, UPDATED, ImportResult, Outcome,
                      collector_paused, keep_batch)
from .workbook import CellError, CellNote, Noted, RowRefusal, Sheet, parse_date, read_sheet, split_names, text

# What a 附件2 file must have: 问题编号 (rows update the problems they name), or 企业名称 and 问题描述 (new problems).
REQUIRED_COLUMNS = (("问题编号",), ("企业名称", "问题描述"))
# 所在镇（园区） shows the enterprise's town: read only for an enterprise the import creates (settle_town).
TOWN = annex2.HEADER_OF["enterprise.town"]
# Columns of 附件2 the system fills in: recognised in a file, never read back.
COMPUTED_COLUMNS = tuple(column.header for column in annex2.COLUMNS if not column.field and column.header != TOWN)
# What a working group's template fills in before the group writes a problem (exports.templates).
PREFILLED = {annex2.HEADER_OF["enterprise"], annex2.HEADER_OF["collected_by_body"], annex2.HEADER_OF["enterprise.town"]}
# Rows applied between flushes: what the session holds unwritten (and the memory a flush takes) stays small, so that
# a 20,000-row file imports within the memory limit of the hardening issue (tests/test_upload_limits.py).
IDS_PER_QUERY = 1_000  # ids in one IN (…) list: well within what SQLite, PostgreSQL and MariaDB take
# What a row is compared with, loaded with the problems in a few queries rather than one per row.
ROW_RELATIONS = [selectinload(getattr(Problem, name)) for name in (
    "enterprise", "collected_by_body", "responsible_unit", "co_units", "lead_person", "supervisor", "campaign")]
PLAIN = ("enterprise", "description", "demand", "category", "collected_by_body", "collected_on", "remark")
ASSIGNMENT = ("responsible_unit", "co_units", "lead_person", "supervisor", "deadline")
FIELD_COLUMN = {column.field: column.header for column in annex2.READ_BACK}


class Lookup:
    """The rows a file may name, among those the importing user may see in the campaign, matched as a clerk would
    (imports.names); `choices` are the user's confirmations from the preview: {kind: {name in the file: id}}, and
    for enterprises to create, {"new": {name: 统一社会信用代码}}."""

    KINDS = {"enterprise": "企业", "group": "工作组", "unit": "单位", "person": "人员", "town": "所在镇（园区）"}

    def __init__(self, campaign: Campaign, user, choices: dict | None = None):
        def visible(model, *where):
            return db.session.scalars(scope_query(select(model).where(model.campaign_id == campaign.id, *where), model, user)).all()

        self.campaign, self.campaign_id, self.readers, self.user = campaign, campaign.id, {}, user
        self.names = {
            "enterprise": Names(visible(Enterprise), "企业", company=True),
            "group": Names(visible(Body, Body.kind == BodyKind.WORKING_GROUP), "工作组"),
            "unit": Names(visible(Unit), "单位"),
            "person": Names(visible(Person), "人员"),
            "town": Names(visible(Unit, is_town(campaign.id)), "镇（园区）"),  # the campaign's towns and parks
        }
        choices = choices or {}
        for kind, names in self.names.items():
            for name, pk in (choices.get(kind) or {}).items():
                row = names.by_id(int(pk)) if str(pk).isdigit() else None
                if row is not None:
                    names.chosen[name] = row
        self.new_firms = {name: code for name, code in (choices.get("new") or {}).items() if name}
        # the user's mapping of values a vocabulary does not know: {vocabulary: {value in the file: term, or NEW_TERM}}
        self.term_choices: dict[str, dict[str, str]] = choices.get("terms") or {}
        self.unknown_terms: dict[str, dict[str, list]] = {}
        self.added_terms: list[tuple[str, str]] = []  # (vocabulary, term) the import adds, as the user asked
        self.created: dict[str, Enterprise] = {}
        self.enterprises, self.groups, self.units = (self.names[k].exact for k in ("enterprise", "group", "unit"))
        self.people = self.names["person"].exact

    def find(self, kind: str, value):
        """The row a cell names (Noted when matched otherwise than as written), None for an empty cell; an enterprise
        the user asked to create is made (once) with its 统一社会信用代码."""
        name = text(value)
        if name is None:
            return None
        if kind == "enterprise" and name in self.new_firms and name not in self.names[kind].exact:
            return Noted(self.new_enterprise(name), f"新建企业“{name}”（按您的确认）")
        return self.names[kind].find(name)

    def find_all(self, kind: str, value):
        """The rows a cell of several names (顿号、逗号 or 分号 between them) names, Noted with what was read otherwise."""
        found = [self.find(kind, name) for name in split_names(value)]
        notes = [f.note for f in found if isinstance(f, Noted)]
        rows = [f.value if isinstance(f, Noted) else f for f in found]
        return Noted(rows, "；".join(notes)) if notes else rows

    def new_enterprise(self, name: str) -> Enterprise:
        if name not in self.created:
            code = (self.new_firms[name] or "").strip().upper() or None
            if code and uscc_error(code):
                raise ValueError(f"新建企业“{name}”的统一社会信用代码有误：{uscc_error(code)}")
            if code and db.session.scalar(select(Enterprise.id).where(Enterprise.campaign_id == self.campaign_id,
                                                                      Enterprise.credit_code == code)):
                raise ValueError(f"新建企业“{name}”的统一社会信用代码{code}已属于本专项行动的另一家企业")
            firm = Enterprise(campaign=self.campaign, name=name, credit_code=code)
            db.session.add(firm)
            self.created[name] = firm
        return self.created[name]

    def unknown(self) -> dict[str, dict[str, list]]:
        """What the file names that the campaign does not know, for the user to map in the preview: names by kind,
        then values by vocabulary (each with the terms it may be, as options with an id and a name)."""
        found = {kind: dict(names.unknown) for kind, names in self.names.items() if names.unknown}
        return found | self.unknown_terms

    def term(self, vocabulary: str):
        """A cell's text as a term of the campaign's `vocabulary` (a former name is read as the term it became);
        ValueError listing the terms in use otherwise."""
        if vocabulary in self.readers:
            return self.readers[vocabulary]
        resolve, names = terms.resolver(self.campaign_id, vocabulary), terms.values(self.campaign_id, vocabulary)

        def convert(value):
            value = text(value)
            if value is None:
                return None
            term = resolve(value)
            if term is None and (plain := simplified(value)) != value and resolve(plain) is not None:
                return Noted(resolve(plain), f"“{value}”（繁体字）按“{resolve(plain)}”读取")
            if term is None:
                return self.mapped_term(vocabulary, value, names)
            return term if term == value else Noted(term, f"“{value}”是“{term}”的旧称，按“{term}”读取")
        return self.readers.setdefault(vocabulary, convert)


    def mapped_term(self, vocabulary: str, value: str, names: list[str]):
        """A value `vocabulary` does not know, as the user mapped it in the preview: to a term in use, or added as a new
        term (the 推进办's, once per import); ValueError listing the terms, and the value offered for mapping, otherwise."""
        chosen = self.term_choices.get(vocabulary, {}).get(value)
        if chosen == NEW_TERM:
            if self.user.role not in TERM_ADDERS:
                raise ValueError(f"只有推进办或系统管理员可以新增{vocabulary}“{value}”")
            if (vocabulary, value) not in self.added_terms:
                try:
                    terms.add_term(self.campaign_id, vocabulary, value)
                    db.session.flush()  # the term is in use before any row that carries it is written
                except DomainError as error:
                    raise ValueError(str(error)) from None
                self.added_terms.append((vocabulary, value))
            return Noted(value, f"新增{vocabulary}“{value}”（按您的确认）")
        if chosen in names:
            return Noted(chosen, f"“{value}”按您的确认读作{vocabulary}“{chosen}”")
        self.unknown_terms.setdefault(vocabulary, {})[value] = [Option(name, name) for name in names]
        raise ValueError(f"“{value}”不是本专项行动的{vocabulary}（可选：{'、'.join(names)}；可在下方指定它是哪一个）")


@dataclass(frozen=True)
class Option:
    """A choice the preview offers for a value the file names (a term: its name is its id)."""

    id: str
    name: str


NEW_TERM = "new"  # the preview's choice: add the file's value as a new term


def parsers(lookup: Lookup, year: int | None = None, year_source: str = "") -> dict:
    """How an imported cell becomes a value, by the `parse` of each column models.annex2 reads back: the value, or
    Noted(value, how it was read); ValueError (in Chinese) when it cannot. `year` is taken for a date without one."""
    def choice(allowed, what):
        def convert(value):
            value = text(value)
            if value is not None and value not in allowed:
                if simplified(value) in allowed:
                    return Noted(simplified(value), f"“{value}”（繁体字）按“{simplified(value)}”读取")
                raise ValueError(f"“{value}”不是有效的{what}（可选：{'、'.join(allowed)}）")
            return value
        return convert

    def named(kind):
        return lambda value: lookup.find(kind, value)

    def required(value):
        value = text(value)
        if value is None:
            raise ValueError("不能为空")
        return value

    def units(value):
        return lookup.find_all("unit", value)

    return {
        "text": text,
        "required text": required,
        "date": lambda value: parse_date(value, year, year_source),
        "category": lookup.term(Vocabulary.CATEGORY),
        "status": choice(PROBLEM_STATUSES, annex2.HEADER_OF["status"]),
        "satisfaction": lookup.term(Vocabulary.SATISFACTION),
        "enterprise": named("enterprise"),
        "group": named("group"),
        "unit": named("unit"),
        "units": units,
        "person": named("person"),
    }


def read_cell(number: int, sheet: Sheet, cells: dict, header: str, convert, errors: list, notes: list):
    """One cell of a row through its converter: the value; an error or a note (naming row and column) recorded."""
    try:
        value = convert(cells.get(header))
    except ValueError as error:
        errors.append(CellError(number, sheet.column(header), header, str(error)))
        return None
    if isinstance(value, Noted):
        notes.append(CellNote(number, sheet.column(header), header, value.note))
        return value.value
    return value


def parse_row(number: int, cells: dict, convert: dict, sheet: Sheet, errors: list, notes: list) -> dict:
    """The row's values as the model's types, for the columns models.annex2 reads back that the file has (a column
    the file leaves out is not in the result: the import leaves that field as it is), with errors and notes naming
    the row and the column."""
    return {column.field: read_cell(number, sheet, cells, column.header, convert[column.parse], errors, notes)
            for column in annex2.READ_BACK if column.header in sheet.columns}


def same(old, new) -> bool:
    if isinstance(old, list) or isinstance(new, list):
        return {x.id for x in old or []} == {x.id for x in new or []}
    return (old or None) == (new or None)


def step_args(step: str, values: dict) -> dict:
    """What the workflow function of `step` takes from the row."""
    return {
        StepName.ASSIGN: {**{name: values.get(name) for name in ASSIGNMENT}, "co_units": values.get("co_units") or []},
        StepName.PROGRESS: {"note": values.get("progress")},
        StepName.RESOLVE: {"resolution": values.get("progress")},
        StepName.CLOSE: {"satisfaction": values.get("satisfaction")},
        StepName.REOPEN: {"reason": values.get("progress")},
        StepName.WITHDRAW: {"reason": values.get("remark") or values.get("progress")},
    }.get(step, {})


def apply_row(number: int, values: dict, campaign: Campaign, user, problems: dict[str, Problem],
              touched: list, assign: bool | None = None) -> tuple[Outcome, Problem | None]:
    """change_row, and the outcome says which problem the row is (its enterprise, the start of its description)."""
    outcome, written = change_row(number, values, campaign, user, problems, touched, assign)
    problem = written or problems.get(values.get("number"))
    if problem is not None:
        outcome.summary, outcome.problem = which(problem.enterprise, problem.description), problem
    return outcome, written


def which(firm: Enterprise | None, description: str | None) -> str:
    """A problem as the preview names it: its enterprise and the start of its description."""
    text = description or ""
    return f"{firm.name if firm is not None else '（未填企业）'}：{text[:30]}{'…' if len(text) > 30 else ''}"


def change_row(number: int, values: dict, campaign: Campaign, user, problems: dict[str, Problem],
               touched: list, assign: bool | None = None) -> tuple[Outcome, Problem | None]:
    """Change the database as the row says, and tell which problem it wrote; raises RowRefusal before changing
    anything it refuses. A field whose column the file leaves out is not in `values`, and is left as it is."""
    status = values.get("status")
    if values.get("number") is None:
        for name in ("enterprise", "description"):
            if name not in values:
                header = FIELD_COLUMN[name]
                raise RowRefusal(FIELD_COLUMN["number"], f"新问题（未填问题编号）须有“{header}”，但文件中没有这一列；"
                                                         f"更新已有问题请填写问题编号")
        if status not in (None, Status.UNASSIGNED, Status.ASSIGNED):
            raise RowRefusal(FIELD_COLUMN["status"], "新问题的办理状态只能是“待交办”或“已交办”（交办时须同时填写责任单位、责任人和办理时限）。")
        # its status set now, not at the insert: a row that reads 已交办 is assigned before the problem is written
        problem = Problem(campaign=campaign, status=Status.UNASSIGNED, **{name: values.get(name) for name in PLAIN})
        entered_via(problem, "导入附件2问题清单")
        refused = change_refusal(problem, user)
        if refused:
            raise RowRefusal(FIELD_COLUMN["collected_by_body"], refused)
        if status == Status.ASSIGNED:
            run_step(problem, StepName.ASSIGN, user, values)  # adds the problem once the step is allowed
            touched.append((problem, True, None))
            return Outcome(number, None, ASSIGNED_NEW), problem
        if values.get("responsible_unit") is not None and status in (None, Status.UNASSIGNED) and (
                status is None or values.get("lead_person") is None):
            return assign_named(number, problem, values, user, touched, assign), problem
        if any(values.get(name) for name in ASSIGNMENT):
            raise RowRefusal(FIELD_COLUMN["responsible_unit"], "待交办的问题不应填写责任单位、责任人或办理时限；要交办请把办理状态写为“已交办”。")
        db.session.add(problem)
        touched.append((problem, True, None))
        return Outcome(number, None, NEW), problem
    problem = problems.get(values["number"])
    if problem is None:
        raise RowRefusal(FIELD_COLUMN["number"], f"问题编号“{values['number']}”不存在（或您无权查看）；新问题请留空问题编号。")
    changed = [name for name in PLAIN if name in values and not same(getattr(problem, name), values[name])]
    status = status or problem.status
    steps = []
    if status != problem.status:
        try:
            steps = workflow.route(problem, status)
        except DomainError as error:
            raise RowRefusal(FIELD_COLUMN["status"], str(error)) from None
    else:
        moved = [name for name in ASSIGNMENT if name in values and not same(getattr(problem, name), values[name])]
        if moved and problem.status == Status.UNASSIGNED:
            raise RowRefusal(FIELD_COLUMN[moved[0]], "待交办的问题不应填写责任单位、责任人或办理时限；要交办请把办理状态写为“已交办”。")
        if moved:
            raise RowRefusal(FIELD_COLUMN[moved[0]], "已交办问题的责任单位、协办单位、责任人、督办人和办理时限不能直接修改，请在系统中通过交办、延期等流程办理。")
    if (status == problem.status and problem.status == Status.CLOSED and "satisfaction" in values
            and not same(problem.satisfaction, values["satisfaction"])):
        raise RowRefusal(FIELD_COLUMN["satisfaction"], "满意度只能在销号时填写，不能再修改。")
    if progress_reported(problem, values, status, steps):
        steps.append(StepName.PROGRESS)  # a changed 办理进展 cell: the unit's 报告进展 (代录 by Excel for the 推进办)
    if not changed and not steps:
        return Outcome(number, problem.number, SAME), None
    refused = change_refusal(problem, user) if changed else None
    if refused:
        raise RowRefusal(FIELD_COLUMN[changed[0]], refused)
    touched.append((problem, False, snapshot(problem)))
    unit = problem.responsible_unit
    for name in changed:
        setattr(problem, name, values[name])
    detail = "、".join(FIELD_COLUMN[name] for name in changed)
    for step in steps:
        run_step(problem, step, user, values)
    if steps:
        said = values.get("progress") if any(step in (StepName.PROGRESS, *READS_PROGRESS) for step in steps) else None
        quoted = f"{FIELD_COLUMN['progress']}：{said[:60]}{'…' if len(said) > 60 else ''}" if said else ""
        return Outcome(number, problem.number, f"更新（{taken(steps, user, unit)}）", "；".join(filter(None, (detail, quoted)))), problem
    return Outcome(number, problem.number, UPDATED, detail), problem


def assign_named(number: int, problem: Problem, values: dict, user, touched: list, assign: bool | None) -> Outcome:
    """A new row that names its 牵头单位 (责任单位) but no 办理状态 or no 责任人, as an office's own sheet does: a 交办
    to that unit once the user confirms it (`assign`: None on the preview, which shows what the 交办 will be), with
    the row's 责任人 or the unit's usual one and the row's 办理时限 or the default one. Not confirmed, or without a
    person or a 办理时限 to assign with, it goes in 待交办, and the outcome says why."""
    unit = values["responsible_unit"]
    problem.campaign_id = problem.campaign.id  # the default 办理时限 reads the problem's type in its campaign
    lead = values.get("lead_person") or usual_lead(unit)
    deadline = values.get("deadline") or terms.default_deadline(problem, workflow.today())[1]
    why = ("未确认交办" if assign is False else
           f"单位“{unit}”在系统中没有人员、文件也没有填写责任人，不能交办" if lead is None else
           "文件没有填写办理时限、本专项行动也没有默认办理时限，不能交办" if deadline is None else None)
    if why:
        db.session.add(problem)
        touched.append((problem, True, None))
        return Outcome(number, None, NEW, f"{why}：作为待交办录入（牵头单位“{unit}”），可在系统中交办")
    run_step(problem, StepName.ASSIGN, user, {**values, "lead_person": lead, "deadline": deadline})
    touched.append((problem, True, None))
    return Outcome(number, None, ASSIGN_ON_CONFIRM if assign is None else ASSIGNED_NEW,
                   f"交办给{unit}：责任人{lead}，办理时限{deadline:%Y-%m-%d}")


def usual_lead(unit) -> Person | None:
    """The person a unit's problems usually go to: its 责任人 named last in the campaign, else its first person."""
    last = db.session.scalar(select(Person).join(Problem, Problem.lead_person_id == Person.id).where(
        Problem.responsible_unit_id == unit.id, Person.unit_id == unit.id)
        .order_by(Problem.assigned_on.desc(), Problem.id.desc()).limit(1))
    return last or db.session.scalar(select(Person).where(Person.unit_id == unit.id).order_by(Person.id).limit(1))


# Steps that take a row's 办理进展 cell as their own text (the 办理结果, the reason): the cell is no 报告进展 beside them.
READS_PROGRESS = (StepName.RESOLVE, StepName.REOPEN, StepName.WITHDRAW)


def progress_reported(problem: Problem, values: dict, status: str, steps: list[str]) -> bool:
    """Whether the row's 办理进展 cell says something new (not blank, not what the ledger shows now) that no step of
    the row takes as its text, on a problem in hand once its steps are taken: that is a 报告进展."""
    said = values.get("progress")
    return (said is not None and not same(problem.progress, said) and status in RUNNING_STATUSES
            and not any(step in READS_PROGRESS for step in steps))


def taken(steps: list[str], user, unit) -> str:
    """What the preview says a row's steps do, e.g. 签收 → 申请办结（推进办代录·Excel，代市发改局）."""
    labels = " → ".join(workflow.STEPS[step].label for step in steps)
    proxied = [step for step in steps if workflow.imported_by_proxy(step, user)]
    if not proxied:
        return labels
    which = "" if len(proxied) == len(steps) else f"{'、'.join(workflow.STEPS[s].label for s in proxied)}由"
    return f"{labels}；{which}推进办代录·{Channel.EXCEL}" + (f"，代{unit}" if unit is not None else "")


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
    """Take `step` as the row asks: the importer's own step, or the unit's step entered on its behalf (代录 by Excel,
    models.workflow.as_imported); a refusal names the 办理状态 column (the 办理进展 one for a 报告进展)."""
    try:
        workflow.as_imported(step, problem, user, **step_args(step, values))
    except DomainError as error:
        column = FIELD_COLUMN["progress" if step == StepName.PROGRESS else "status"]
        raise RowRefusal(column, str(error)) from None


def flushed(result: ImportResult) -> bool:
    """Write what the rows so far changed (inside the import's transaction); a refusal becomes the import's error."""
    result.new_updates += [o for o in db.session.new if isinstance(o, ProblemUpdate)]
    try:
        db.session.flush()
        return True
    except DomainError as error:
        result.errors.append(CellError(0, None, None, f"写入时被拒绝：{error}"))
        return False


def import_problems(data: bytes, campaign: Campaign, user, dry_run: bool = False, choices: dict | None = None,
                    file_name: str = "", allow_duplicates: bool = False) -> ImportResult:
    """Check every row of a 附件2 file, then write all of it or nothing (nothing at all on a dry run), recorded as an
    import batch that can be undone (models.batches). `choices` are the user's confirmations of names the file spells
    otherwise (Lookup); duplicates (the same file again, a row repeating an open problem or an earlier row) are left
    out unless `allow_duplicates`."""
    with collector_paused():
        return checked_and_written(data, campaign, user, dry_run, choices, file_name, allow_duplicates)


def checked_and_written(data: bytes, campaign: Campaign, user, dry_run: bool, choices: dict | None, file_name: str,
                        allow_duplicates: bool) -> ImportResult:
    """import_problems, with the collector paused."""
    sheet = read_sheet(data, annex2.HEADERS, "附件2问题清单", required=REQUIRED_COLUMNS, computed=COMPUTED_COLUMNS)
    result = ImportResult(errors=list(sheet.errors), dry_run=dry_run, sheet=sheet, notes=list(sheet.notes),
                          allow_duplicates=allow_duplicates, same_file=earlier_import(campaign.id, data, user))
    if choices and choices.get("new") and user.role not in FIRM_CREATORS:
        raise DomainError("只有推进办或系统管理员可以在导入时新建企业。")
    lookup = Lookup(campaign, user, choices)
    convert = parsers(lookup, *year_hint(sheet, campaign))
    try:
        rows = list(problem_rows(sheet))
        parsed = [(number, parse_row(number, cells, convert, sheet, result.errors, result.notes)) for number, cells in rows]
        for (number, values), (_, cells) in zip(parsed, rows):
            settle_town(number, cells, values, lookup, sheet, result.errors, result.notes)
        result.unknown = lookup.unknown()
        numbers = [v["number"] for _, v in parsed if v.get("number")]
        repeated = {n for n, times in Counter(numbers).items() if times > 1}
        for number, values in parsed:
            if values.get("number") in repeated:
                result.errors.append(CellError(number, sheet.column(FIELD_COLUMN["number"]), FIELD_COLUMN["number"],
                                               f"问题编号“{values['number']}”在文件中出现了不止一次"))
        if not result.errors:
            skip = {} if allow_duplicates else repeats(parsed, campaign, user)
            assign = (choices or {}).get("assign_named")
            apply_rows(parsed, campaign, user, numbers, sheet, result, skip, True if assign is None and not dry_run else assign)
        result.created = sorted(lookup.created)
        if result.errors or dry_run or result.skipped_file:
            db.session.rollback()
        else:
            firms = [(firm, True, None) for firm in lookup.created.values()]
            result.batch = keep_batch("problems", campaign, user, file_name, data, result, firms + result.touched)
            db.session.commit()
            result.written = True
    except Exception:
        db.session.rollback()
        raise
    return result


def settle_town(number: int, cells: dict, values: dict, lookup: Lookup, sheet: Sheet, errors: list, notes: list) -> None:
    """An enterprise the import creates (at the user's word) takes its 所在镇（园区） from its first row that names one,
    matched to the campaign's towns and parks like any name (an unknown one offered for mapping in the preview)."""
    firm = values.get("enterprise")
    named = text(cells.get(annex2.HEADER_OF["enterprise"]))
    pending = firm is None and named in lookup.names["enterprise"].unknown  # may yet be created: its town is asked now
    if TOWN not in sheet.columns or not (pending or firm is not None and firm.town is None and any(
            firm is created for created in lookup.created.values())):
        return
    town = read_cell(number, sheet, cells, TOWN, lambda value: lookup.find("town", value), errors, notes)
    if town is not None and firm is not None:
        firm.town = town


def problem_rows(sheet: Sheet):
    """The sheet's rows that say something about a problem: in a sheet made from the panel's template (its title says
    填报模板), a row that holds only what the template pre-filled (an enterprise, a working group) is skipped, and listed."""
    template = any(annex2.TEMPLATE_MARK in line for line in sheet.above)
    for number, cells in sheet.rows:
        filled = {header for header, value in cells.items() if value is not None}
        if template and filled <= PREFILLED:
            sheet.skipped.append((number, "只有模板预填的企业，没有填写问题"))
            continue
        yield number, cells


def year_hint(sheet: Sheet, campaign: Campaign) -> tuple[int | None, str]:
    """The year a date written without one is read in: the sheet's 填报时间, else the campaign's start."""
    if sheet.filled_on is not None:
        return sheet.filled_on.year, "表头上方填报时间"
    start = campaign.start_on or campaign.issued_on
    return (start.year, "专项行动") if start is not None else (None, "")


def repeats(parsed, campaign: Campaign, user) -> dict[int, str]:
    """The rows (by number) that would add a problem repeating one of the same enterprise and description (compared as
    imports.cells.name_key compares: spaces, full-width forms and traditional characters aside): an open problem the
    user may see, or an earlier row of the file; what each repeats."""
    new = [(number, values["enterprise"], name_key(values["description"])) for number, values in parsed
           if not values.get("number") and values.get("enterprise") is not None and values.get("description")]
    firms = sorted({firm.id for _, firm, _ in new if firm.id is not None})
    open_ones: dict[tuple, str] = {}
    for start in range(0, len(firms), IDS_PER_QUERY):
        query = select(Problem.number, Problem.enterprise_id, Problem.description).where(
            Problem.campaign_id == campaign.id, Problem.status.in_(OPEN_STATUSES),
            Problem.enterprise_id.in_(firms[start:start + IDS_PER_QUERY]))
        for number, firm_id, description in db.session.execute(scope_query(query, Problem, user)):
            open_ones.setdefault((firm_id, name_key(description or "")), number)
    seen: dict[tuple, int] = {}
    found = {}
    for number, firm, description in new:
        if firm.id is not None and (firm.id, description) in open_ones:
            found[number] = f"与未办结的问题{open_ones[firm.id, description]}重复（同一企业、同样的问题描述）"
        elif (id(firm), description) in seen:
            found[number] = f"与文件第{seen[id(firm), description]}行重复（同一企业、同样的问题描述）"
        else:
            seen[id(firm), description] = number
    return found


def apply_rows(parsed, campaign: Campaign, user, numbers: list[str], sheet: Sheet, result: ImportResult,
               skip: dict[int, str], assign: bool | None = None) -> None:
    """Apply every row in order but those `skip` leaves out (as duplicates, saying of what), flushing every
    FLUSH_EVERY rows; a refusal names its row and column."""
    visible = scope_query(select(Problem).where(Problem.campaign_id == campaign.id, Problem.number.in_(numbers))
                          .options(*ROW_RELATIONS), Problem, user)
    problems = {p.number: p for p in db.session.scalars(visible)}
    with db.session.no_autoflush:  # flushed every FLUSH_EVERY rows: every row is checked as it is applied
        for position, (number, values) in enumerate(parsed, start=1):
            if number in skip:
                summary = which(values["enterprise"], values["description"])
                result.outcomes.append(Outcome(number, None, SKIPPED, skip[number], summary))
                continue
            try:
                outcome, written = apply_row(number, values, campaign, user, problems, result.touched, assign)
                if written is not None:
                    check_row(written)
                result.outcomes.append(outcome)
            except RowRefusal as refusal:
                result.errors.append(CellError(number, sheet.column(refusal.header), refusal.header, refusal.message))
            if not result.errors and position % FLUSH_EVERY == 0 and not flushed(result):
                break
    if not result.errors:
        flushed(result)
