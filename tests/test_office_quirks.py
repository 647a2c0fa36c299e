"""Office files as they come (issue: imports of real office files): a hidden old first sheet or a hidden dropdown sheet,
a two-row header (责任单位 merged over 牵头 / 配合), the same file or the same problem uploaded twice, names written in
traditional characters or with full-width spaces. Each workbook is written here by the library offices' files come
from (openpyxl for .xlsx, xlwt for .xls, the OpenDocument XML itself for .ods) and imported for real."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from xml.sax.saxutils import escape

import pytest
import xlwt
from openpyxl import Workbook
from sqlalchemy import func, select

from imports import CommandLineUser
from imports.enterprises import import_enterprises
from imports.problems import import_problems
from models import Body, Enterprise, ImportBatch, Person, Problem, Unit, User, db
from models.batches import undo
from models.steps import StepName
from models.workflow import record
from tests.conftest import csrf_token, make_user
from tests.factories import miluo, named, staff_of

MILUO = "汨罗市“两重”“两新”送解优专项行动"
FIRM, OTHER = "湖南金龙新材料有限公司", "汨罗万容电子废弃物处理有限公司"
GROUP = "工作组（循环园）"
FORMATS = ("xlsx", "xls", "ods")
HEADER = ["企业名称", "问题描述", "收集工作组"]


@pytest.fixture
def firms(seeded):
    with seeded.app_context():
        for name in (FIRM, OTHER):
            db.session.add(Enterprise(campaign=miluo(), name=name, town=named(Unit, "循环园")))
        db.session.commit()


def book(kind: str, sheets: list[dict]) -> bytes:
    """A workbook of `sheets` ({name, rows, state: visible/hidden/veryHidden, merged: [(r0, c0, r1, c1)] from 0}),
    written as `kind` by the tool offices' files come from."""
    return {"xlsx": xlsx_book, "xls": xls_book, "ods": ods_book}[kind](sheets)


def xlsx_book(sheets: list[dict]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for spec in sheets:
        sheet = workbook.create_sheet(spec["name"])
        for row in spec["rows"]:
            sheet.append(row)
        for r0, c0, r1, c1 in spec.get("merged", ()):
            sheet.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1)
        sheet.sheet_state = spec.get("state", "visible")
    workbook.active = next(i for i, s in enumerate(sheets) if s.get("state", "visible") == "visible")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xls_book(sheets: list[dict]) -> bytes:
    workbook = xlwt.Workbook(encoding="utf-8")
    for index, spec in enumerate(sheets):
        sheet = workbook.add_sheet(spec["name"])
        merged = spec.get("merged", ())
        covered = {(r, c) for r0, c0, r1, c1 in merged for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
        for r0, c0, r1, c1 in merged:
            sheet.write_merge(r0, r1, c0, c1, spec["rows"][r0][c0])
        for r, row in enumerate(spec["rows"]):
            for c, value in enumerate(row):
                if value is not None and (r, c) not in covered:
                    sheet.write(r, c, value)
        sheet.visibility = {"visible": 0, "hidden": 1, "veryHidden": 2}[spec.get("state", "visible")]
    visible = next(i for i, s in enumerate(sheets) if s.get("state", "visible") == "visible")
    workbook.set_active_sheet(visible)
    for index in range(len(sheets)):
        workbook.get_sheet(index).set_selected(index == visible)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"')


def ods_book(sheets: list[dict]) -> bytes:
    """An .ods as LibreOffice writes one: a hidden sheet has a table style whose display is false; a merged range is a
    spanning cell followed by covered cells."""
    tables = []
    for spec in sheets:
        spans = {(r0, c0): (r1 - r0 + 1, c1 - c0 + 1) for r0, c0, r1, c1 in spec.get("merged", ())}
        covered = {(r, c) for r0, c0, r1, c1 in spec.get("merged", ()) for r in range(r0, r1 + 1)
                   for c in range(c0, c1 + 1)} - set(spans)
        width = max(len(row) for row in spec["rows"])
        rows = []
        for r, row in enumerate(spec["rows"]):
            cells = []
            for c in range(width):
                value = row[c] if c < len(row) else None
                if (r, c) in covered:
                    cells.append("<table:covered-table-cell/>")
                    continue
                span = spans.get((r, c))
                spanned = (f' table:number-rows-spanned="{span[0]}" table:number-columns-spanned="{span[1]}"'
                           if span else "")
                if value is None:
                    cells.append(f"<table:table-cell{spanned}/>")
                elif isinstance(value, (int, float)):
                    cells.append(f'<table:table-cell office:value-type="float" office:value="{value}"{spanned}>'
                                 f"<text:p>{value}</text:p></table:table-cell>")
                else:
                    cells.append(f'<table:table-cell office:value-type="string"{spanned}>'
                                 f"<text:p>{escape(str(value))}</text:p></table:table-cell>")
            rows.append(f"<table:table-row>{''.join(cells)}</table:table-row>")
        style = "ta2" if spec.get("state", "visible") != "visible" else "ta1"
        tables.append(f'<table:table table:name="{escape(spec["name"])}" table:style-name="{style}">'
                      f"{''.join(rows)}</table:table>")
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NS}><office:automatic-styles>'
               '<style:style style:name="ta1" style:family="table"><style:table-properties table:display="true"/></style:style>'
               '<style:style style:name="ta2" style:family="table"><style:table-properties table:display="false"/></style:style>'
               f"</office:automatic-styles><office:body><office:spreadsheet>{''.join(tables)}"
               "</office:spreadsheet></office:body></office:document-content>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        package.writestr("META-INF/manifest.xml", '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                         'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
                         '<manifest:file-entry manifest:full-path="/" '
                         'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                         '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                         "</manifest:manifest>")
        package.writestr("content.xml", content)
    return out.getvalue()


