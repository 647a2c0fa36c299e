"""The enterprise list (企业名单): enterprises in, a workbook out; the same layout comes back in through
imports.enterprises, so it doubles as the template for offline lists."""
from __future__ import annotations

from datetime import date

from openpyxl import Workbook

from models.vocab import NO, YES

from .style import filled_line, table_sheet, workbook

ENTERPRISE_COLUMNS = (
    ("企业名称", 28), ("统一社会信用代码", 22), ("所有制", 8), ("规上企业", 8), ("行业", 12), ("所在镇（园区）", 12),
    ("联系人", 10), ("联系电话", 14), ("联点工作组", 20),
)
HEADERS = tuple(text for text, _ in ENTERPRISE_COLUMNS)


def enterprise_row(firm) -> list:
    return [firm.name, firm.credit_code, firm.ownership, YES if firm.above_scale else NO, firm.industry,
            firm.town.name if firm.town else None, firm.contact, firm.phone,
            "、".join(link.body.name for link in firm.groups) or None]


def enterprises_workbook(firms, campaign_name: str, reporting_unit: str, filled_on: date) -> Workbook:
    wb = workbook()
    line = filled_line(reporting_unit, filled_on)
    table_sheet(wb, "企业名单", f"{campaign_name}企业名单", line, list(ENTERPRISE_COLUMNS),
                (enterprise_row(f) for f in firms))
    return wb
