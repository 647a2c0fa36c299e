"""The enterprise list (企业名单) as a table: its columns, declared once, which the export (exports.enterprises), the
blank form (exports.templates) and the import (imports.enterprises) all read, so the same layout round-trips."""
from __future__ import annotations

from dataclasses import dataclass

from .vocab import NO, YES


@dataclass(frozen=True)
class Column:
    field: str  # the Enterprise attribute (groups: its 联点工作组)
    header: str
    width: int  # in the workbook, in characters


COLUMNS = (
    Column("name", "企业名称", 28), Column("credit_code", "统一社会信用代码", 22), Column("ownership", "所有制", 8),
    Column("above_scale", "规上企业", 8), Column("industry", "行业", 12), Column("town", "所在镇（园区）", 12),
    Column("contact", "联系人", 10), Column("phone", "联系电话", 14), Column("groups", "联点工作组", 20),
)
HEADERS = tuple(column.header for column in COLUMNS)
HEADER_OF = {column.field: column.header for column in COLUMNS}
WIDTHS = tuple((column.header, column.width) for column in COLUMNS)


def row_values(firm) -> list:
    """An enterprise as a row of the list, in COLUMNS' order."""
    return [firm.name, firm.credit_code, firm.ownership, YES if firm.above_scale else NO, firm.industry,
            firm.town.name if firm.town else None, firm.contact, firm.phone,
            "、".join(link.body.name for link in firm.groups) or None]