def table(*problems: tuple[str, str]) -> dict:
    """The visible sheet of new problems: (enterprise, description) rows under the usual header."""
    return {"name": "问题清单", "rows": [HEADER, *([firm, text, GROUP] for firm, text in problems)]}


def descriptions() -> list[str]:
    return sorted(db.session.scalars(select(Problem.description).where(Problem.campaign_id == miluo().id)))


# --- hidden sheets --------------------------------------------------------------------------------------------------

HIDDEN_STATES = [(kind, state) for kind in FORMATS for state in ("hidden", "veryHidden") if kind != "ods" or state == "hidden"]


@pytest.mark.parametrize("kind, state", HIDDEN_STATES)
def test_a_hidden_old_first_sheet_is_skipped_and_named(seeded, firms, kind, state):
    """The issue: the hidden old first sheet was imported instead of the visible one."""
    old = {"name": "旧表", "state": state, "rows": [HEADER, [FIRM, "去年的旧问题", GROUP]]}
    data = book(kind, [old, table((FIRM, "今年的新问题"))])
    with seeded.app_context():
        result = import_problems(data, miluo(), CommandLineUser(), file_name=f"新表.{kind}")
        assert not result.errors, result.errors
        assert result.sheet.sheet_name == "问题清单" and descriptions() == ["今年的新问题"]
        assert result.written and result.sheet.hidden == ["旧表"]


@pytest.mark.parametrize("kind, state", HIDDEN_STATES)
def test_a_hidden_dropdown_sheet_first_does_not_block_the_import(seeded, firms, kind, state):
    """The issue: a hidden sheet of dropdown lists, first in the workbook, was taken for the table and the import
    refused for want of the columns a new problem needs."""
    lists = {"name": "下拉", "state": state, "rows": [["问题类型", "办理状态", "满意度"], ["资金", "待交办", "满意"],
                                                     ["用地", "已交办", "基本满意"]]}
    data = book(kind, [lists, table((FIRM, "用电报装周期长"), (OTHER, "招工难"))])
    with seeded.app_context():
        result = import_problems(data, miluo(), CommandLineUser())
        assert not result.errors, result.errors
        assert result.count("新增") == 2 and descriptions() == ["招工难", "用电报装周期长"]
        assert result.sheet.hidden == ["下拉"]


def test_the_table_is_found_on_whichever_visible_sheet_holds_it(seeded, firms):
    """Six visible sheets come first: notes, and a visible list of dropdown values whose header names known columns
    but not those an import needs; the table is the seventh."""
    notes = [{"name": f"说明{n}", "rows": [["填表说明"], [f"第{n}条"]]} for n in range(1, 6)]
    lists = {"name": "选项", "rows": [["问题类型", "办理状态"], ["资金", "待交办"]]}
    data = book("xlsx", [*notes, lists, table((FIRM, "用电报装周期长"))])
    with seeded.app_context():
        result = import_problems(data, miluo(), CommandLineUser(), dry_run=True)
        assert not result.errors, result.errors
        assert result.sheet.sheet_name == "问题清单" and result.count("新增") == 1


# --- a two-row header -----------------------------------------------------------------------------------------------

