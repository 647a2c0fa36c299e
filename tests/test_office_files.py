"""Files as offices send them (tests/fixtures/offices.py): .xlsx, and the .xls and .ods LibreOffice saved from it, with a
title block, headers by other names and broken over lines, only some columns, a column the panel does not know,
merged cells, dates as people write them, enterprise names written otherwise, a misspelt one and a new one, and a
closing 合计 and 填表说明. Each format reads alike; every normalisation is said; nothing is matched by guesswork; the
user's confirmations in the preview finish the import; and hostile .xls and .ods files are refused before the reader
expands them."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from imports import CommandLineUser
from imports.enterprises import import_enterprises
from imports.package import ImportFailure, check_workbook
from imports.problems import import_problems
from models import Body, Enterprise, Problem, Unit, User, db
from models.errors import DomainError
from tests.conftest import csrf_token, make_user
from tests.factories import miluo, named
from tests.fixtures.offices import FIRMS, GROUP, NEW_FIRM, NEW_FIRM_CODE, TYPO

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FORMATS = ("xlsx", "xls", "ods")


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def firms(seeded):
    with seeded.app_context():
        town = named(Unit, "循环园")
        for name, code in FIRMS:
            db.session.add(Enterprise(campaign=miluo(), name=name, credit_code=code, town=town))
        db.session.commit()
        return {firm.name: firm.id for firm in db.session.scalars(select(Enterprise).where(Enterprise.name.in_([n for n, _ in FIRMS])))}


def messages(found) -> dict[tuple[int, str], str]:
    return {(n.row, n.header): n.message for n in found}


@pytest.mark.parametrize("kind", FORMATS)
def test_an_office_file_reads_alike_in_each_format_and_says_how(seeded, firms, kind):
    with seeded.app_context():
        result = import_problems(fixture(f"problems.{kind}"), miluo(), CommandLineUser(), dry_run=True)
        sheet = result.sheet
        assert (sheet.kind, sheet.header_row, sheet.filled_on) == (kind, 4, date(2024, 9, 20))
        assert set(sheet.columns) == {"企业名称", "问题描述", "企业诉求", "收集工作组", "收集时间", "问题类型", "备注"}
        assert "第9列“联系人”" in sheet.ignored
        assert [row for row, _ in sheet.skipped] == [11, 12]  # 合计, 填表说明
        errors = messages(result.errors)
        assert set(errors) == {(9, "企业名称"), (10, "企业名称")}
        assert "相近的有：湖南金龙新材料有限公司" in errors[(9, "企业名称")]
        assert f"企业“{NEW_FIRM}”不存在" in errors[(10, "企业名称")]
        assert [r.name for r in result.unknown["enterprise"][TYPO]] == ["湖南金龙新材料有限公司"]
        notes = messages(result.notes)
        assert notes[(5, "收集工作组")] == "第5–6行为合并单元格，各行按“工作组（循环园）”读取"
        assert notes[(5, "收集时间")] == "“2024.9.18”读作 2024-09-18"
        assert notes[(6, "收集时间")] == "“2024年9月19日”读作 2024-09-19"
        assert notes[(7, "收集时间")] == "“9月18日”未写年份，按表头上方填报时间的年份2024年读作 2024-09-18"
        assert notes[(8, "收集时间")] == "Excel 日期序号 45554 读作 2024-09-19"
        assert notes[(10, "收集时间")] == "“20240919”读作 2024-09-19"
        assert "按企业“湖南金龙新材料有限公司”匹配" in notes[(6, "企业名称")]
        assert "按企业“汨罗万容电子废弃物处理有限公司”匹配" in notes[(7, "企业名称")]
        assert "按企业“湖南（汨罗）顺成科技有限公司”匹配" in notes[(8, "企业名称")]
        assert (5, "企业名称") not in notes  # written as it is stored
        assert db.session.scalar(select(Problem.id).where(Problem.description == "用电报装周期长")) is None


def test_confirmed_names_finish_the_import_and_a_new_enterprise_is_created_with_its_code(seeded, firms):
    choices = {"enterprise": {TYPO: firms["湖南金龙新材料有限公司"]}, "new": {NEW_FIRM: NEW_FIRM_CODE}}
    with seeded.app_context():
        result = import_problems(fixture("problems.xls"), miluo(), CommandLineUser(), choices=choices)
        assert not result.errors, result.errors
        assert result.written and result.count("新增") == 6 and result.created == [NEW_FIRM]
        assert "已新建企业1家" in result.summary()
        assert messages(result.notes)[(9, "企业名称")] == f"按您的确认，“{TYPO}”即企业“湖南金龙新材料有限公司”"
        rows = {p.description: p for p in db.session.scalars(select(Problem).where(Problem.campaign_id == miluo().id))}
        group = named(Body, GROUP)
        assert rows["厂区门前道路破损"].collected_by_body_id == group.id  # from the merged cell above it
        assert rows["厂区门前道路破损"].enterprise.name == "湖南金龙新材料有限公司"
        assert rows["天然气价格偏高"].enterprise.name == "湖南金龙新材料有限公司"
        assert rows["流动资金贷款续贷难"].collected_on == date(2024, 9, 18)
        assert rows["招工难，缺技术工人"].collected_on == date(2024, 9, 19)
        assert rows["流动资金贷款续贷难"].remark == "急" and rows["流动资金贷款续贷难"].category == "资金"
        created = rows["冷库用地指标不足"].enterprise
        assert (created.name, created.credit_code, created.campaign_id) == (NEW_FIRM, NEW_FIRM_CODE, miluo().id)


def test_a_new_enterprise_with_a_wrong_code_is_refused_and_nothing_is_written(seeded, firms):
    choices = {"enterprise": {TYPO: firms["湖南金龙新材料有限公司"]}, "new": {NEW_FIRM: NEW_FIRM_CODE[:-1] + "0"}}
    with seeded.app_context():
        result = import_problems(fixture("problems.ods"), miluo(), CommandLineUser(), choices=choices)
        assert not result.written
        assert any("统一社会信用代码有误：统一社会信用代码校验位错误" in e.message for e in result.errors)
        assert db.session.scalar(select(Enterprise.id).where(Enterprise.name == NEW_FIRM)) is None
        assert db.session.scalar(select(Problem.id).where(Problem.description == "用电报装周期长")) is None


def test_the_preview_in_the_panel_asks_for_the_unknown_names_then_imports(seeded, firms, login_as):
    office = login_as("coordinator", "office")
    token = csrf_token(office.get("/admin/import/").text)
    page = office.post("/admin/import/", data={"csrf_token": token, "kind": "problems",
                                               "file": (io.BytesIO(fixture("problems.xls")), "循环园问题.xls")},
                       content_type="multipart/form-data").text
    assert "请确认以下名称" in page and "按以下方式读取的单元格" in page
    assert "未读取的列：第9列“联系人”" in page and "第11行（表格下方的说明或合计行" in page
    pending = page.split('name="token" value="')[1].split('"')[0]
    fields = dict(re.findall(r'name="(name-enterprise-\d+)" value="([^"]+)"', page))
    typo = next(k for k, v in fields.items() if v == TYPO).rsplit("-", 1)[1]
    new = next(k for k, v in fields.items() if v == NEW_FIRM).rsplit("-", 1)[1]
    assert f'<option value="{firms["湖南金龙新材料有限公司"]}">湖南金龙新材料有限公司</option>' in page
    choose = {"csrf_token": token, "token": pending, **{k: v for k, v in fields.items()},
              f"choice-enterprise-{typo}": str(firms["湖南金龙新材料有限公司"]), f"choice-enterprise-{new}": "new",
              f"code-enterprise-{new}": "91430681MA4L1234X0"}
    again = office.post("/admin/import/choose", data=choose).text
    assert "统一社会信用代码校验位错误" in again and "确认导入" not in again
    checked = office.post("/admin/import/choose", data={**choose, f"code-enterprise-{new}": NEW_FIRM_CODE}).text
    assert "预检通过：将新增6条" in checked and "将新建企业1家" in checked
    done = office.post("/admin/import/confirm", data={"csrf_token": token, "token": pending}).text
    assert "导入通过：已新增6条" in done
    with seeded.app_context():
        assert db.session.scalar(select(Enterprise.credit_code).where(Enterprise.name == NEW_FIRM)) == NEW_FIRM_CODE


def test_a_working_group_may_confirm_a_close_name_but_not_create_an_enterprise(seeded, firms, login_as):
    user_id = make_user(seeded, "cadre", "group")  # 循环园's group
    with seeded.app_context():
        user = db.session.get(User, user_id)
        with pytest.raises(DomainError, match="只有推进办或系统管理员可以在导入时新建企业"):
            import_problems(fixture("problems.xlsx"), miluo(), user, dry_run=True, choices={"new": {NEW_FIRM: NEW_FIRM_CODE}})
    client = login_as("group")
    token = csrf_token(client.get("/admin/import/").text)
    page = client.post("/admin/import/", data={"csrf_token": token, "kind": "problems",
                                               "file": (io.BytesIO(fixture("problems.xlsx")), "p.xlsx")},
                       content_type="multipart/form-data").text
    assert "请确认以下名称" in page and "新建企业“" not in page


def test_a_file_of_some_columns_changes_only_those(seeded, firms):
    with seeded.app_context():
        firm = db.session.get(Enterprise, firms["湖南金龙新材料有限公司"])
        problem = Problem(campaign=miluo(), enterprise=firm, description="原描述", demand="原诉求", remark="原备注",
                          collected_by_body=named(Body, GROUP), collected_on=date(2024, 9, 1), category="资金")
        db.session.add(problem)
        db.session.commit()
        number = problem.number
    book = Workbook()
    sheet = book.active
    sheet.append(["进展更新"])
    sheet.append(["编号", "备注（必填）"])
    sheet.append([number, "已电话回访"])
    data = io.BytesIO()
    book.save(data)
    with seeded.app_context():
        result = import_problems(data.getvalue(), miluo(), CommandLineUser())
        assert not result.errors and result.count("更新") == 1
        problem = db.session.scalar(select(Problem).where(Problem.number == number))
        assert (problem.remark, problem.description, problem.demand, problem.collected_on, problem.category) == (
            "已电话回访", "原描述", "原诉求", date(2024, 9, 1), "资金")


def test_a_file_without_the_columns_a_new_problem_needs_is_refused(seeded):
    book = Workbook()
    book.active.append(["企业名称", "企业诉求"])
    book.active.append(["湖南金龙新材料有限公司", "x"])
    data = io.BytesIO()
    book.save(data)
    with seeded.app_context(), pytest.raises(ImportFailure, match="缺少必需的列：应有“问题编号”；或“企业名称”、“问题描述”"):
        import_problems(data.getvalue(), miluo(), CommandLineUser(), dry_run=True)


@pytest.mark.parametrize("kind", FORMATS)
def test_an_enterprise_list_reads_alike_in_each_format(seeded, firms, kind):
    with seeded.app_context():
        result = import_enterprises(fixture(f"enterprises.{kind}"), miluo(), CommandLineUser())
        assert not result.errors, result.errors
        assert [(o.number, o.action) for o in result.outcomes] == [("湖南金龙新材料有限公司", "更新"), ("汨罗市星光包装有限公司", "新增")]
        assert [row for row, _ in result.sheet.skipped] == [6]
        notes = messages(result.notes)
        assert notes[(4, "规上企业")] == "“√”读作“是”" and notes[(5, "规上企业")] == "“×”读作“否”"
        assert notes[(4, "统一社会信用代码")].endswith("读作 91430681MA4L0G2X1K")
        firm = db.session.scalar(select(Enterprise).where(Enterprise.name == "湖南金龙新材料有限公司"))
        assert (firm.credit_code, firm.above_scale, firm.phone, firm.town.name) == ("91430681MA4L0G2X1K", True, "13800000000", "循环园")
        assert [link.body.name for link in firm.groups] == [GROUP]
        new = db.session.scalar(select(Enterprise).where(Enterprise.name == "汨罗市星光包装有限公司"))
        assert new.above_scale is False and new.contact is None


def ods(content: str) -> bytes:
    """An .ods package around `content` (the body of content.xml's spreadsheet)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        package.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
        package.writestr("content.xml", '<?xml version="1.0"?><office:document-content '
                         'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
                         'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
                         'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
                         f'<table:table table:name="x">{content}</table:table></office:spreadsheet></office:body>'
                         '</office:document-content>')
    return out.getvalue()


CELL = '<table:table-cell office:value-type="string"><text:p>问题描述</text:p></table:table-cell>'


@pytest.mark.parametrize("content, message", [
    (f'<table:table-row table:number-rows-repeated="1000000">{CELL}</table:table-row>', "超过上限25000行"),
    ('<table:table-row><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"/>'
     '</table:table-row>', "超过上限100列"),
    ('<table:table-row table:number-rows-repeated="20000"><table:table-cell table:number-columns-repeated="90" '
     'office:value-type="float" office:value="1"/></table:table-row>', "超过100万个单元格"),
    (f'<table:table-row table:number-rows-repeated="20000"><table:table-cell table:number-columns-repeated="50" '
     f'office:value-type="string"><text:p>{"长" * 30}</text:p></table:table-cell></table:table-row>', "文字超过2000万个字"),
    ('<table:table-row table:number-rows-repeated="-5"/>', "文件已损坏"),
])
def test_hostile_ods_files_are_refused_before_they_are_read(content, message):
    with pytest.raises(ImportFailure, match=message):
        check_workbook(ods(content))


def test_an_ods_that_ends_with_a_million_empty_rows_is_read(seeded, firms):
    """LibreOffice ends every sheet with repeated empty rows and cells: they cost nothing and are not refused."""
    data = ods('<table:table-row>' + CELL + '<table:table-cell office:value-type="string"><text:p>企业名称</text:p>'
               '</table:table-cell><table:table-cell table:number-columns-repeated="1022"/></table:table-row>'
               '<table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="1024"/>'
               '</table:table-row>')
    assert check_workbook(data) == ("ods", [[]])


def far_xls(row: int, column: int) -> bytes:
    """The fixture .xls with its first shared-text cell moved to (row, column), as a hostile file would place it."""
    data = bytearray(fixture("problems.xls"))
    at = data.index(b"\xfd\x00\x0a\x00")  # a LABELSST record: row, column, format, text index
    data[at + 4:at + 8] = row.to_bytes(2, "little") + column.to_bytes(2, "little")
    return bytes(data)


@pytest.mark.parametrize("row, column, message", [(65535, 255, "超过上限"), (30000, 0, "第30001行"), (0, 200, "第201列")])
def test_an_xls_with_a_cell_far_away_is_refused_before_it_is_read(row, column, message):
    with pytest.raises(ImportFailure, match=message):
        check_workbook(far_xls(row, column))


def test_damaged_and_encrypted_xls_files_are_refused(seeded):
    data = fixture("problems.xls")
    with pytest.raises(ImportFailure, match="文件已损坏，或不是 Excel 97-2003 工作簿"):
        check_workbook(data[:1600])
    assert check_workbook(data) == ("xls", None)


def everything(app) -> dict:
    """Every row of the tables an import writes (problems with their 协办单位 and timelines, enterprises with their
    groups), as plain values: equal dicts mean the same state."""
    from models import EnterpriseGroup, ProblemUpdate, problem_co_unit
    skip = {"version", "updated_at"}
    with app.app_context():
        found = {}
        for model in (Problem, Enterprise, ProblemUpdate, EnterpriseGroup):
            columns = [c for c in model.__table__.columns if c.name not in skip]
            found[model.__tablename__] = sorted(tuple(map(str, row)) for row in db.session.execute(select(*columns)).all())
        found["problem_co_unit"] = sorted(db.session.execute(select(problem_co_unit)).all())
        db.session.rollback()
        return found


def test_an_import_is_recorded_with_its_file_and_undone_to_the_exact_state_before(seeded, firms, login_as, tmp_path):
    from models import AuditLog, ImportBatch

    office = login_as("coordinator", "office")
    with seeded.app_context():  # a problem the second file updates (and moves to 已交办) and an enterprise it names
        firm = db.session.get(Enterprise, firms["湖南金龙新材料有限公司"])
        old = Problem(campaign=miluo(), enterprise=firm, description="原有问题", remark="原备注", collected_by_body=named(Body, GROUP))
        db.session.add(old)
        db.session.commit()
        number = old.number
    before = everything(seeded)
    token = csrf_token(office.get("/admin/import/").text)
    choices = {"enterprise": {TYPO: firms["湖南金龙新材料有限公司"]}, "new": {NEW_FIRM: NEW_FIRM_CODE}}
    with seeded.app_context():
        from models import User
        user = db.session.scalar(select(User).where(User.username == "office"))
        result = import_problems(fixture("problems.ods"), miluo(), user, choices=choices, file_name="循环园问题.ods")
        assert result.written and result.batch is not None
        user_id, first_batch = user.id, result.batch.id
    book = Workbook()
    book.active.append(["问题编号", "备注", "办理状态", "责任单位", "责任人", "办理时限"])
    with seeded.app_context():
        from tests.factories import staff_of
        person = staff_of("市发改局").name
    book.active.append([number, "导入改的备注", "已交办", "市发改局", person, "2099-12-31"])
    out = io.BytesIO()
    book.save(out)
    with seeded.app_context():
        second = import_problems(out.getvalue(), miluo(), db.session.get(User, user_id), file_name="更新.xlsx")
        assert not second.errors, second.errors
        batch_ids = (first_batch, second.batch.id)
        first = db.session.get(ImportBatch, batch_ids[0])
        assert (first.kind, first.file_name, first.created_count, first.updated_count) == ("problems", "循环园问题.ods", 6, 0)
        assert first.file.data == fixture("problems.ods") and len(first.checksum) == 64
        assert {r.table_name for r in first.rows} == {"problem", "enterprise"}  # the new enterprise too
    page = office.get("/admin/import/").text
    assert "导入记录" in page and "循环园问题.ods" in page and "更新.xlsx" in page
    kept = office.get(f"/admin/import/file?batch={batch_ids[0]}")
    assert kept.status_code == 200 and kept.data == fixture("problems.ods")
    # the later batch first: undoing the first one now would undo rows... it did not touch; both are independent
    done = office.post("/admin/import/undo", data={"csrf_token": token, "batch": batch_ids[1]}, follow_redirects=True).text
    assert "已撤销" in done
    done = office.post("/admin/import/undo", data={"csrf_token": token, "batch": batch_ids[0]}, follow_redirects=True).text
    assert "已撤销" in done and "删除新增的6条" in done
    assert everything(seeded) == before
    with seeded.app_context():
        assert db.session.scalar(select(Enterprise.id).where(Enterprise.name == NEW_FIRM)) is None
        assert db.session.get(ImportBatch, batch_ids[0]).undone_at is not None
        deleted = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "problem", AuditLog.action == "delete")).all()
        assert len(deleted) == 6  # the undo is in the audit trail, row by row
    again = office.post("/admin/import/undo", data={"csrf_token": token, "batch": batch_ids[0]}, follow_redirects=True)
    assert again.status_code == 200 and "未能撤销：该批导入已于" in again.text  # undone once (a second click is told)


