"""Blank forms for offline filling (导入模板), as .xlsx and as .xls (Excel 97-2003, for WPS and old Excel): the 附件2
problem list with the columns a working group fills in for new problems — pre-filled, for a working group, with its
linked enterprises, one row each — and the enterprise list. Each has its title, a 填报单位 line, the header the import
reads, and a sheet of 填表说明; the .xlsx also offers the campaign's 问题类型 (and 所有制, 规上企业) as dropdowns.
A template is a function from rows to a file, like every report."""
from __future__ import annotations

import io
from dataclasses import dataclass

import xlwt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from models import annex2, enterprise_list
from models.vocab import NO, YES


# The columns of 附件2 a new problem is written in (问题编号 and the workflow's columns come from the panel).
PROBLEM_KEYS = ("row_number", "enterprise", "enterprise.town", "category", "description", "demand", "collected_by_body",
                "collected_on", "remark")
BLANK_ROWS = 30  # rows of an empty form
# Wider than in the report for the columns a clerk writes in; the rest as models.annex2 sets them.
WIDTHS = {"enterprise": 28, "enterprise.town": 12, "description": 34, "demand": 22, "collected_by_body": 16, "remark": 14}
ROW_POINTS, HEADER_POINTS = 30, 30  # two lines of text in a row; the header's height
THIN = Side(style="thin", color="808080")


@dataclass(frozen=True)
class Form:
    title: str
    line: str  # 填报单位 and 填报时间, to be filled in
    columns: tuple[tuple[str, int], ...]  # (header, width in characters)
    rows: list[list]
    notes: list[str]  # 填表说明, one line each
    choices: dict[str, list[str]]  # header → the values its dropdown offers (.xlsx)


def problems_form(campaign_name: str, reporting_unit: str, categories: list[str], firms=(), group_name: str | None = None) -> Form:
    """附件2 for new problems: one row per enterprise of `firms` (企业名称, 所在镇（园区）, 收集工作组 filled in), else
    BLANK_ROWS numbered rows."""
    columns = tuple((c.header, WIDTHS.get(key, c.width)) for key in PROBLEM_KEYS for c in annex2.COLUMNS if c.key == key)
    if firms:
        rows = [[n, firm.name, firm.town.name if firm.town else None, None, None, None, group_name, None, None]
                for n, firm in enumerate(firms, start=1)]
    else:
        rows = [[n] + [None] * (len(columns) - 1) for n in range(1, BLANK_ROWS + 1)]
    header = dict(zip(PROBLEM_KEYS, (h for h, _ in columns)))
    notes = [
        f"1. 每个问题填一行。“{header['description']}”必填，“{header['enterprise']}”须与企业名单中的名称一致（可省略“有限公司”，导入时会列出相近的名称供确认）。",
        f"2. “{header['category']}”可选：{'、'.join(categories)}。",
        f"3. “{header['collected_on']}”写成 2024-09-18、2024.9.18 或 2024年9月18日；只写“9月18日”时按“填报时间”的年份读取。",
        "4. 预填了企业而没有填写问题的行，导入时跳过（预览中会列出）。",
        "5. 可另存为 .xls 或 .ods；列的顺序可以调整，可以删去不填的列，但不要改动表头文字。",
        f"6. “{header['row_number']}”“{header['enterprise.town']}”由系统按企业生成，导入时不读取。",
    ]
    return Form(f"{campaign_name}问题清单（{annex2.TEMPLATE_MARK}）", f"填报单位：{reporting_unit}　　　　填报时间：　　年　　月　　日",
                columns, rows, notes, {header["category"]: list(categories)})


