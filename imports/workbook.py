"""Reading an uploaded workbook safely (.xlsx, .xls or .ods: size limits, damaged files, bombs), finding its table
(the header row by its names, under any title block), and cell values as text, dates and names, each error and each
cell read otherwise than written with a Chinese message that names the row and the column."""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime

from python_calamine import CalamineWorkbook

from models.periods import date_refusal
from models.text import refusal

from .cells import header_key, header_names, is_note, read_date, title_date
from .package import FORMATS, MAX_BYTES, MAX_ROWS, ImportFailure, check_workbook

HEADER_SEARCH_ROWS = 15  # the header may sit under a title block this deep
SHEETS_SEARCHED = 5  # a workbook's first sheets are searched for the header (a 说明 sheet may come first)


@dataclass(frozen=True)
class CellError:
    row: int
    column: int | None
    header: str | None
    message: str

    def __str__(self) -> str:
        where = f"第{self.row}行第{self.column}列（{self.header}）" if self.column else f"第{self.row}行"
        return f"{where}：{self.message}"


class CellNote(CellError):
    """A cell read otherwise than it was written (a date's form, a name matched after normalising): said in the
    preview, not an error."""


class RowRefusal(Exception):
    """A row the import refuses, with the column to blame."""

    def __init__(self, header: str | None, message: str):
        super().__init__(message)
        self.header = header
        self.message = message


@dataclass(frozen=True)
class Noted:
    """A value a converter read otherwise than it was written, and how (a CellNote once its cell is known)."""
    value: object
    note: str


@dataclass
class Sheet:
    header_row: int
    columns: dict[str, int]  # each header found → its column in the file (from 1)
    rows: list[tuple[int, dict[str, object]]]  # (row number in the file, {header: value}) for the columns found
    errors: list[CellError]  # cells no report could carry (control characters), found as the rows are read
    notes: list[CellError] = field(default_factory=list)  # what was read otherwise than written
    ignored: list[str] = field(default_factory=list)  # columns not read: 第5列“联系人”
    skipped: list[tuple[int, str]] = field(default_factory=list)  # rows left out: (row, why)
    filled_on: date | None = None  # the 填报时间 above the header
    above: list[str] = field(default_factory=list)  # the texts above the header (title, 填报单位…)
    kind: str = "xlsx"
    sheet_name: str = ""

    def column(self, header: str) -> int | None:
        return self.columns.get(header)


def read_sheet(data: bytes, headers: tuple[str, ...], what: str, required: tuple[tuple[str, ...], ...],
               computed: tuple[str, ...] = ()) -> Sheet:
    """The data rows of a workbook's table, keyed by the `headers` found in its header row, after checking the file.

    The header row is the row among the first HEADER_SEARCH_ROWS of one of the first sheets that names the most of
    `headers` and `computed` (known columns the system fills, which are not read); at least one set of `required`
    headers must be among them. Merged cells below the header read as their value; rows that are notes under the
    table (填表说明, 合计…) and repeated headers are left out and listed; so are columns the import does not know."""
    if len(data) > MAX_BYTES:
        raise ImportFailure(f"文件过大（{len(data) / 1024 / 1024:.1f} MB），上限为{MAX_BYTES // 1024 // 1024} MB。")
    if not data:
        raise ImportFailure("文件是空的。")
    kind, ods_merged = check_workbook(data)  # before the reader expands anything
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = book.sheet_names
        found = None
        for index in range(min(len(names), SHEETS_SEARCHED)):
            cells = book.get_sheet_by_index(index)
            grid = cells.to_python(skip_empty_area=False)
            header = find_header(grid, header_names(headers + computed))
            if header is not None:
                merged = ods_merged[index] if ods_merged is not None and index < len(ods_merged) else \
                    [(a, b, c, d) for (a, b), (c, d) in cells.merged_cell_ranges or ()]
                found = (index, grid, header, merged)
                break
    except ImportFailure:
        raise
    except Exception as error:  # calamine refuses damaged or foreign files with its own errors
        raise ImportFailure(f"文件已损坏，或不是{FORMATS[kind]}（{type(error).__name__}）。") from None
    if found is None:
        raise ImportFailure(f"没有找到{what}的表头：前{SHEETS_SEARCHED}个工作表的前{HEADER_SEARCH_ROWS}行中，没有一行含有"
                            f"至少两个可识别的列名（如{'、'.join(headers[:4])}）。请保留表头行后再导入。")
    index, grid, (header_index, by_column), merged = found
    if len(grid) - header_index - 1 > MAX_ROWS + HEADER_SEARCH_ROWS:
        raise ImportFailure(f"数据行超过{MAX_ROWS}行，请分成几个文件导入。")
    sheet = Sheet(header_index + 1, {}, [], [], kind=kind, sheet_name=names[index])
    for column, header in by_column.items():
        if header in sheet.columns:
            raise ImportFailure(f"表头“{header}”出现了两次（第{sheet.columns[header]}列和第{column + 1}列），请删去其中一列后再导入。")
        sheet.columns[header] = column + 1
    sheet.ignored = [f"第{c + 1}列“{text(v)}”" for c, v in enumerate(grid[header_index])
                     if text(v) is not None and c not in by_column]
    sheet.ignored += [f"第{sheet.columns[h]}列“{h}”（由系统生成，不读取）" for h in computed if h in sheet.columns]
    for header in computed:
        sheet.columns.pop(header, None)
    if not any(all(h in sheet.columns for h in option) for option in required):
        wanted = "；或".join("、".join(f"“{h}”" for h in option) for option in required)
        raise ImportFailure(f"{what}缺少必需的列：应有{wanted}。当前表头（第{sheet.header_row}行）识别出："
                            f"{'、'.join(sheet.columns) or '无'}。")
    sheet.filled_on = next((day for row in grid[:header_index] if (day := title_date(row))), None)
    sheet.above = [t for row in grid[:header_index] for v in row if (t := text(v))]
    fill_merged(grid, merged, header_index, sheet)
    header_keys = [header_key(v) for v in grid[header_index]]
    for number, values in enumerate(grid[header_index + 1:], start=header_index + 2):
        values = [None if v == "" else v for v in values]
        first = next((v for v in values if v is not None), None)
        if first is None:
            continue
        if is_note(first):
            sheet.skipped.append((number, f"表格下方的说明或合计行（“{text(first)[:20]}”）"))
            continue
        if [header_key(v) if v is not None else "" for v in values] == header_keys:
            sheet.skipped.append((number, "重复的表头行"))
            continue
        if len(sheet.rows) >= MAX_ROWS:
            raise ImportFailure(f"数据行超过{MAX_ROWS}行，请分成几个文件导入。")
        row = {h: (values[c - 1] if c - 1 < len(values) else None) for h, c in sheet.columns.items()}
        if all(v is None for v in row.values()):
            sheet.skipped.append((number, "没有可导入的列"))
            continue
        sheet.rows.append((number, row))
        sheet.errors += [CellError(number, sheet.columns[h], h, message) for h, v in row.items()
                         if (message := refusal("单元格", v))]
    return sheet


