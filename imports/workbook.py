"""Reading an uploaded workbook safely (.xlsx, .xls or .ods: size limits, damaged files, bombs), finding its table
(the header by its names, on whichever visible sheet holds it, under any title block, in one row or two), and cell
values as text, dates and names, each error and each cell read otherwise than written with a Chinese message that names
the row and the column."""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime

from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from models.periods import date_refusal
from models.text import refusal

from .cells import header_key, header_names, is_note, read_date, title_date
from .package import FORMATS, MAX_BYTES, MAX_ROWS, ImportFailure, check_workbook

HEADER_SEARCH_ROWS = 15  # the header may sit under a title block this deep
GROUP_MARK = "／"  # between a group cell's name and a sub-name below it, as the preview shows a two-row header's column


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
    header_rows: int = 1  # 2 for a group row over sub-names (责任单位 over 牵头 / 配合)
    header_notes: list[str] = field(default_factory=list)  # how a two-row header's grouped columns were read
    hidden: list[str] = field(default_factory=list)  # the hidden sheets skipped, by name

    def column(self, header: str) -> int | None:
        return self.columns.get(header)


@dataclass
class Header:
    """A table's header as found: its first row (from 0), how many rows it takes, the header each read column names
    ({column: header}, from 0), what each column shows (a two-row header's group and sub-name as 责任单位／牵头), and
    how its grouped columns were read."""
    index: int
    rows: int
    found: dict[int, str]
    shown: dict[int, str]
    notes: list[str] = field(default_factory=list)

    @property
    def known(self) -> int:
        return len(set(self.found.values()))


def read_sheet(data: bytes, headers: tuple[str, ...], what: str, required: tuple[tuple[str, ...], ...],
               computed: tuple[str, ...] = ()) -> Sheet:
    """The data rows of a workbook's table, keyed by the `headers` found in its header, after checking the file.

    Hidden sheets are skipped (and named). The table is on the first visible sheet whose header has one set of the
    `required` headers (else the first with any header, to say what it lacks); its header is the row, or the two rows
    of a group cell over sub-names, among the first HEADER_SEARCH_ROWS that names the most of `headers` and `computed`
    (known columns the system fills, which are not read). Merged cells below the header read as their value; rows
    that are notes under the table (填表说明, 合计…) and repeated headers are left out and listed; so are columns the
    import does not know."""
    if len(data) > MAX_BYTES:
        raise ImportFailure(f"文件过大（{len(data) / 1024 / 1024:.1f} MB），上限为{MAX_BYTES // 1024 // 1024} MB。")
    if not data:
        raise ImportFailure("文件是空的。")
    kind, ods_merged = check_workbook(data)  # before the reader expands anything
    names = header_names(headers + computed)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = book.sheets_metadata
        hidden = [m.name for m in sheets if m.visible != SheetVisibleEnum.Visible]
        found = fallback = None
        for index, meta in enumerate(sheets):
            if meta.visible != SheetVisibleEnum.Visible or meta.typ != SheetTypeEnum.WorkSheet:
                continue
            cells = book.get_sheet_by_index(index)
            grid = cells.to_python(skip_empty_area=False)
            merged = ods_merged[index] if ods_merged is not None and index < len(ods_merged) else \
                [(a, b, c, d) for (a, b), (c, d) in cells.merged_cell_ranges or ()]
            header = find_header(grid, names, merged)
            if header is None:
                continue
            if any(all(h in header.found.values() for h in option) for option in required):
                found = (meta.name, grid, header, merged)
                break
            fallback = fallback or (meta.name, grid, header, merged)
    except ImportFailure:
        raise
    except Exception as error:  # calamine refuses damaged or foreign files with its own errors
        raise ImportFailure(f"文件已损坏，或不是{FORMATS[kind]}（{type(error).__name__}）。") from None
    skipped = f"（已跳过隐藏的工作表：{'、'.join(hidden)}）" if hidden else ""
    if found is None and fallback is None:
        raise ImportFailure(f"没有找到{what}的表头：可见工作表的前{HEADER_SEARCH_ROWS}行中，没有一行含有至少两个可识别的列名"
                            f"（如{'、'.join(headers[:4])}）{skipped}。请保留表头行后再导入。")
    sheet_name, grid, header, merged = found or fallback
    first_data = header.index + header.rows
    if len(grid) - first_data > MAX_ROWS + HEADER_SEARCH_ROWS:
        raise ImportFailure(f"数据行超过{MAX_ROWS}行，请分成几个文件导入。")
    sheet = Sheet(header.index + 1, {}, [], [], kind=kind, sheet_name=sheet_name, header_rows=header.rows,
                  header_notes=header.notes, hidden=hidden)
    for column, name in header.found.items():
        if name in sheet.columns:
            raise ImportFailure(f"表头“{name}”出现了两次（第{sheet.columns[name]}列和第{column + 1}列），请删去其中一列后再导入。")
        sheet.columns[name] = column + 1
    sheet.ignored = [f"第{c + 1}列“{shown}”" for c, shown in header.shown.items() if c not in header.found]
    sheet.ignored += [f"第{sheet.columns[h]}列“{h}”（由系统生成，不读取）" for h in computed if h in sheet.columns]
    for name in computed:
        sheet.columns.pop(name, None)
    if not any(all(h in sheet.columns for h in option) for option in required):
        wanted = "；或".join("、".join(f"“{h}”" for h in option) for option in required)
        raise ImportFailure(f"{what}缺少必需的列：应有{wanted}。当前表头（工作表“{sheet_name}”第{sheet.header_row}行）识别出："
                            f"{'、'.join(sheet.columns) or '无'}{skipped}。")
    sheet.filled_on = next((day for row in grid[:header.index] if (day := title_date(row))), None)
    sheet.above = [t for row in grid[:header.index] for v in row if (t := text(v))]
    fill_merged(grid, merged, first_data - 1, sheet)
    repeats = [HeaderRow(grid[r]) for r in range(header.index, first_data)]
    for number, values in enumerate(grid[first_data:], start=first_data + 1):
        values = [None if v == "" else v for v in values]
        first = next((v for v in values if v is not None), None)
        if first is None:
            continue
        if is_note(first):
            sheet.skipped.append((number, f"表格下方的说明或合计行（“{text(first)[:20]}”）"))
            continue
        if any(row.repeated_by(values) for row in repeats):
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


