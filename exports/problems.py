"""附件2 问题清单: problems in, a print-ready workbook out, in the columns models.annex2 declares (the same layout comes
back in through imports.problems)."""
from __future__ import annotations

from datetime import date

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Enterprise, Problem, annex2, db, ledger

from .style import filled_line, table_sheet, workbook

ANNEX2_COLUMNS = tuple((column.header, column.width) for column in annex2.COLUMNS)  # (header, width) for table_sheet
HEADERS = annex2.HEADERS
# The 亮灯 cell in the colour of its light: tints that stay readable in black type and on a grey-scale printer.
LIGHT_FILLS = {ledger.Light.RED: "F4A6AA", ledger.Light.YELLOW: "FFE28A", ledger.Light.GREEN: "A9DDB6",
               ledger.Light.GREY: "D9D9D9"}
LIGHT_COLUMN = next(index for index, column in enumerate(annex2.COLUMNS) if column.key == "light")


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


def annex2_row(number: int, problem, today: date, yellow_days: int) -> list:
    """One problem as a row of 附件2 (models.annex2 declares the columns)."""
    return annex2.row_values(problem, annex2.Row(number, today, yellow_days))


def annex2_title(campaign_name: str) -> str:
    return f"{campaign_name}问题清单"


def annex2_workbook(problems, campaign_name: str, reporting_unit: str, filled_on: date, today: date,
                    yellow_days: int = ledger.DEFAULT_YELLOW_DAYS) -> Workbook:
    """附件2 问题清单 for `problems` (already scoped and ordered by the caller)."""
    wb = workbook()
    line = filled_line(reporting_unit, filled_on)
    rows = (annex2_row(number, problem, today, yellow_days) for number, problem in enumerate(problems, start=1))
    table_sheet(wb, "问题清单", annex2_title(campaign_name), line, list(ANNEX2_COLUMNS), rows, {LIGHT_COLUMN: LIGHT_FILLS})
    return wb
