"""Reports: the 附件2 and 附件1 layouts read back with openpyxl, print settings, formula-like text, the 周调度 and
旬通报 figures, the Word bulletin, Chinese file names, and scoped exports from the panel and the CLI."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta
from urllib.parse import unquote

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from sqlalchemy import select

from exports.problems import ANNEX2_COLUMNS, HEADERS, LIGHT_FILLS
from exports.style import FORMULA_STARTS
from models import Campaign, Problem, Visit, db, local_now, workflow
from tests.factories import miluo, named, scoped_world

MILUO = "汨罗市“两重”“两新”送解优专项行动"


@pytest.fixture
def world(seeded):
    with seeded.app_context():
        return scoped_world()


def export(app, *args):
    result = app.test_cli_runner().invoke(args=["export", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_annex2_layout_read_back(seeded, world, tmp_path):
    out = tmp_path / "p.xlsx"
    export(seeded, "problems", "--out", str(out), "--campaign", MILUO, "--date", "2024-09-20", "--unit", "市推进机制办公室")
    ws = load_workbook(out).active
    assert ws["A1"].value == f"{MILUO}问题清单"
    assert "A1:T1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A2"].value == "填报单位：市推进机制办公室　　　　填报时间：2024年9月20日"
    assert tuple(c.value for c in ws[3]) == HEADERS and len(HEADERS) == 20
    assert [ws.column_dimensions[chr(65 + i)].width for i in range(20)] == [w for _, w in ANNEX2_COLUMNS]
    assert ws.freeze_panes == "A4"
    assert ws.print_title_rows == "$1:$3"
    assert (ws.page_setup.orientation, str(ws.page_setup.paperSize)) == ("landscape", str(ws.PAPERSIZE_A4))
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    header, body = ws["B3"], ws["F4"]
    assert header.font.name == "黑体" and header.border.left.style == "thin" and header.alignment.wrap_text
    assert body.font.name == "宋体" and body.border.bottom.style == "thin" and body.alignment.wrap_text
    numbers = [ws.cell(row, 2).value for row in range(4, ws.max_row + 1)]
    assert len(numbers) == 4 and all(n.startswith("SJY-2024-") for n in numbers)
    assert [ws.cell(row, 1).value for row in range(4, ws.max_row + 1)] == [1, 2, 3, 4]


def test_the_light_cell_is_coloured_as_its_light(seeded, world, tmp_path):
    with seeded.app_context():
        row = db.session.get(Problem, world["PA2"][1])
        row.assigned_on, row.deadline = workflow.today() - timedelta(days=9), workflow.today() - timedelta(days=1)
        db.session.commit()
    out = tmp_path / "p.xlsx"
    export(seeded, "problems", "--out", str(out), "--campaign", MILUO)
    ws = load_workbook(out).active
    light = HEADERS.index("亮灯") + 1
    cells = {ws.cell(r, light).value: ws.cell(r, light) for r in range(4, ws.max_row + 1)}
    assert cells["红"].fill.fgColor.rgb.endswith(LIGHT_FILLS["红"]) and cells["红"].border.left.style == "thin"
    assert cells[None].fill.fill_type is None  # 待交办 has no light and no colour


def test_formula_like_text_stays_text(seeded, world, tmp_path):
    nasty = ["=HYPERLINK(\"http://evil.example\",\"点我\")", "+1+1", "-2+3", "@SUM(A1:A2)", "\tcmd", "\rcmd"]
    assert tuple(x[0] for x in nasty) == FORMULA_STARTS
    with seeded.app_context():
        for key, text in zip(("PA", "PA2", "PB", "PB2"), nasty):
            db.session.get(Problem, world[key][1]).description = text
        db.session.get(Problem, world["PA"][1]).remark = nasty[4]
        db.session.commit()
    out = tmp_path / "p.xlsx"
    export(seeded, "problems", "--out", str(out), "--campaign", MILUO)
    ws = load_workbook(out).active
    cells = [ws.cell(row, 6) for row in range(4, ws.max_row + 1)]
    assert {c.value for c in cells} == set(nasty[:4])
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    formulas = load_workbook(out, data_only=False).active
    assert not any(c.data_type == "f" for row in formulas.iter_rows() for c in row)


def test_annex1_task_list(seeded, tmp_path):
    out = tmp_path / "t.xlsx"
    export(seeded, "tasks", "--out", str(out), "--campaign", MILUO)
    ws = load_workbook(out).active
    assert ws["A1"].value == f"{MILUO}工作任务清单"
    assert [c.value for c in ws[3]][:4] == ["序号", "类别", "任务", "具体内容"]
    rows = {ws.cell(r, 1).value: [c.value for c in ws[r]] for r in range(4, ws.max_row + 1)}
    assert rows["三(一)-1"][6].date() == date(2024, 9, 8) and rows["三(一)-1"][7] == "9月8日前"
    assert rows["六(一)-1"][8] == "每周三" and rows["三(四)-3"][9] == "使用中央资金超过80%"
    assert ws.print_title_rows == "$1:$3" and ws.page_setup.orientation == "landscape"


def test_weekly_dispatch_figures(seeded, world, tmp_path):
    with seeded.app_context():
        campaign = miluo()
        for key, collected in (("PA", date(2024, 9, 12)), ("PA2", date(2024, 9, 18)), ("PB", date(2024, 9, 19))):
            db.session.get(Problem, world[key][1]).collected_on = collected
        pa2 = db.session.get(Problem, world["PA2"][1])
        pa2.assigned_on, pa2.deadline = date(2024, 9, 13), date(2024, 9, 16)
        db.session.get(Visit, world["VA"][1]).visited_on = date(2024, 9, 14)
        db.session.add(Visit(campaign=campaign, body=db.session.get(Visit, world["VA"][1]).body,
                             enterprise=db.session.get(Visit, world["VA"][1]).enterprise, visited_on=date(2024, 9, 15)))
        db.session.commit()
    out = tmp_path / "w.xlsx"
    export(seeded, "weekly", "--out", str(out), "--campaign", MILUO, "--date", "2024-09-14")
    book = load_workbook(out)
    groups = book["工作组情况"]
    assert groups["A1"].value == f"{MILUO}周调度（第3期）"  # weeks ending 9-4, 9-11, 9-18 since 9-1
    assert groups["A2"].value.startswith("统计期间：2024-09-12 至 2024-09-18")
    rows = {groups.cell(r, 1).value: [c.value for c in groups[r]][1:7] for r in range(4, groups.max_row + 1)}
    # visits, enterprises visited, collected, assigned, resolved, overdue (as of the period's end, 9-18)
    assert rows["工作组（循环园）"] == [2, 1, 2, 1, 0, 1]
    assert rows["工作组（配套园）"] == [1, 1, 0, 0, 0, 0]  # its visit of 9-13; PB was collected on 9-19, after the week
    assert rows["合计"] == [3, 2, 2, 1, 0, 1]
    new = book["本期新增问题"]
    assert [new.cell(r, 3).value for r in range(4, new.max_row + 1)] == ["甲企业（合成）", "甲企业（合成）"]
    assert {ws.title for ws in book.worksheets} == {"工作组情况", "责任单位情况", "本期新增问题", "本期办结问题", "红黑榜", "报送情况"}
    reports = book["报送情况"]
    assert reports.max_row - 3 == 10 and {reports.cell(r, 4).value for r in range(4, reports.max_row + 1)} == {"逾期未报送"}


def test_dekad_bulletin_as_word(seeded, world, tmp_path):
    out = tmp_path / "d.docx"
    export(seeded, "dekad", "--out", str(out), "--campaign", MILUO, "--date", "2024-09-15")
    doc = Document(str(out))
    text = "\n".join(p.text for p in doc.paragraphs)
    with seeded.app_context():
        made = local_now().date()
    # 第N期 counted in the campaign, and the day it was made (not the period's end) beside the issuer
    assert "旬　通　报" in text and "第2期" in text and f"{made.year}年{made.month}月{made.day}日" in text
    assert "2024年9月中旬（2024年9月11日至2024年9月20日）" in text
    for heading in ("一、总体情况", "四、本期办结", "五、红黑榜", "六、信息报送情况"):
        assert heading in text, heading
    assert "尚未报送的有：" in text and "工作组（循环园）" in text
    assert len(doc.tables) >= 2 and doc.tables[0].rows[0].cells[0].text == "名称"
    header = doc.tables[0].rows[0]
    assert header._tr.trPr.find(qn("w:tblHeader")) is not None  # repeated on every page
    assert all(run.font.bold for cell in header.cells for run in cell.paragraphs[0].runs)
    section = doc.sections[0]
    assert (round(section.top_margin.mm), round(section.bottom_margin.mm), round(section.left_margin.mm),
            round(section.right_margin.mm)) == (37, 35, 28, 26)
    heading = next(p for p in doc.paragraphs if p.text == "一、总体情况")
    assert heading.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"


def test_weekly_report_as_word(seeded, world, tmp_path):
    out = tmp_path / "w.docx"
    export(seeded, "weekly", "--out", str(out), "--campaign", MILUO, "--date", "2024-09-14")
    doc = Document(str(out))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "周　调　度" in text and "第3期" in text and "本周（2024年9月12日至2024年9月18日）" in text and "四、本期办结" in text
    resolved = "本周没有办结的问题。" in text or any(t.rows[0].cells[-1].text == "办理结果" for t in doc.tables)
    assert resolved
    assert "本期周调度应于" in text and doc.tables[0].rows[0].cells[0].text == "名称"


def test_periodic_reports_set_units_with_too_few_problems_apart(seeded, world, tmp_path):
    """The 周调度's 红黑榜 sheet and the 旬通报 follow the campaign's ranking minimum (Campaign.ranking_min_problems,
    default 3): 市发改局's one assigned problem and 市财政局's none are 样本不足, unranked, on no board."""
    weekly, dekad = tmp_path / "w.xlsx", tmp_path / "d.docx"

    def ranking_sheet():
        sheet = load_workbook(weekly)["红黑榜"]
        return {sheet.cell(r, 3).value: (sheet.cell(r, 1).value, sheet.cell(r, 2).value) for r in range(4, sheet.max_row + 1)}

    export(seeded, "weekly", "--out", str(weekly), "--campaign", MILUO, "--date", "2024-09-14")
    assert ranking_sheet() == {"市发改局": (None, "样本不足"), "市财政局": (None, "样本不足")}
    export(seeded, "dekad", "--out", str(dekad), "--campaign", MILUO, "--date", "2024-09-15")
    text = "\n".join(p.text for p in Document(str(dekad)).paragraphs)
    assert "红榜（办结率、按期办结率靠前）：无。" in text and "黑榜（办结率靠后或逾期较多）：无。" in text
    assert "已交办问题不足3个、样本不足未参加排名的单位：市发改局、市财政局。" in text
    with seeded.app_context():
        db.session.scalar(select(Campaign).where(Campaign.name == MILUO)).ranking_min_problems = 1
        db.session.commit()
    export(seeded, "weekly", "--out", str(weekly), "--campaign", MILUO, "--date", "2024-09-14")
    assert ranking_sheet() == {"市发改局": (1, None), "市财政局": (None, "样本不足")}


def test_bad_export_arguments(seeded, tmp_path):
    for args, message in (
        (["nope", "--out", str(tmp_path / "x.xlsx")], "不认识的报表“nope”"),
        (["problems", "--out", str(tmp_path / "x.xlsx")], "请用 --campaign 指定专项行动"),
        (["problems", "--out", str(tmp_path / "x.xlsx"), "--campaign", "没有这个行动"], "找不到专项行动“没有这个行动”"),
        (["weekly", "--out", str(tmp_path / "x.xlsx"), "--campaign", MILUO, "--date", "2024-02-30"], "--date：日期“2024-02-30”无效，应为 YYYY-MM-DD 格式"),
        (["problems", "--out", str(tmp_path / "x.docx"), "--campaign", MILUO], "--out 应以 .xlsx 结尾"),
        (["problems", "--out", str(tmp_path / "no" / "x.xlsx"), "--campaign", MILUO], "目录不存在"),
    ):
        result = seeded.test_cli_runner().invoke(args=["export", *args])
        assert result.exit_code == 1 and message in result.output, result.output
    assert not (tmp_path / "x.xlsx").exists()


def download_name(response) -> str:
    header = response.headers["Content-Disposition"]
    assert header.startswith("attachment;")
    return unquote(re.search(r"filename\*=UTF-8''([^;]+)", header).group(1))


def test_ledger_export_is_exactly_what_the_user_sees_under_the_filters(seeded, world, login_as):
    group, office = login_as("group"), login_as("coordinator")
    response = group.get("/admin/problem/annex2/")
    assert response.status_code == 200
    assert download_name(response).startswith("附件2 问题清单（问题台账，")
    ws = load_workbook(io.BytesIO(response.data)).active
    assert {ws.cell(r, 3).value for r in range(4, ws.max_row + 1)} == {"甲企业（合成）"}  # only the group's problems
    assert ws.max_row - 3 == 2
    everything = load_workbook(io.BytesIO(office.get("/admin/problem/annex2/").data)).active
    assert everything.max_row - 3 == 4
    searched = load_workbook(io.BytesIO(office.get("/admin/problem/annex2/?search=乙企业").data)).active
    assert searched.max_row - 3 == 2 and {searched.cell(r, 3).value for r in range(4, 6)} == {"乙企业（合成）"}
    assert "导出附件2" in office.get("/admin/problem/").text


def test_report_downloads_from_the_panel_are_scoped(seeded, world, login_as):
    group = login_as("group")
    assert group.get("/admin/reports/").status_code == 200
    response = group.get("/admin/reports/download", query_string={"kind": "weekly", "date": "2024-09-14"})
    book = load_workbook(io.BytesIO(response.data))
    names = [book["工作组情况"].cell(r, 1).value for r in range(4, book["工作组情况"].max_row + 1)]
    assert names == ["工作组（循环园）", "合计"]
    assert download_name(response) == f"周调度（{MILUO}，2024-09-12至2024-09-18）.xlsx"
    docx = group.get("/admin/reports/download", query_string={"kind": "dekad", "date": "2024-09-14", "format": "docx"})
    assert download_name(docx).endswith(".docx") and docx.data[:2] == b"PK"
    firms = load_workbook(io.BytesIO(group.get("/admin/reports/download", query_string={"kind": "enterprises"}).data)).active
    assert [firms.cell(r, 1).value for r in range(4, firms.max_row + 1)] == ["甲企业（合成）"]
    assert group.get("/admin/reports/download", query_string={"kind": "nope"}).status_code == 404
    assert "应为 YYYY-MM-DD 格式" in group.get("/admin/reports/download", query_string={"kind": "weekly", "date": "x"},
                                   follow_redirects=True).text


def test_builtin_flask_admin_export_is_closed(seeded, world, login_as):
    client = login_as("admin")
    assert client.get("/admin/problem/export/csv/").status_code == 403
    assert client.get("/admin/problem/export/xlsx/").status_code == 403