def test_an_import_whose_rows_changed_since_cannot_be_undone(seeded, firms, login_as):
    from models import ImportBatch, workflow

    office = login_as("coordinator", "office")
    token = csrf_token(office.get("/admin/import/").text)
    with seeded.app_context():
        result = import_enterprises(fixture("enterprises.xlsx"), miluo(), CommandLineUser(), file_name="企业.xlsx")
        batch_id = result.batch.id
        firm = db.session.scalar(select(Enterprise).where(Enterprise.name == "汨罗市星光包装有限公司"))
        firm.contact = "后来改的联系人"
        db.session.commit()
    page = office.post("/admin/import/undo", data={"csrf_token": token, "batch": batch_id}, follow_redirects=True).text
    assert "未能撤销：导入后企业“汨罗市星光包装有限公司”又被修改过" in page
    with seeded.app_context():
        assert db.session.get(ImportBatch, batch_id).undone_at is None
        assert db.session.scalar(select(Enterprise.contact).where(Enterprise.name == "汨罗市星光包装有限公司")) == "后来改的联系人"


def test_others_cannot_see_or_undo_a_batch_and_a_dry_run_records_nothing(seeded, firms, login_as):
    from models import ImportBatch

    with seeded.app_context():
        import_enterprises(fixture("enterprises.xls"), miluo(), CommandLineUser(), dry_run=True)
        assert db.session.scalar(select(func.count(ImportBatch.id))) == 0
        result = import_enterprises(fixture("enterprises.xls"), miluo(), CommandLineUser(), file_name="企业.xls")
        batch_id = result.batch.id
    group = login_as("group")
    token = csrf_token(group.get("/admin/import/").text)
    assert "企业.xls" not in group.get("/admin/import/").text
    assert group.post("/admin/import/undo", data={"csrf_token": token, "batch": batch_id}).status_code == 404
    assert group.get(f"/admin/import/file?batch={batch_id}").status_code == 404
    assert login_as("handler").get(f"/admin/import/file?batch={batch_id}").status_code in (403, 404)