def two_row_header(person: str) -> dict:
    """责任单位 merged over 牵头 / 配合 and 办理情况 over 进展 / 状态; the other headers merged down both rows; a title
    merged across the top."""
    rows = [
        ["汨罗市助企服务问题清单", None, None, None, None, None, None, None, None, None],
        ["序号", "企业名称", "问题描述", "收集工作组", "责任单位", None, "责任人", "办理时限", "办理情况", None],
        [None, None, None, None, "牵头", "配合", None, None, "进展", "状态"],
        [1, FIRM, "用电报装周期长", GROUP, "市发改局", "市财政局", person, "2099-12-31", None, "已交办"],
        [2, OTHER, "招工难", GROUP, None, None, None, None, None, "待交办"],
    ]
    merged = [(0, 0, 0, 9), (1, 4, 1, 5), (1, 8, 1, 9), *((1, c, 2, c) for c in (0, 1, 2, 3, 6, 7))]
    return {"name": "问题清单", "rows": rows, "merged": merged}


@pytest.mark.parametrize("kind", FORMATS)
def test_a_two_row_header_reads_as_one_and_its_second_row_is_not_data(seeded, firms, kind):
    """The issue: the header's second row (牵头, 配合, 进展, 状态) was read as a row of data."""
    with seeded.app_context():
        person = staff_of("市发改局").name
        db.session.commit()
        result = import_problems(book(kind, [two_row_header(person)]), miluo(), CommandLineUser())
        assert not result.errors, result.errors
        sheet = result.sheet
        assert (sheet.header_row, sheet.header_rows) == (2, 2)
        assert sheet.columns == {"企业名称": 2, "问题描述": 3, "收集工作组": 4, "责任单位": 5, "协办单位": 6, "责任人": 7,
                                 "办理时限": 8, "办理进展": 9, "办理状态": 10}
        assert "第5列“责任单位／牵头”读作“责任单位”" in sheet.header_notes
        assert "第6列“责任单位／配合”读作“协办单位”" in sheet.header_notes
        assert "第10列“办理情况／状态”读作“办理状态”" in sheet.header_notes
        assert [(o.row, o.action) for o in result.outcomes] == [(4, "新增并交办"), (5, "新增")]
        assigned = db.session.scalar(select(Problem).where(Problem.description == "用电报装周期长"))
        assert (assigned.responsible_unit.name, [u.name for u in assigned.co_units], assigned.deadline) == (
            "市发改局", ["市财政局"], date(2099, 12, 31))


# --- the same file, the same problem --------------------------------------------------------------------------------

def test_the_same_file_uploaded_twice_is_skipped_unless_confirmed(seeded, firms):
    """The issue: the same file uploaded twice created its problems twice."""
    data = book("xlsx", [table((FIRM, "用电报装周期长"), (OTHER, "招工难"))])
    with seeded.app_context():
        first = import_problems(data, miluo(), CommandLineUser(), file_name="循环园.xlsx")
        assert first.written and first.count("新增") == 2
        batch_id = first.batch.id
        again = import_problems(data, miluo(), CommandLineUser(), file_name="循环园（再发一次）.xlsx")
        assert not again.written and not again.errors and again.batch is None and len(descriptions()) == 2
        assert again.same_file.id == batch_id
        assert f"与导入记录第{batch_id}号（“循环园.xlsx”" in again.summary() and "未写入任何数据" in again.summary()
        assert len(descriptions()) == 2 and db.session.scalar(select(func.count(ImportBatch.id))) == 1
        confirmed = import_problems(data, miluo(), CommandLineUser(), allow_duplicates=True, file_name="再导一次.xlsx")
        assert confirmed.written and confirmed.count("新增") == 2 and len(descriptions()) == 4


def test_a_file_whose_import_was_undone_is_not_a_duplicate(seeded, firms):
    data = book("xls", [table((FIRM, "用电报装周期长"))])
    with seeded.app_context():
        first = import_problems(data, miluo(), CommandLineUser(), file_name="a.xls")
        undo(first.batch, CommandLineUser())
        db.session.commit()
        again = import_problems(data, miluo(), CommandLineUser(), file_name="a.xls")
        assert again.same_file is None and again.written and descriptions() == ["用电报装周期长"]


