"""The house style of every exported sheet: a merged title, a 填报单位 / 填报时间 line, a bordered header that
repeats on every printed page, wrapped text in Chinese fonts, A4 landscape fitted to the page width, and text
that a spreadsheet program could take for a formula written as plain text."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

TITLE_FONT = Font(name="方正小标宋简体", size=16, bold=True)
LINE_FONT = Font(name="仿宋", size=11)
HEADER_FONT = Font(name="黑体", size=10, bold=True)
BODY_FONT = Font(name="宋体", size=10)
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
WRAP = Alignment(wrap_text=True, vertical="center")
CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")
DATE_FORMAT = "yyyy-mm-dd"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def put(ws: Worksheet, row: int, column: int, value, font: Font = BODY_FONT, alignment: Alignment = WRAP,
        border: bool = True):
    """Write one cell in the house style; text that looks like a formula stays text."""
    cell = ws.cell(row=row, column=column)
    if isinstance(value, Decimal):
        value = float(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever it starts with
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True  # and it stays text when someone edits it in a spreadsheet program
    elif isinstance(value, date | datetime):
        cell.number_format = DATE_FORMAT if not isinstance(value, datetime) else "yyyy-mm-dd hh:mm"
    cell.font = font
    cell.alignment = alignment
    if border:
        cell.border = BORDER
    return cell


def table_sheet(wb: Workbook, sheet_title: str, title: str, line: str | None, headers: list[tuple[str, int]],
                rows, first: bool = False) -> Worksheet:
    """A sheet: merged title (row 1), an optional 填报单位 / 填报时间 line (row 2), the header, then the rows.

    `headers` pairs each column's text with its width in characters; `rows` yields lists of values.
    """
    ws = wb.active if first else wb.create_sheet()
    ws.title = sheet_title[:31]
    columns = len(headers)
    put(ws, 1, 1, title, TITLE_FONT, CENTER, border=False)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=columns)
    ws.row_dimensions[1].height = 36
    header_row = 2
    if line is not None:
        put(ws, 2, 1, line, LINE_FONT, Alignment(vertical="center"), border=False)
        ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=columns)
        header_row = 3
    for index, (text, width) in enumerate(headers, start=1):
        put(ws, header_row, index, text, HEADER_FONT, CENTER).fill = HEADER_FILL
        ws.column_dimensions[get_column_letter(index)].width = width
    widths = [width for _, width in headers]
    ws.row_dimensions[header_row].height = row_height([text for text, _ in headers], widths)
    for offset, values in enumerate(rows, start=1):
        for index, value in enumerate(values, start=1):
            put(ws, header_row + offset, index, value, BODY_FONT, CENTER if isinstance(value, int | float) else WRAP)
        ws.row_dimensions[header_row + offset].height = row_height(values, widths)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    print_setup(ws, header_row)
    return ws


LINE_HEIGHT = 13.5  # points per line of 10-point text
WIDE = ("W", "F")


def display_width(text: str) -> int:
    """How many column-width units `text` takes: Chinese characters count two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in WIDE else 1 for ch in text)


def row_height(values, widths) -> float:
    """A row tall enough for its wrapped text (spreadsheet programs do not grow rows written by a program)."""
    lines = 1
    for value, width in zip(values, widths):
        if value is None or isinstance(value, int | float | date | datetime):
            continue
        usable = max(width - 1, 1)
        lines = max(lines, sum(max(1, -(-display_width(part) // usable)) for part in str(value).split("\n")))
    return lines * LINE_HEIGHT + 4


def print_setup(ws: Worksheet, header_row: int) -> None:
    """A4 landscape, fitted to one page wide, the title and header repeated on every printed page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"1:{header_row}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def filled_line(reporting_unit: str, filled_on: date) -> str:
    """The 填报单位 / 填报时间 line under a report's title."""
    return f"填报单位：{reporting_unit}　　　　填报时间：{filled_on.year}年{filled_on.month}月{filled_on.day}日"


def workbook() -> Workbook:
    return Workbook()