def test_a_working_groups_template_lists_its_enterprises_and_comes_back_in(seeded, firms, login_as):
    from openpyxl import load_workbook
    from models import EnterpriseGroup

    with seeded.app_context():
        group = named(Body, GROUP)
        for firm_id in firms.values():
            db.session.add(EnterpriseGroup(enterprise_id=firm_id, body_id=group.id))
        db.session.commit()
    client = login_as("group")
    page = client.get("/admin/import/").text
    assert "填报模板" in page and "已预填本组联点企业" in page
    response = client.get("/admin/import/template?kind=problems&format=xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    sheet = book["填报"]
    assert "填报模板" in sheet["A1"].value and [c.value for c in sheet[3]][:3] == ["序号", "企业名称", "所在镇（园区）"]
    listed = {sheet.cell(r, 2).value: r for r in range(4, sheet.max_row + 1) if sheet.cell(r, 2).value}
    assert set(listed) >= {name for name, _ in FIRMS} and sheet.cell(listed["湖南金龙新材料有限公司"], 7).value == GROUP
    assert any("资金" in (v.formula1 or "") for v in sheet.data_validations.dataValidation)  # the 问题类型 dropdown
    assert "填表说明" in book.sheetnames
    row = listed["湖南金龙新材料有限公司"]
    sheet.cell(row, 5).value = "蒸汽管网压力不足"
    sheet.cell(row, 8).value = "2024年9月25日"
    out = io.BytesIO()
    book.save(out)
    token = csrf_token(page)
    preview = client.post("/admin/import/", data={"csrf_token": token, "kind": "problems",
                                                  "file": (io.BytesIO(out.getvalue()), "模板.xlsx")},
                          content_type="multipart/form-data").text
    assert "预检通过：将新增1条" in preview and "只有模板预填的企业，没有填写问题" in preview
    pending = preview.split('name="token" value="')[1].split('"')[0]
    assert "导入通过：已新增1条" in client.post("/admin/import/confirm", data={"csrf_token": token, "token": pending}).text
    with seeded.app_context():
        problem = db.session.scalar(select(Problem).where(Problem.description == "蒸汽管网压力不足"))
        assert (problem.enterprise.name, problem.collected_by_body.name, problem.collected_on) == (
            "湖南金龙新材料有限公司", GROUP, date(2024, 9, 25))


@pytest.mark.parametrize("kind", ["problems", "enterprises"])
def test_the_xls_templates_are_read_back_and_open_in_libreoffice(seeded, firms, login_as, tmp_path, kind):
    import shutil
    import subprocess

    response = login_as("coordinator", "office").get(f"/admin/import/template?kind={kind}&format=xls")
    assert response.status_code == 200 and response.data.startswith(b"\xd0\xcf\x11\xe0")
    with seeded.app_context():
        run = import_problems if kind == "problems" else import_enterprises
        result = run(response.data, miluo(), CommandLineUser(), dry_run=True)
        assert not result.errors and result.sheet.kind == "xls" and result.sheet.header_row == 3
        assert not result.outcomes  # a blank form changes nothing
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice 未安装：只检查了本系统能读回 .xls 模板")
    path = tmp_path / f"{kind}.xls"
    path.write_bytes(response.data)
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "xlsx",
                    "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, timeout=180)
    from openpyxl import load_workbook
    opened = load_workbook(tmp_path / f"{kind}.xlsx")  # what LibreOffice made of it, saved again
    sheet = opened["填报"]
    assert "填报模板" in sheet["A1"].value and "企业名称" in [c.value for c in sheet[3]]
    assert "A1:" in str(sheet.merged_cells) and "填表说明" in opened.sheetnames


@pytest.mark.parametrize("role", ["admin", "coordinator", "group", "handler", "leader"])
def test_the_import_pages_refuse_bad_input_without_an_error_page(seeded, login_as, role):
    client = login_as(role)
    page = client.get("/admin/import/")
    token = csrf_token(page.text) if page.status_code == 200 else ""
    for url in ("/admin/import/file?batch=abc", "/admin/import/file?batch=99999999999", "/admin/import/file",
                "/admin/import/template?kind=x", "/admin/import/template?kind=problems&format=pdf",
                "/admin/import/template?kind=problems&format=xls&campaign=%00"):
        assert client.get(url).status_code < 500, url
    for url, data in (("/admin/import/undo", {"batch": "x"}), ("/admin/import/undo", {}),
                      ("/admin/import/choose", {"token": "not-a-token", "name-enterprise-0": "甲", "choice-enterprise-0": "1"}),
                      ("/admin/import/confirm", {"token": "00000000000000000000000000000000"})):
        assert client.post(url, data={"csrf_token": token, **data}).status_code < 500, url
