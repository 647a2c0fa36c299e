"""The enterprise list (企业名单): enterprises in, a workbook out; the same layout (models.enterprise_list) comes back
in through imports.enterprises, so it doubles as the template for offline lists."""
from __future__ import annotations

from datetime import date

from openpyxl import Workbook

from models.enterprise_list import WIDTHS, row_values

from .style import filled_line, table_sheet, workbook


def enterprises_workbook(firms, campaign_name: str, reporting_unit: str, filled_on: date) -> Workbook:
    wb = workbook()
    line = filled_line(reporting_unit, filled_on)
    table_sheet(wb, "企业名单", f"{campaign_name}企业名单", line, list(WIDTHS), (row_values(f) for f in firms))
    return wb