def find_header(grid: list[list], names: dict[str, str]) -> tuple[int, dict[int, str]] | None:
    """(row index, {column index: header}) of the row among the first rows that names the most known headers (at
    least two), or None."""
    best = None
    for index, values in enumerate(grid[:HEADER_SEARCH_ROWS]):
        found = {c: names[key] for c, v in enumerate(values) if v != "" and (key := header_key(v)) in names}
        if len(set(found.values())) >= 2 and (best is None or len(set(found.values())) > len(set(best[1].values()))):
            best = (index, found)
    return best


def fill_merged(grid: list[list], merged, header_index: int, sheet: Sheet) -> None:
    """Give every cell of a merged range below the header its range's value (a merged 收集工作组 names the group of
    each row it spans), and say so once per range of a column that is read."""
    read = {c - 1: h for h, c in sheet.columns.items()}
    for first_row, first_column, last_row, last_column in merged:
        if first_row <= header_index or first_row >= len(grid) or first_column >= len(grid[first_row]):
            continue
        value = grid[first_row][first_column]
        if value == "" or value is None:
            continue
        for r in range(first_row, min(last_row, len(grid) - 1) + 1):
            for c in range(first_column, min(last_column, len(grid[r]) - 1) + 1):
                if grid[r][c] in ("", None):
                    grid[r][c] = value
        for c in range(first_column, last_column + 1):
            if c in read and last_row > first_row:
                sheet.notes.append(CellNote(first_row + 1, c + 1, read[c],
                                            f"第{first_row + 1}–{last_row + 1}行为合并单元格，各行按“{text(value)}”读取"))


def text(value) -> str | None:
    """A cell as trimmed text (None when empty)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    value = str(value).strip()
    return value or None


def parse_date(value, year: int | None = None, year_source: str = ""):
    """A date from a date cell, an Excel serial number or text as people write it (imports.cells.read_date), within
    the calendar the system keeps: the date, or Noted(date, how it was read); ValueError (in Chinese) otherwise."""
    day, note = read_date(value, year, year_source)
    if day is None:
        return None
    within_calendar(day)
    return Noted(day, note) if note else day


def within_calendar(day: date) -> date:
    message = date_refusal(day)
    if message:
        raise ValueError(message)
    return day


def split_names(value) -> list[str]:
    """Names separated by 、 ， , ； or ; (as in 协办单位)."""
    raw = text(value) or ""
    for separator in ("，", ",", "；", ";"):
        raw = raw.replace(separator, "、")
    return [part.strip() for part in raw.split("、") if part.strip()]
