"""The house style of every exported sheet: a merged title, a 填报单位 / 填报时间 line, a bordered header that
repeats on every printed page, wrapped text in Chinese fonts, A4 landscape fitted to the page width, text
that a spreadsheet program could take for a formula written as plain text, and no control character (models.text).

Sheets are written in openpyxl's streaming (write-only) mode, row by row, so that a 10,000-row export neither
holds every cell in memory nor costs much more than a bare dump: each kind of cell is styled once, and every cell
of that kind copies the finished style.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from models.text import clean

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
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LINE_HEIGHT = 13.5  # points per line of 10-point text


class Styles:
    """The finished styles of one sheet's kinds of cells, each made once."""

    def __init__(self, ws):
        def made(font, alignment, border=True, number_format=None, fill=None, quote=False):
            cell = WriteOnlyCell(ws)
            cell.font, cell.alignment = font, alignment
            if border:
                cell.border = BORDER
            if number_format:
                cell.number_format = number_format
            if fill is not None:
                cell.fill = fill
            if quote:
                cell.quotePrefix = True
            return cell._style

        self.ws = ws
        self.title = made(TITLE_FONT, CENTER, border=False)
        self.line = made(LINE_FONT, Alignment(vertical="center"), border=False)
        self.header = made(HEADER_FONT, CENTER, fill=HEADER_FILL)
        self.text = made(BODY_FONT, WRAP)
        self.quoted = made(BODY_FONT, WRAP, quote=True)
        self.number = made(BODY_FONT, CENTER)
        self.date = made(BODY_FONT, CENTER, number_format=DATE_FORMAT)
        self.datetime = made(BODY_FONT, CENTER, number_format=DATETIME_FORMAT)
        self.made, self.fills = made, {}

    def filled(self, colour: str):
        """The style of a centred cell on a background of `colour` (RGB hex), made once per colour."""
        if colour not in self.fills:
            self.fills[colour] = self.made(BODY_FONT, CENTER, fill=PatternFill("solid", fgColor=colour))
        return self.fills[colour]

    def cell(self, value, style=None) -> WriteOnlyCell:
        """One cell with the style its value calls for; text that looks like a formula stays text."""
        if isinstance(value, Decimal):
            value = float(value)
        value = clean(value)  # a control character stored before it was refused would make the file unwritable
        cell = WriteOnlyCell(self.ws, value)
        if style is None:
            if isinstance(value, str):
                style = self.quoted if value.startswith(FORMULA_STARTS) else self.text
            elif isinstance(value, datetime):
                style = self.datetime
            elif isinstance(value, date):
                style = self.date
            elif isinstance(value, int | float):
                style = self.number
            else:
                style = self.text
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula, whatever it starts with
        cell._style = style  # shared: a streamed cell is written once and never restyled
        return cell


class StyledSheet(WriteOnlyWorksheet):
    """A streaming sheet whose rows are finished cells (Styles.cell).

    openpyxl's own streaming sheet tells a cell from a value by failing to store it as a value: an exception per
    cell, which costs more than writing the cell. Every row here is cells, so they are taken as they are."""

    def _values_to_row(self, cells, row_idx):
        for col_idx, cell in enumerate(cells, 1):
            cell.column, cell.row = col_idx, row_idx
            yield cell


def display_width(text: str) -> int:
    """How many column-width units `text` takes: Chinese characters and full-width punctuation count two.

    Those take three bytes in UTF-8 and ASCII one, so (bytes + characters) / 2 counts them without looking at
    each character (other scripts come out between, which is close enough for a row height)."""
    return (len(text.encode("utf-8")) + len(text)) // 2


def row_height(values, widths) -> float:
    """A row tall enough for its wrapped text (spreadsheet programs do not grow rows written by a program)."""
    lines = 1
    for value, width in zip(values, widths):
        if not isinstance(value, str):
            continue
        usable = max(width - 1, 1)
        lines = max(lines, sum(max(1, -(-display_width(part) // usable)) for part in value.split("\n")))
    return lines * LINE_HEIGHT + 4


def table_sheet(wb: Workbook, sheet_title: str, title: str, line: str | None, headers: list[tuple[str, int]],
                rows, fills: dict[int, dict[str, str]] | None = None):
    """A sheet: merged title (row 1), an optional 填报单位 / 填报时间 line (row 2), the header, then the rows.

    `headers` pairs each column's text with its width in characters; `rows` yields lists of values; `fills` colours
    the cells of a column by their value ({column index: {value: RGB hex}}, e.g. the 亮灯 column).
    """
    ws = StyledSheet(parent=wb, title=sheet_title[:31])
    wb._add_sheet(ws)  # what Workbook.create_sheet does, with the sheet class above
    styles = Styles(ws)
    columns = len(headers)
    widths = [width for _, width in headers]
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    header_row = 2 if line is None else 3
    ws.freeze_panes = f"A{header_row + 1}"  # a streaming sheet writes its view and set-up before the rows
    print_setup(ws, header_row)
    ws.merged_cells.add(f"A1:{get_column_letter(columns)}1")
    ws.row_dimensions[1].height = 36
    ws.append([styles.cell(title, styles.title)])
    if line is not None:
        ws.merged_cells.add(f"A2:{get_column_letter(columns)}2")
        ws.append([styles.cell(line, styles.line)])
    texts = [text for text, _ in headers]
    ws.row_dimensions[header_row].height = row_height(texts, widths)
    ws.append([styles.cell(text, styles.header) for text in texts])
    for number, values in enumerate(rows, start=header_row + 1):
        values = list(values)
        ws.row_dimensions[number].height = row_height(values, widths)
        ws.append([styles.cell(value, styles.filled(fills[i][value]) if fills and value in fills.get(i, ()) else None)
                   for i, value in enumerate(values)])
    return ws


def print_setup(ws, header_row: int) -> None:
    """A4 landscape, fitted to one page wide, the title and header repeated on every printed page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
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
    """A streaming workbook: sheets are written row by row."""
    return Workbook(write_only=True)
