"""附件2 问题清单: problems in, a print-ready workbook out. The same layout comes back in through imports.problems."""
from __future__ import annotations

from datetime import date

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Enterprise, Problem, db, ledger

from .style import filled_line, table_sheet, workbook

ANNEX2_COLUMNS = (
    ("序号", 5), ("问题编号", 15), ("企业名称", 18), ("所在镇（园区）", 10), ("问题类型", 8), ("问题描述", 30),
    ("企业诉求", 20), ("收集工作组", 12), ("收集时间", 11), ("责任单位", 12), ("协办单位", 12), ("责任人", 9),
    ("督办人", 9), ("办理时限", 11), ("办理进展", 26), ("办理状态", 8), ("亮灯", 5), ("销号时间", 11), ("满意度", 8),
    ("备注", 16),
)
HEADERS = tuple(text for text, _ in ANNEX2_COLUMNS)


# Everything a 附件2 row shows, loaded in a handful of queries instead of several per row.
ANNEX2_RELATIONS = (
    selectinload(Problem.enterprise).selectinload(Enterprise.town), selectinload(Problem.collected_by_body),
    selectinload(Problem.responsible_unit), selectinload(Problem.co_units), selectinload(Problem.lead_person),
    selectinload(Problem.supervisor),
)
CHUNK = 5000


def problems_in_order(ids: list[int]) -> list[Problem]:
    """The problems with these ids, in this order, with what 附件2 shows of them."""
    found: dict[int, Problem] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        found.update((p.id, p) for p in db.session.scalars(select(Problem).where(Problem.id.in_(chunk)).options(*ANNEX2_RELATIONS)))
    return [found[pk] for pk in ids if pk in found]


def name_of(row) -> str | None:
    return row.name if row is not None else None


def annex2_row(number: int, problem, today: date, yellow_days: int) -> list:
    """One problem as a row of 附件2."""
    enterprise = problem.enterprise
    return [
        number, problem.number, name_of(enterprise), name_of(enterprise.town) if enterprise else None, problem.category,
        problem.description, problem.demand, name_of(problem.collected_by_body), problem.collected_on,
        name_of(problem.responsible_unit), "、".join(u.name for u in problem.co_units) or None,
        name_of(problem.lead_person), name_of(problem.supervisor), problem.deadline, problem.progress, problem.status,
        ledger.light(problem, today, yellow_days), problem.closed_on, problem.satisfaction, problem.remark,
    ]


def annex2_title(campaign_name: str) -> str:
    return f"{campaign_name}问题清单"


def annex2_workbook(problems, campaign_name: str, reporting_unit: str, filled_on: date, today: date,
                    yellow_days: int = ledger.DEFAULT_YELLOW_DAYS) -> Workbook:
    """附件2 问题清单 for `problems` (already scoped and ordered by the caller)."""
    wb = workbook()
    line = filled_line(reporting_unit, filled_on)
    rows = (annex2_row(number, problem, today, yellow_days) for number, problem in enumerate(problems, start=1))
    table_sheet(wb, "问题清单", annex2_title(campaign_name), line, list(ANNEX2_COLUMNS), rows)
    return wb