def enterprises_form(campaign_name: str, reporting_unit: str, ownerships: list[str]) -> Form:
    columns = (("序号", 5),) + enterprise_list.WIDTHS
    rows = [[n] + [None] * (len(columns) - 1) for n in range(1, BLANK_ROWS + 1)]
    notes = ["1. 每家企业填一行，“企业名称”必填；已有的企业按名称更新，新的企业新增。",
             "2. “统一社会信用代码”18位，导入时检查校验位。",
             f"3. “所有制”可选：{'、'.join(ownerships)}；“规上企业”填“{YES}”或“{NO}”（也可写 √/×）。",
             "4. “联点工作组”可填多个，用顿号分隔。"]
    return Form(f"{campaign_name}企业名单（{annex2.TEMPLATE_MARK}）", f"填报单位：{reporting_unit}　　　　填报时间：　　年　　月　　日",
                columns, rows, notes, {"所有制": list(ownerships), "规上企业": [YES, NO]})


def xlsx_bytes(form: Form) -> bytes:
    """The form as an .xlsx: title, 填报单位 line, a bold bordered header (frozen, repeated when printed), the rows,
    dropdowns, and a 填表说明 sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = "填报"
    last = get_column_letter(len(form.columns))
    sheet.append([form.title])
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"].font = Font(name="宋体", size=16, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 30
    sheet.append([form.line])
    sheet.merge_cells(f"A2:{last}2")
    sheet.append([header for header, _ in form.columns])
    for index, (header, width) in enumerate(form.columns, start=1):
        cell = sheet.cell(3, index)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.row_dimensions[3].height = HEADER_POINTS
    for number, row in enumerate(form.rows, start=4):
        sheet.append(row)
        sheet.row_dimensions[number].height = ROW_POINTS
    for row in sheet.iter_rows(min_row=4, max_row=3 + len(form.rows), max_col=len(form.columns)):
        for cell in row:
            cell.border = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
            cell.alignment = Alignment(vertical="center", wrap_text=True)
    headers = [header for header, _ in form.columns]
    for header, values in form.choices.items():
        if header in headers and values and len(",".join(values)) < 250:
            letter = get_column_letter(headers.index(header) + 1)
            check = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True,
                                   error="请从下拉列表中选择", errorTitle="不是可选的值", showErrorMessage=True)
            check.add(f"{letter}4:{letter}{3 + max(len(form.rows), BLANK_ROWS) + 200}")
            sheet.add_data_validation(check)
    sheet.freeze_panes = "A4"
    sheet.print_title_rows = "1:3"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
    notes = book.create_sheet("填表说明")
    notes.column_dimensions["A"].width = 110
    for line in form.notes:
        notes.append([line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xls_bytes(form: Form) -> bytes:
    """The same form as an .xls (no dropdowns: the old format's lists are left to the 填表说明)."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("填报")
    title = xlwt.easyxf("font: bold on, height 320; align: horiz center, vert center")
    border = "borders: left thin, right thin, top thin, bottom thin"
    header = xlwt.easyxf(f"font: bold on; align: horiz center, vert center, wrap on; {border}")
    cell = xlwt.easyxf(f"align: vert center, wrap on; {border}")
    columns = len(form.columns)
    sheet.write_merge(0, 0, 0, columns - 1, form.title, title)
    sheet.row(0).height_mismatch, sheet.row(0).height = True, 600
    sheet.write_merge(1, 1, 0, columns - 1, form.line)
    for index, (text, width) in enumerate(form.columns):
        sheet.write(2, index, text, header)
        sheet.col(index).width = 256 * (width + 2)
    sheet.row(2).height_mismatch, sheet.row(2).height = True, HEADER_POINTS * 20
    for number, row in enumerate(form.rows, start=3):
        for index, value in enumerate(row):
            sheet.write(number, index, value, cell)
        sheet.row(number).height_mismatch, sheet.row(number).height = True, ROW_POINTS * 20  # twips
    sheet.set_panes_frozen(True)
    sheet.set_horz_split_pos(3)
    sheet.portrait, sheet.paper_size_code = False, 9  # A4 landscape
    sheet.fit_num_pages, sheet.fit_width_to_pages, sheet.fit_height_to_pages = 1, 1, 0  # fit to one page wide
    sheet.header_str, sheet.footer_str = b"", b"&P / &N"  # the page and the pages (xlwt writes only ASCII here)
    notes = book.add_sheet("填表说明")
    notes.col(0).width = 256 * 110
    for number, line in enumerate(form.notes):
        notes.write(number, 0, line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