class HeaderRow:
    """A row of the header, to tell a data row that repeats it (a header printed again on each page)."""

    def __init__(self, values: list):
        self.keys = [header_key(v) if v not in ("", None) else "" for v in values]
        self.first = next((c for c, key in enumerate(self.keys) if key), None)

    def repeated_by(self, values: list) -> bool:
        """Whether `values` (empty cells None) say what this row says, column by column."""
        if self.first is None or self.first >= len(values) or values[self.first] is None:
            return False
        if header_key(values[self.first]) != self.keys[self.first]:  # most rows end here, cheaply
            return False
        return [header_key(v) if v is not None else "" for v in values] == self.keys


def find_header(grid: list[list], names: dict[str, str], merged=()) -> Header | None:
    """The header among the first rows that names the most known headers (at least two): one row, or two where a
    group cell merged across columns stands over sub-names and together they name more than either row alone."""
    best = None
    for index in range(min(len(grid), HEADER_SEARCH_ROWS)):
        for header in (one_row(grid[index], index, names), two_rows(grid, index, names, merged)):
            if header is not None and header.known >= 2 and (best is None or header.known > best.known):
                best = header
    return best


def one_row(values: list, index: int, names: dict[str, str]) -> Header:
    shown = {c: t for c, v in enumerate(values) if (t := text(v)) is not None}
    return Header(index, 1, {c: names[key] for c, t in shown.items() if (key := header_key(t)) in names}, shown)


def two_rows(grid: list[list], index: int, names: dict[str, str], merged) -> Header | None:
    """The header of row `index` and the row below read as one, when row `index` has group cells (merged across columns
    within the row): under a group a column is named by the group and its sub-name together when that is a known name
    (责任单位 + 配合 → 协办单位), else by the sub-name alone (办理情况 + 进展 → 办理进展); elsewhere by whichever of the two
    cells holds a name. None unless it names more headers than either row alone."""
    groups = {c: c0 for r0, c0, r1, c1 in merged if r0 == index == r1 and c1 > c0 for c in range(c0, c1 + 1)}
    if not groups or index + 1 >= len(grid):
        return None
    upper, lower = grid[index], grid[index + 1]
    found, shown, notes = {}, {}, []
    for c in range(max(len(upper), len(lower))):
        top = text(upper[c]) if c < len(upper) else None
        sub = text(lower[c]) if c < len(lower) else None
        group = text(upper[groups[c]]) if c in groups else None
        if group is not None and sub is not None:
            shown[c] = f"{group}{GROUP_MARK}{sub}"
            name = names.get(header_key(group + sub)) or names.get(header_key(sub))
            if name is not None:
                found[c] = name
                notes.append(f"第{c + 1}列“{shown[c]}”读作“{name}”")
        elif (label := top if top is not None else sub) is not None:
            shown[c] = label
            if (key := header_key(label)) in names:
                found[c] = names[key]
    header = Header(index, 2, found, shown, notes)
    alone = max(one_row(upper, index, names).known, one_row(lower, index + 1, names).known)
    return header if header.known > alone else None


def fill_merged(grid: list[list], merged, header_end: int, sheet: Sheet) -> None:
    """Give every cell of a merged range below the header (which ends at row index `header_end`) its range's value (a
    merged 收集工作组 names the group of each row it spans), and say so once per range of a column that is read."""
    read = {c - 1: h for h, c in sheet.columns.items()}
    for first_row, first_column, last_row, last_column in merged:
        if first_row <= header_end or first_row >= len(grid) or first_column >= len(grid[first_row]):
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
