"""附件2 问题清单, declared once: each column's header and width, the ledger list's column it is, what the cell
shows for a problem, and, for the columns an import reads back, the problem's attribute and how the cell is parsed.

The ledger list (admin.ledger), the exporter (exports.problems) and the importer (imports.problems) are all made from
COLUMNS; tests/test_annex2.py checks that the three agree with it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from . import ledger
from .problem import Problem


@dataclass(frozen=True)
class Row:
    """What a cell may need besides its problem: the row's 序号, and the day and yellow window of its light."""

    number: int
    today: date
    yellow_days: int = ledger.DEFAULT_YELLOW_DAYS


def name_of(row) -> str | None:
    return row.name if row is not None else None


@dataclass(frozen=True)
class Column:
    header: str  # as 附件2 prints it
    width: int  # in characters, in the workbook
    key: str  # the ledger list's column: a Problem attribute, a dotted path or a computed one
    value: Callable[[Problem, Row], object]  # what the cell shows
    field: str | None = None  # the attribute an import writes from it (None: computed, not read back)
    parse: str | None = None  # how an imported cell becomes that value: a key of what imports.problems.parsers() returns


COLUMNS = (
    Column("序号", 5, "row_number", lambda p, row: row.number),
    Column("问题编号", 15, "number", lambda p, row: p.number, "number", "text"),
    Column("企业名称", 18, "enterprise", lambda p, row: name_of(p.enterprise), "enterprise", "enterprise"),
    Column("所在镇（园区）", 10, "enterprise.town", lambda p, row: name_of(p.enterprise.town) if p.enterprise else None),
    Column("问题类型", 8, "category", lambda p, row: p.category, "category", "category"),
    Column("问题描述", 30, "description", lambda p, row: p.description, "description", "required text"),
    Column("企业诉求", 20, "demand", lambda p, row: p.demand, "demand", "text"),
    Column("收集工作组", 12, "collected_by_body", lambda p, row: name_of(p.collected_by_body), "collected_by_body", "group"),
    Column("收集时间", 11, "collected_on", lambda p, row: p.collected_on, "collected_on", "date"),
    Column("责任单位", 12, "responsible_unit", lambda p, row: name_of(p.responsible_unit), "responsible_unit", "unit"),
    Column("协办单位", 12, "co_units", lambda p, row: "、".join(u.name for u in p.co_units) or None, "co_units", "units"),
    Column("责任人", 9, "lead_person", lambda p, row: name_of(p.lead_person), "lead_person", "person"),
    Column("督办人", 9, "supervisor", lambda p, row: name_of(p.supervisor), "supervisor", "person"),
    Column("办理时限", 11, "deadline", lambda p, row: p.deadline, "deadline", "date"),
    Column("办理进展", 26, "progress", lambda p, row: p.progress, "progress", "text"),
    Column("办理状态", 8, "status", lambda p, row: p.status, "status", "status"),
    Column("亮灯", 5, "light", lambda p, row: ledger.light(p, row.today, row.yellow_days)),
    Column("销号时间", 11, "closed_on", lambda p, row: p.closed_on),
    Column("满意度", 8, "satisfaction", lambda p, row: p.satisfaction, "satisfaction", "satisfaction"),
    Column("备注", 16, "remark", lambda p, row: p.remark, "remark", "text"),
)
HEADERS = tuple(column.header for column in COLUMNS)
TEMPLATE_MARK = "填报模板"  # in the title of a blank form to fill in offline (exports.templates), which imports know by it
HEADER_OF = {column.key: column.header for column in COLUMNS}  # the ledger's labels of these columns
READ_BACK = tuple(column for column in COLUMNS if column.field)  # what an import reads


def row_values(problem: Problem, row: Row) -> list:
    """One problem as a row of 附件2."""
    return [column.value(problem, row) for column in COLUMNS]