def test_a_batch_someone_else_imported_is_not_named_to_a_working_group_but_its_problems_are_still_found(seeded, firms):
    """A working group sees its own import batches only: the same file imported by the 推进办 is not named to it, while
    the problems that import wrote, which the group may see, still stop their rows."""
    data = book("xlsx", [table((FIRM, "用电报装周期长"))])
    group_id = make_user(seeded, "cadre", "group")
    with seeded.app_context():
        first = import_problems(data, miluo(), CommandLineUser(), file_name="推进办导入.xlsx")
        assert first.written
        again = import_problems(data, miluo(), db.session.get(User, group_id), dry_run=True)
        assert again.same_file is None and "推进办导入" not in again.summary()
        assert [(o.row, o.action) for o in again.outcomes] == [(2, "跳过（重复）")]


def test_rows_repeating_an_open_problem_or_an_earlier_row_are_skipped_unless_confirmed(seeded, firms):
    with seeded.app_context():
        firm, other = named(Enterprise, FIRM), named(Enterprise, OTHER)
        group = named(Body, GROUP)
        open_one = Problem(campaign=miluo(), enterprise=firm, description="用电报装周期长", collected_by_body=group)
        ended = Problem(campaign=miluo(), enterprise=firm, description="天然气价格偏高", collected_by_body=group)
        db.session.add_all([open_one, ended])
        db.session.flush()
        record(ended, None, StepName.WITHDRAW, note="重复录入")
        db.session.commit()
        number = open_one.number
    rows = [(FIRM, "用电报装 周期长"),  # the open problem again (spaces aside)
            (FIRM, "天然气价格偏高"),  # as a withdrawn one: not open, so new
            (OTHER, "用电报装周期长"),  # another enterprise: new
            (OTHER, "招工难"), (OTHER, "招工難")]  # the same row twice in the file (a traditional character aside)
    data = book("xlsx", [table(*rows)])
    with seeded.app_context():
        preview = import_problems(data, miluo(), CommandLineUser(), dry_run=True)
        assert not preview.errors, preview.errors
        assert [(o.row, o.action) for o in preview.outcomes] == [
            (2, "跳过（重复）"), (3, "新增"), (4, "新增"), (5, "新增"), (6, "跳过（重复）")]
        details = {o.row: o.detail for o in preview.outcomes}
        assert details[2] == f"与未办结的问题{number}重复（同一企业、同样的问题描述）"
        assert details[6] == "与文件第5行重复（同一企业、同样的问题描述）"
        assert "跳过重复的2条" in preview.summary()
        result = import_problems(data, miluo(), CommandLineUser())
        assert result.written and result.count("新增") == 3
        assert descriptions() == ["天然气价格偏高", "天然气价格偏高", "招工难", "用电报装周期长", "用电报装周期长"]
        confirmed = import_problems(data, miluo(), CommandLineUser(), allow_duplicates=True)
        assert confirmed.same_file is not None and confirmed.written and confirmed.count("新增") == 5


def test_the_command_line_skips_duplicates_unless_allowed_and_says_so_in_its_help(seeded, firms, tmp_path):
    path = tmp_path / "问题.xlsx"
    path.write_bytes(book("xlsx", [table((FIRM, "用电报装周期长"))]))
    runner = seeded.test_cli_runner()
    help_text = runner.invoke(args=["import", "--help"]).output
    assert "--allow-duplicates" in help_text and "仍然导入重复的内容" in help_text
    assert runner.invoke(args=["import", "problems", str(path), "--campaign", MILUO]).exit_code == 0
    again = runner.invoke(args=["import", "problems", str(path), "--campaign", MILUO])
    assert again.exit_code == 0 and "未写入任何数据" in again.output and "--allow-duplicates" in again.output
    assert "跳过第2行（重复）：与" in again.output
    forced = runner.invoke(args=["import", "problems", str(path), "--campaign", MILUO, "--allow-duplicates"])
    assert forced.exit_code == 0 and "已新增1条" in forced.output
    with seeded.app_context():
        assert descriptions() == ["用电报装周期长", "用电报装周期长"]


