"""Import of an enterprise list (企业名单): rows match enterprises by name (update) or create them, with their
working-group links (联点工作组). A name is matched as imports.names matches it: as written, else once normalised
(traditional characters, spaces, brackets, the company suffix), said in the preview; the stored name is kept. All rows
are checked first; one error and nothing is written. A file the campaign imported before is skipped unless confirmed."""
from __future__ import annotations

import unicodedata
from collections import Counter

from models import Campaign, Enterprise, EnterpriseGroup, db
from models.errors import DomainError
from models.uscc import uscc_error
from models.terms import Vocabulary

from models.batches import earlier_import, snapshot
from models.enterprise_list import HEADER_OF, HEADERS
from models.scope import FIRM_CREATORS

from .cells import read_yes_no
from .problems import Lookup, read_cell
from .results import FLUSH_EVERY, NEW, SAME, UPDATED, ImportResult, Outcome, collector_paused, keep_batch
from .workbook import CellError, CellNote, Noted, Sheet, read_sheet, text

FIELDS = tuple(field for field in HEADER_OF if field not in ("name", "groups"))  # the plain values a row sets


def parse(number: int, cells: dict, lookup: Lookup, sheet: Sheet, errors: list[CellError], notes: list) -> dict:
    """The row's values for the columns the file has (a column left out is not in the result, and stays as it is)."""
    def name(value):
        value = text(value)
        if value is None:
            raise ValueError("不能为空")
        if len(value) > 200:
            raise ValueError("超过200个字")
        return value

    def code(value):
        raw = text(value)
        value = unicodedata.normalize("NFKC", raw).replace(" ", "").upper() if raw else None
        if value and uscc_error(value):
            raise ValueError(uscc_error(value))
        return Noted(value, f"“{raw}”读作 {value}") if value and value != raw else value

    def yes_no(value):
        flag, note = read_yes_no(value)
        return Noted(flag, note) if note else flag

    def town(value):  # one of the campaign's towns and parks (imports.problems.Lookup)
        return lookup.find("town", value)

    def groups(value):
        return lookup.find_all("group", value)

    convert = {"name": name, "credit_code": code, "ownership": lookup.term(Vocabulary.OWNERSHIP), "above_scale": yes_no,
               "industry": text, "town": town, "contact": text, "phone": text, "groups": groups}
    return {field: read_cell(number, sheet, cells, header, convert[field], errors, notes)
            for field, header in HEADER_OF.items() if header in sheet.columns}


def import_enterprises(data: bytes, campaign: Campaign, user, dry_run: bool = False, choices: dict | None = None,
                       file_name: str = "", allow_duplicates: bool = False) -> ImportResult:
    """Check every row of an enterprise list, then write all of it or nothing, recorded as an import batch that can be
    undone (models.batches); a file the campaign imported before writes nothing unless `allow_duplicates`."""
    if user.role not in FIRM_CREATORS:
        raise DomainError("只有推进办或系统管理员可以导入企业名单。")
    with collector_paused():
        return checked_and_written(data, campaign, user, dry_run, choices, file_name, allow_duplicates)


def checked_and_written(data: bytes, campaign: Campaign, user, dry_run: bool, choices: dict | None, file_name: str,
                        allow_duplicates: bool) -> ImportResult:
    """import_enterprises, with the collector paused."""
    sheet = read_sheet(data, HEADERS, "企业名单", required=(("企业名称",),), computed=("序号",))
    result = ImportResult(dry_run=dry_run, errors=list(sheet.errors), sheet=sheet, notes=list(sheet.notes),
                          allow_duplicates=allow_duplicates, same_file=earlier_import(campaign.id, data, user))
    lookup = Lookup(campaign, user, {k: v for k, v in (choices or {}).items() if k != "new"})
    parsed = [(number, parse(number, cells, lookup, sheet, result.errors, result.notes)) for number, cells in sheet.rows]
    result.unknown = lookup.unknown()
    matched = {number: match(number, values, lookup, sheet, result) for number, values in parsed}

    def named(number: int, values: dict):  # the enterprise a row is about: one matched, or a new name
        return matched[number].id if matched[number] is not None else values["name"]

    names = Counter(named(number, v) for number, v in parsed if v.get("name"))
    codes = Counter(v["credit_code"] for _, v in parsed if v.get("credit_code"))
    for number, values in parsed:
        if values.get("name") and names[named(number, values)] > 1:
            result.errors.append(CellError(number, sheet.column("企业名称"), "企业名称", f"企业“{values['name']}”在文件中出现了不止一次"))
        if values.get("credit_code") and codes[values["credit_code"]] > 1:
            result.errors.append(CellError(number, sheet.column("统一社会信用代码"), "统一社会信用代码", "统一社会信用代码在文件中重复"))
    existing = lookup.names["enterprise"].exact
    by_code = {f.credit_code: f for rows in existing.values() for f in rows if f.credit_code}
    for number, values in parsed:
        owner = by_code.get(values.get("credit_code"))
        if values.get("name") and owner is not None and owner is not matched[number]:
            result.errors.append(CellError(number, sheet.column("统一社会信用代码"), "统一社会信用代码",
                                           f"该代码已属于企业“{owner.name}”"))
    if result.errors:
        return result
    try:
        for position, (number, values) in enumerate(parsed, start=1):
            firm = matched[number]
            created = firm is None
            before = None if created else snapshot(firm)
            if created:
                firm = Enterprise(campaign=campaign, name=values["name"])
                db.session.add(firm)
            changed = [f for f in FIELDS if f in values and getattr(firm, f) != values[f] and not (created and values[f] is None)]
            for name in changed:
                setattr(firm, name, values[name])
            moved = False
            if "groups" in values:
                linked = {link.body_id for link in firm.groups}
                wanted = {g.id for g in values["groups"]}
                for link in list(firm.groups):
                    if link.body_id not in wanted:
                        firm.groups.remove(link)
                for group in values["groups"]:
                    if group.id not in linked:
                        firm.groups.append(EnterpriseGroup(body=group))
                moved = linked != wanted
            action = NEW if created else UPDATED if changed or moved else SAME
            if action != SAME:
                result.touched.append((firm, created, before))
            result.outcomes.append(Outcome(number, firm.name, action, "、".join(HEADER_OF[f] for f in changed)))
            if position % FLUSH_EVERY == 0:
                db.session.flush()
        db.session.flush()
        if dry_run or result.skipped_file:
            db.session.rollback()
        else:
            result.batch = keep_batch("enterprises", campaign, user, file_name, data, result, result.touched)
            db.session.commit()
            result.written = True
    except DomainError as error:
        db.session.rollback()
        result.errors.append(CellError(0, None, None, str(error)))
    except Exception:
        db.session.rollback()
        raise
    return result


def match(number: int, values: dict, lookup: Lookup, sheet: Sheet, result: ImportResult):
    """The enterprise of the campaign a row names (imports.names: as written, else once normalised, said in the
    preview), or None for a new one; several that answer to the name are the row's error."""
    if not values.get("name"):
        return None
    try:
        found = lookup.names["enterprise"].match(values["name"])
    except ValueError as error:
        result.errors.append(CellError(number, sheet.column("企业名称"), "企业名称", str(error)))
        return None
    if isinstance(found, Noted):
        result.notes.append(CellNote(number, sheet.column("企业名称"), "企业名称", found.note))
        return found.value
    return found
