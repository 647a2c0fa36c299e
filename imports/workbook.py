"""Reading an uploaded workbook safely: size limits, damaged files, the header row, and cell values as text,
dates and names, each with a Chinese message that names the row and the column."""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from python_calamine import CalamineWorkbook

from models.periods import date_refusal
from models.text import refusal

from .package import MAX_BYTES, MAX_ROWS, ImportFailure, check_xlsx

HEADER_SEARCH_ROWS = 10


@dataclass(frozen=True)
class CellError:
    row: int
    column: int | None
    header: str | None
    message: str

    def __str__(self) -> str:
        where = f"第{self.row}行第{self.column}列（{self.header}）" if self.column else f"第{self.row}行"
        return f"{where}：{self.message}"


class RowRefusal(Exception):
    """A row the import refuses, with the column to blame."""

    def __init__(self, header: str | None, message: str):
        super().__init__(message)
        self.header = header
        self.message = message


@dataclass
class Sheet:
    header_row: int
    rows: list[tuple[int, dict[str, object]]]  # (row number in the file, {header: value})
    errors: list[CellError]  # cells no report could carry (control characters), found as the rows are read


def read_sheet(data: bytes, headers: tuple[str, ...], what: str) -> Sheet:
    """The data rows of the first sheet, keyed by `headers`, after checking the file and its header row."""
    if len(data) > MAX_BYTES:
        raise ImportFailure(f"文件过大（{len(data) / 1024 / 1024:.1f} MB），上限为{MAX_BYTES // 1024 // 1024} MB。")
    if not data:
        raise ImportFailure("文件是空的。")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ImportFailure("这不是 Excel 工作簿（.xlsx）文件，或文件已损坏。请在表格软件中“另存为”Excel 工作簿后再导入。")
    check_xlsx(data)  # before the reader expands anything
    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        height = sheet.height
    except Exception as error:  # calamine refuses damaged or foreign files with its own errors
        raise ImportFailure(f"文件已损坏，或不是 .xlsx 格式的 Excel 工作簿（{type(error).__name__}）。") from None
    if height > MAX_ROWS + HEADER_SEARCH_ROWS:
        raise ImportFailure(f"数据行超过{MAX_ROWS}行，请分成几个文件导入。")
    found = None
    rows, errors = [], []
    for number, values in enumerate(sheet.iter_rows(), start=1):
        values = [None if v == "" else v for v in values[: len(headers)]]
        if found is None:
            if tuple(text(v) for v in values) == headers:
                found = number
            elif number >= HEADER_SEARCH_ROWS:
                break
            continue
        if number - found > MAX_ROWS:
            raise ImportFailure(f"数据行超过{MAX_ROWS}行，请分成几个文件导入。")
        if any(v is not None for v in values):
            rows.append((number, dict(zip(headers, values))))
            errors += [CellError(number, column, header, message) for column, (header, value) in enumerate(zip(headers, values), 1)
                       if (message := refusal("单元格", value))]
    if found is None:
        raise ImportFailure(f"没有找到{what}的表头。前{HEADER_SEARCH_ROWS}行中应有一行依次为：{'、'.join(headers)}。"
                            "请使用本系统导出的模板，不要增删或改动表头。")
    return Sheet(found, rows, errors)


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


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")


def parse_date(value) -> date | None:
    """A date from a date cell or from text such as 2024-09-08, 2024/9/8 or 2024年9月8日; ValueError otherwise (also
    for a date outside the calendar the system keeps)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return within_calendar(value)
    raw = str(value).strip()
    for pattern in DATE_FORMATS:
        try:
            day = datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
        return within_calendar(day)
    raise ValueError(f"无法识别的日期“{raw[:40]}”，请写成 2024-09-08 的形式")


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