def test_the_preview_shows_hidden_sheets_the_two_row_header_and_duplicates_and_asks(seeded, firms, login_as):
    """The page a clerk sees: what was skipped and how the header was read; duplicates skipped unless ticked."""
    with seeded.app_context():
        person = staff_of("市发改局").name
        firm = named(Enterprise, OTHER)
        db.session.add(Problem(campaign=miluo(), enterprise=firm, description="招工难", collected_by_body=named(Body, GROUP)))
        db.session.commit()
    old = {"name": "旧表", "state": "hidden", "rows": [HEADER, [FIRM, "去年的旧问题", GROUP]]}
    data = book("xls", [old, two_row_header(person)])
    office = login_as("coordinator", "office")
    token = csrf_token(office.get("/admin/import/").text)

    def upload():
        return office.post("/admin/import/", data={"csrf_token": token, "kind": "problems",
                                                    "file": (io.BytesIO(data), "循环园问题.xls")},
                           content_type="multipart/form-data").text

    page = upload()
    assert "已跳过隐藏的工作表：旧表" in page and "表头在第 2–3 行（两行表头）" in page
    assert "“责任单位／配合”读作“协办单位”" in page
    assert "跳过（重复）" in page and 'name="allow_duplicates"' in page
    pending = page.split('name="token" value="')[1].split('"')[0]
    done = office.post("/admin/import/confirm", data={"csrf_token": token, "token": pending}).text
    assert "已新增1条" in done and "跳过重复的1条" in done
    page = upload()
    assert "与导入记录第" in page and "仍然导入重复的内容" in page
    pending = page.split('name="token" value="')[1].split('"')[0]
    done = office.post("/admin/import/confirm", data={"csrf_token": token, "token": pending, "allow_duplicates": "1"}).text
    assert "已新增2条" in done
    with seeded.app_context():
        assert descriptions() == ["招工难", "招工难", "用电报装周期长", "用电报装周期长"]


# --- traditional characters, full-width spaces ----------------------------------------------------------------------

def test_names_in_traditional_characters_or_with_full_width_spaces_are_matched_and_the_preview_says_how(seeded, firms):
    """The issue: a name in traditional characters was offered only 新建 (a duplicate enterprise waiting to happen)."""
    with seeded.app_context():
        person = staff_of("市发改局", "张建国")
        db.session.commit()
        assert person.name == "张建国"
    sheet = {"name": "問題清單", "rows": [
        ["企業名稱", "問題描述", "收集工作組", "責任單位", "責任人", "辦理時限", "辦理狀態"],
        ["湖南金龍新材料有限公司", "用電報裝週期長", "工作組（循環園）", "市發改局", "張建國", "2099-12-31", "已交辦"],
        ["湖南金龙　新材料有限公司", "道路破損", "工作组　（循环园）", None, None, None, None],
    ]}
    with seeded.app_context():
        result = import_problems(book("xlsx", [sheet]), miluo(), CommandLineUser())
        assert not result.errors, result.errors
        assert not result.unknown and result.count("新增") == 2
        notes = {(n.row, n.header): n.message for n in result.notes}
        assert notes[(2, "企业名称")] == "“湖南金龍新材料有限公司”按企业“湖南金龙新材料有限公司”匹配（繁体字按简体读）"
        assert notes[(3, "企业名称")] == "“湖南金龙　新材料有限公司”按企业“湖南金龙新材料有限公司”匹配（全角空格）"
        assert notes[(2, "责任单位")] == "“市發改局”按单位“市发改局”匹配（繁体字按简体读）"
        assert notes[(2, "责任人")] == "“張建國”按人员“张建国”匹配（繁体字按简体读）"
        assert notes[(3, "收集工作组")] == "“工作组　（循环园）”按工作组“工作组（循环园）”匹配（全角空格）"
        assert db.session.scalar(select(func.count(Enterprise.id)).where(Enterprise.campaign_id == miluo().id)) == 2
        assigned = db.session.scalar(select(Problem).where(Problem.description == "用電報裝週期長"))
        assert (assigned.enterprise.name, assigned.responsible_unit.name, assigned.lead_person.name) == (
            FIRM, "市发改局", "张建国")
        assert db.session.scalar(select(Person.id).where(Person.name == "張建國")) is None


def test_an_enterprise_list_names_an_enterprise_in_traditional_characters_and_updates_it(seeded, firms):
    workbook = Workbook()
    workbook.active.append(["企业名称", "联系人"])
    workbook.active.append(["湖南金龍新材料有限公司", "王五"])
    out = io.BytesIO()
    workbook.save(out)
    with seeded.app_context():
        result = import_enterprises(out.getvalue(), miluo(), CommandLineUser())
        assert not result.errors, result.errors
        assert [(o.number, o.action) for o in result.outcomes] == [(FIRM, "更新")]
        assert "繁体字按简体读" in result.notes[0].message
        assert db.session.scalar(select(Enterprise.contact).where(Enterprise.name == FIRM)) == "王五"
        assert db.session.scalar(select(func.count(Enterprise.id)).where(Enterprise.campaign_id == miluo().id)) == 2
