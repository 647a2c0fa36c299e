"""Import of an enterprise list (企业名单): rows match enterprises by name (update) or create them, with their
working-group links (联点工作组). All rows are checked first; one error and nothing is written."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from exports.enterprises import HEADERS
from models import Campaign, Enterprise, EnterpriseGroup, db
from models.errors import DomainError
from models.uscc import uscc_error
from models.terms import Vocabulary
from models.vocab import NO, YES
from models.scope import scope_query

from .problems import FLUSH_EVERY, ImportResult, Lookup, Outcome
from .workbook import CellError, read_sheet, split_names, text

COLUMN = {header: index for index, header in enumerate(HEADERS, start=1)}
FIELDS = ("credit_code", "ownership", "above_scale", "industry", "town", "contact", "phone")
MAY_IMPORT = ("admin", "coordinator")


def parse(number: int, cells: dict, lookup: Lookup, errors: list[CellError]) -> dict:
    values = {}

    def read(header, convert):
        try:
            return convert(cells.get(header))
        except ValueError as error:
            errors.append(CellError(number, COLUMN[header], header, str(error)))
            return None

    def name(value):
        value = text(value)
        if value is None:
            raise ValueError("不能为空")
        if len(value) > 200:
            raise ValueError("超过200个字")
        return value

    def code(value):
        value = (text(value) or "").upper() or None
        if value and uscc_error(value):
            raise ValueError(uscc_error(value))
        return value

    def yes_no(value):
        value = text(value)
        if value not in (None, YES, NO):
            raise ValueError(f"应填“是”或“否”，当前为“{value}”")
        return value == YES

    values["name"] = read("企业名称", name)
    values["credit_code"] = read("统一社会信用代码", code)
    values["ownership"] = read("所有制", lookup.term(Vocabulary.OWNERSHIP))
    values["above_scale"] = read("规上企业", yes_no)
    values["industry"] = text(cells.get("行业"))
    values["town"] = read("所在镇（园区）", lambda v: Lookup.one(lookup.units, text(v), "镇（园区）") if text(v) else None)
    values["contact"] = text(cells.get("联系人"))
    values["phone"] = text(cells.get("联系电话"))
    values["groups"] = read("联点工作组", lambda v: [Lookup.one(lookup.groups, n, "工作组") for n in split_names(v)])
    return values


def import_enterprises(data: bytes, campaign: Campaign, user, dry_run: bool = False) -> ImportResult:
    """Check every row of an enterprise list, then write all of it or nothing."""
    result = ImportResult(dry_run=dry_run)
    if user.role not in MAY_IMPORT:
        raise DomainError("只有推进办或系统管理员可以导入企业名单。")
    sheet = read_sheet(data, HEADERS, "企业名单")
    result.errors += sheet.errors
    lookup = Lookup(campaign, user)
    parsed = [(number, parse(number, cells, lookup, result.errors)) for number, cells in sheet.rows]
    names = Counter(v["name"] for _, v in parsed if v["name"])
    codes = Counter(v["credit_code"] for _, v in parsed if v["credit_code"])
    for number, values in parsed:
        if values["name"] and names[values["name"]] > 1:
            result.errors.append(CellError(number, COLUMN["企业名称"], "企业名称", f"企业“{values['name']}”在文件中出现了不止一次"))
        if values["credit_code"] and codes[values["credit_code"]] > 1:
            result.errors.append(CellError(number, COLUMN["统一社会信用代码"], "统一社会信用代码", "统一社会信用代码在文件中重复"))
    existing = {f.name: f for f in db.session.scalars(
        scope_query(select(Enterprise).where(Enterprise.campaign_id == campaign.id), Enterprise, user))}
    by_code = {f.credit_code: f for f in existing.values() if f.credit_code}
    for number, values in parsed:
        owner = by_code.get(values["credit_code"])
        if values["name"] and owner is not None and owner.name != values["name"]:
            result.errors.append(CellError(number, COLUMN["统一社会信用代码"], "统一社会信用代码",
                                           f"该代码已属于企业“{owner.name}”"))
    if result.errors:
        return result
    try:
        for position, (number, values) in enumerate(parsed, start=1):
            firm = existing.get(values["name"])
            created = firm is None
            if created:
                firm = Enterprise(campaign=campaign, name=values["name"])
                db.session.add(firm)
            changed = [f for f in FIELDS if getattr(firm, f) != values[f] and not (created and values[f] is None)]
            for name in changed:
                setattr(firm, name, values[name])
            linked = {link.body_id for link in firm.groups}
            wanted = {g.id for g in values["groups"]}
            for link in list(firm.groups):
                if link.body_id not in wanted:
                    firm.groups.remove(link)
            for group in values["groups"]:
                if group.id not in linked:
                    firm.groups.append(EnterpriseGroup(body=group))
            moved = linked != wanted
            action = "新增" if created else "更新" if changed or moved else "不变"
            result.outcomes.append(Outcome(number, values["name"], action, "、".join(changed)))
            if position % FLUSH_EVERY == 0:
                db.session.flush()
        db.session.flush()
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
            result.written = True
    except DomainError as error:
        db.session.rollback()
        result.errors.append(CellError(0, None, None, str(error)))
    except Exception:
        db.session.rollback()
        raise
    return result
