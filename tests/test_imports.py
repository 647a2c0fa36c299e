"""Imports of 附件2 and of the enterprise list: round trips change nothing, offline edits come back in, every bad
row is named with its row and column, nothing is half-written, files that are not workbooks are refused, and
every import stays within the importer's scope."""
from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from exports.problems import HEADERS
from imports import CommandLineUser
from imports.enterprises import import_enterprises
from imports.problems import import_problems
from imports.workbook import MAX_ROWS, ImportFailure
from models import AuditLog, Enterprise, Problem, User, db, workflow
from tests.conftest import csrf_token, make_user
from tests.factories import VALID_CREDIT_CODE, miluo, scoped_world

MILUO = "汨罗市“两重”“两新”送解优专项行动"
COL = {h: i for i, h in enumerate(HEADERS, start=1)}


@pytest.fixture
def world(seeded):
    with seeded.app_context():
        return scoped_world()


def annex2(app, tmp_path, name="p.xlsx") -> bytes:
    out = tmp_path / name
    result = app.test_cli_runner().invoke(args=["export", "problems", "--out", str(out), "--campaign", MILUO])
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def edited(data: bytes, changes) -> bytes:
    """The workbook with `changes(ws)` applied, as someone would fill it in offline."""
    book = load_workbook(io.BytesIO(data))
    changes(book.active)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row_of(ws, number: str) -> int:
    return next(r for r in range(4, ws.max_row + 1) if ws.cell(r, COL["问题编号"]).value == number)


def state(app):
    with app.app_context():
        return (db.session.scalar(select(func.count(AuditLog.id))),
                sorted((p.number, p.version, p.status) for p in db.session.scalars(select(Problem))))


def run(app, data, user=None, dry_run=False):
    with app.app_context():
        return import_problems(data, miluo(), user or CommandLineUser(), dry_run=dry_run)


def test_export_then_import_changes_nothing(seeded, world, tmp_path):
    data = annex2(seeded, tmp_path)
    before = state(seeded)
    result = run(seeded, data)
    assert not result.errors and result.count("不变") == 4 and result.written
    assert state(seeded) == before


def test_an_offline_edit_comes_back_in(seeded, world, tmp_path):
    data = annex2(seeded, tmp_path)
    with seeded.app_context():
        numbers = {k: db.session.get(Problem, world[k][1]).number for k in ("PA", "PB", "PB2")}
    deadline = workflow.today() + timedelta(days=20)

    def fill(ws):
        r = row_of(ws, numbers["PA"])
        ws.cell(r, COL["企业诉求"]).value = "希望尽快解决用电问题"
        r = row_of(ws, numbers["PB"])  # 待交办 → 已交办, with what 交办 needs
        ws.cell(r, COL["办理状态"]).value = "已交办"
        ws.cell(r, COL["责任单位"]).value = "市发改局"
        ws.cell(r, COL["协办单位"]).value = ""
        ws.cell(r, COL["责任人"]).value = "周雄伟"
        ws.cell(r, COL["办理时限"]).value = deadline.isoformat()
        new = ws.max_row + 1  # a new problem, found on a visit
        for header, value in (("企业名称", "甲企业（合成）"), ("问题类型", "用工"), ("问题描述", "技术工人招聘难"),
                              ("收集工作组", "工作组（循环园）"), ("收集时间", "2024年9月20日")):
            ws.cell(new, COL[header]).value = value

    result = run(seeded, edited(data, fill))
    assert not result.errors, [str(e) for e in result.errors]
    assert (result.count("新增"), result.count("更新"), result.count("不变")) == (1, 2, 2)
    with seeded.app_context():
        pa, pb = (db.session.get(Problem, world[k][1]) for k in ("PA", "PB"))
        assert pa.demand == "希望尽快解决用电问题"
        assert (pb.status, pb.responsible_unit.name, pb.lead_person.name, pb.deadline) == ("已交办", "市发改局", "周雄伟", deadline)
        assert pb.updates[-1].action == "交办"
        new = db.session.scalar(select(Problem).where(Problem.description == "技术工人招聘难"))
        assert (new.number, new.status, new.collected_on.isoformat()) == ("SJY-2024-0005", "待交办", "2024-09-20")
        assert db.session.scalar(select(AuditLog).where(AuditLog.table_name == "problem", AuditLog.row_id == str(new.id))).username.startswith("命令行")


def test_every_bad_row_is_named_and_nothing_is_written(seeded, world, tmp_path):
    data = annex2(seeded, tmp_path)
    with seeded.app_context():
        numbers = {k: db.session.get(Problem, world[k][1]).number for k in ("PA", "PA2", "PB")}

    def spoil(ws):
        ws.cell(row_of(ws, numbers["PA"]), COL["企业诉求"]).value = "这一行本身没有问题"
        ws.cell(row_of(ws, numbers["PA2"]), COL["办理状态"]).value = "已销号"  # 已交办 → 已销号: a jump
        r = row_of(ws, numbers["PB"])
        ws.cell(r, COL["收集时间"]).value = "九月二十日"
        ws.cell(r, COL["问题类型"]).value = "吃饭"
        new = ws.max_row + 1
        ws.cell(new, COL["问题描述"]).value = "新问题"
        ws.cell(new, COL["收集工作组"]).value = "第九工作组"
        ws.cell(new, COL["责任单位"]).value = "市宇航局"
        ws.cell(new + 1, COL["问题编号"]).value = "SJY-2024-9999"
        ws.cell(new + 1, COL["问题描述"]).value = "编号不存在"
        ws.cell(new + 2, COL["企业名称"]).value = "只有企业没有描述"

    before = state(seeded)
    result = run(seeded, edited(data, spoil))
    messages = [str(e) for e in result.errors]
    expected = [
        "第{r}行第9列（收集时间）：无法识别的日期“九月二十日”，请写成 2024-09-08 的形式",
        "第{r}行第5列（问题类型）：“吃饭”不是本专项行动的问题类型",
        "第8行第8列（收集工作组）：工作组“第九工作组”不存在（或您无权使用）",
        "第8行第10列（责任单位）：单位“市宇航局”不存在（或您无权使用）",
        "第10行第6列（问题描述）：不能为空",
    ]
    exported = load_workbook(io.BytesIO(data)).active
    pb_row = row_of(exported, numbers["PB"])
    for message in expected:
        assert any(m.startswith(message.format(r=pb_row)) for m in messages), (message, messages)
    assert not result.written and state(seeded) == before
    # once the cells are right, the remaining refusals are the workflow's
    second = run(seeded, edited(data, lambda ws: setattr(ws.cell(row_of(ws, numbers["PA2"]), COL["办理状态"]), "value", "已销号")))
    assert [str(e) for e in second.errors] == [
        f"第{row_of(exported, numbers['PA2'])}行第16列（办理状态）：办理状态不能从“已交办”直接改为“已销号”：销号是推进办对"
        "责任单位办结结果的核实，须先改为“已办结”导入，核实后再改为“已销号”。"]
    unknown = run(seeded, edited(data, lambda ws: ws.cell(row_of(ws, numbers["PA"]), COL["问题编号"]).__setattr__("value", "SJY-2024-9999")))
    assert "问题编号“SJY-2024-9999”不存在" in str(unknown.errors[0])
    assert state(seeded) == before


def test_dry_run_writes_nothing(seeded, world, tmp_path):
    data = edited(annex2(seeded, tmp_path), lambda ws: ws.cell(4, COL["备注"]).__setattr__("value", "预检时改的备注"))
    before = state(seeded)
    result = run(seeded, data, dry_run=True)
    assert not result.errors and result.count("更新") == 1 and not result.written
    assert "预检通过：将新增0条、更新1条" in result.summary()
    assert state(seeded) == before


@pytest.mark.parametrize("content, message", [
    (b"", "文件是空的"),
    (b"problem,number\n1,2\n", "这是文本文件（如 CSV）"),
    ("序号,问题编号".encode("gbk"), "这是文本文件（如 CSV）"),
    (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "这不是能导入的表格文件"),
])
def test_files_that_are_not_workbooks_are_refused(seeded, content, message):
    with pytest.raises(ImportFailure, match=message):
        run(seeded, content)


def test_damaged_wrong_headers_and_oversized_files(seeded, world, tmp_path):
    data = annex2(seeded, tmp_path)
    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(ImportFailure, match="文件已损坏"):
        run(seeded, damaged.getvalue())
    with pytest.raises(ImportFailure, match="文件已损坏"):
        run(seeded, data[: len(data) // 2])
    def no_header(ws):
        for column in range(1, len(COL) + 1):
            ws.cell(3, column).value = f"第{column}栏"

    with pytest.raises(ImportFailure, match="没有找到附件2问题清单的表头"):
        run(seeded, edited(data, no_header))
    with pytest.raises(ImportFailure, match="文件过大"):
        run(seeded, data + b"\0" * (11 * 1024 * 1024))

    def many(ws):
        for r in range(4, 4 + MAX_ROWS + 2):
            ws.cell(r, COL["问题描述"]).value = "x"

    with pytest.raises(ImportFailure, match=f"数据行超过{MAX_ROWS}行"):
        run(seeded, edited(data, many))


def test_group_imports_only_within_its_scope(seeded, world, tmp_path):
    make_user(seeded, "g", "group")
    data = annex2(seeded, tmp_path)
    with seeded.app_context():
        group = db.session.scalar(select(User).where(User.username == "g"))
        numbers = {k: db.session.get(Problem, world[k][1]).number for k in ("PA", "PB")}

        def other_groups(ws):
            ws.cell(row_of(ws, numbers["PB"]), COL["企业诉求"]).value = "改别组的问题"

        result = import_problems(edited(data, other_groups), miluo(), group)
        pb_row = row_of(load_workbook(io.BytesIO(data)).active, numbers["PB"])
        assert {e.row for e in result.errors} >= {pb_row} and not result.written  # it cannot even name that row's enterprise

        def only_that_row(ws):
            ws.delete_rows(4, ws.max_row)
            ws.cell(4, COL["问题编号"]).value = numbers["PB"]
            ws.cell(4, COL["问题描述"]).value = "改别组的问题"

        result = import_problems(edited(data, only_that_row), miluo(), group)
        assert f"问题编号“{numbers['PB']}”不存在（或您无权查看）" in str(result.errors[0])

        def file_for_another_group(ws):
            ws.delete_rows(4, ws.max_row)
            ws.cell(4, COL["问题描述"]).value = "冒名录入"
            ws.cell(4, COL["收集工作组"]).value = "工作组（配套园）"

        result = import_problems(edited(data, file_for_another_group), miluo(), group)
        assert "工作组“工作组（配套园）”不存在（或您无权使用）" in str(result.errors[0])

        def own(ws):
            ws.delete_rows(4, ws.max_row)
            ws.cell(4, COL["问题描述"]).value = "本组录入"
            ws.cell(4, COL["收集工作组"]).value = "工作组（循环园）"
            ws.cell(4, COL["企业名称"]).value = "甲企业（合成）"

        result = import_problems(edited(data, own), miluo(), group)
        assert not result.errors and result.written
        assert db.session.scalar(select(Problem).where(Problem.description == "本组录入")).collected_by_body.name == "工作组（循环园）"

        def no_group(ws):
            ws.delete_rows(4, ws.max_row)
            ws.cell(4, COL["问题描述"]).value = "没有填收集工作组"

        result = import_problems(edited(data, no_group), miluo(), group)
        assert "不在您的权限范围内" in str(result.errors[0])
        assert db.session.scalar(select(func.count()).select_from(Problem).where(Problem.description == "没有填收集工作组")) == 0


def test_import_command_line(seeded, world, tmp_path):
    data = annex2(seeded, tmp_path)
    good = tmp_path / "good.xlsx"
    good.write_bytes(edited(data, lambda ws: ws.cell(4, COL["备注"]).__setattr__("value", "命令行导入")))
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(edited(data, lambda ws: ws.cell(4, COL["收集时间"]).__setattr__("value", "昨天")))
    runner = seeded.test_cli_runner()
    result = runner.invoke(args=["import", "problems", str(good), "--campaign", MILUO, "--dry-run"])
    assert result.exit_code == 0 and "预检通过：将新增0条、更新1条" in result.output
    result = runner.invoke(args=["import", "problems", str(bad), "--campaign", MILUO])
    assert result.exit_code == 1 and "第4行第9列（收集时间）：无法识别的日期“昨天”" in result.output
    result = runner.invoke(args=["import", "problems", str(good), "--campaign", MILUO])
    assert result.exit_code == 0 and "导入通过：已新增0条、更新1条" in result.output
    for args, message in ((["import", "people", str(good)], "不认识的导入类型"),
                          (["import", "problems", str(tmp_path / "none.xlsx")], "找不到文件"),
                          (["import", "problems", str(tmp_path)], "找不到文件")):
        result = runner.invoke(args=args)
        assert result.exit_code == 1 and message in result.output


def test_upload_preview_and_confirm_in_the_panel(seeded, world, login_as, tmp_path):
    office = login_as("coordinator", "office")
    data = edited(annex2(seeded, tmp_path), lambda ws: ws.cell(4, COL["备注"]).__setattr__("value", "上传导入"))
    token = csrf_token(office.get("/admin/import/").text)
    preview = office.post("/admin/import/", data={"csrf_token": token, "kind": "problems",
                                                  "file": (io.BytesIO(data), "问题清单.xlsx")}, content_type="multipart/form-data")
    assert preview.status_code == 200 and "预检通过：将新增0条、更新1条" in preview.text and "确认导入" in preview.text
    with seeded.app_context():
        assert db.session.scalar(select(func.count()).select_from(Problem).where(Problem.remark == "上传导入")) == 0
    pending = preview.text.split('name="token" value="')[1].split('"')[0]
    other = login_as("coordinator", "office")  # the same account, logged in elsewhere
    assert "导入已过期或不存在" in other.post("/admin/import/confirm", data={"csrf_token": csrf_token(other.get("/admin/import/").text),
                                                                          "token": pending}, follow_redirects=True).text
    done = office.post("/admin/import/confirm", data={"csrf_token": token, "token": pending})
    assert "导入通过：已新增0条、更新1条" in done.text
    with seeded.app_context():
        assert db.session.scalar(select(func.count()).select_from(Problem).where(Problem.remark == "上传导入")) == 1
        assert db.session.scalar(select(AuditLog).where(AuditLog.username == "office", AuditLog.table_name == "problem")) is not None
    again = office.post("/admin/import/confirm", data={"csrf_token": token, "token": pending}, follow_redirects=True)
    assert "导入已过期或不存在" in again.text
    bad = office.post("/admin/import/", data={"csrf_token": token, "kind": "problems", "file": (io.BytesIO(b"not excel"), "x.xlsx")},
                      content_type="multipart/form-data", follow_redirects=True)
    assert "这是文本文件（如 CSV），不是能导入的表格文件" in bad.text
    handler = login_as("handler")
    assert handler.get("/admin/import/").status_code == 403


def test_enterprise_list_round_trip_and_errors(seeded, world, login_as, tmp_path):
    out = tmp_path / "e.xlsx"
    office = login_as("coordinator")
    out.write_bytes(office.get("/admin/reports/download", query_string={"kind": "enterprises"}).data)
    data = out.read_bytes()
    with seeded.app_context():
        result = import_enterprises(data, miluo(), CommandLineUser())
        assert not result.errors and result.count("不变") == 2

        def fill(ws):
            ws.cell(6, 1).value = "丙企业（合成）"
            ws.cell(6, 2).value = VALID_CREDIT_CODE
            ws.cell(6, 4).value = "是"
            ws.cell(6, 6).value = "循环园"
            ws.cell(6, 9).value = "工作组（循环园）、工作组（配套园）"
            ws.cell(7, 1).value = "丁企业（合成）"
            ws.cell(7, 2).value = "91110000600037341M"
            ws.cell(7, 3).value = "私营"

        result = import_enterprises(edited(data, fill), miluo(), CommandLineUser())
        assert [str(e) for e in result.errors] == [
            "第7行第2列（统一社会信用代码）：统一社会信用代码校验位错误：第18位应为“L”",
            "第7行第3列（所有制）：“私营”不是本专项行动的所有制（可选：民营、国有、外资、港澳台资、集体、混合所有制、其他；可在下方指定它是哪一个）",
        ]
        assert db.session.scalar(select(Enterprise).where(Enterprise.name == "丙企业（合成）")) is None
        result = import_enterprises(edited(data, lambda ws: [ws.cell(6, c).__setattr__("value", v) for c, v in
                                                             ((1, "丙企业（合成）"), (2, VALID_CREDIT_CODE), (4, "是"),
                                                              (9, "工作组（循环园）、工作组（配套园）"))]), miluo(), CommandLineUser())
        assert not result.errors and result.count("新增") == 1
        firm = db.session.scalar(select(Enterprise).where(Enterprise.name == "丙企业（合成）"))
        assert firm.above_scale and sorted(link.body.name for link in firm.groups) == ["工作组（循环园）", "工作组（配套园）"]


def office_user(app, name="coordinator"):
    """The 推进办's account (made once), fetched in the current app context."""
    with app.app_context():
        exists = db.session.scalar(select(User.id).where(User.username == name))
    if exists is None:
        make_user(app, name, "coordinator")
    return db.session.scalar(select(User).where(User.username == name))


def test_a_reimported_sheet_applies_changed_progress_and_status_as_proxy_steps_and_undoes(seeded, world, tmp_path):
    """A unit that answers in Excel: a changed 办理进展 is its 报告进展, a changed 办理状态 the steps that lead there, each
    entered by the 推进办 on its behalf (代录·Excel) and shown in the preview; undoing the batch takes them back."""
    from models.batches import undo
    from models import ImportBatch

    data = annex2(seeded, tmp_path)
    with seeded.app_context():
        office = office_user(seeded)
        pa2 = db.session.get(Problem, world["PA2"][1])  # 已交办 to 市发改局
        pb = db.session.get(Problem, world["PB"][1])
        pb.responsible_unit = None
        workflow.assign(pb, office, responsible_unit=pa2.responsible_unit, deadline=workflow.today() + timedelta(days=10), lead_person=staff_of_unit(pa2.responsible_unit))
        workflow.on_behalf("accept", pb, office, "电话")
        db.session.commit()
        numbers = {k: db.session.get(Problem, world[k][1]).number for k in ("PA2", "PB")}
        before = {k: (p.status, p.version, len(p.updates)) for k, p in (("PA2", pa2), ("PB", pb))}
    data = annex2(seeded, tmp_path, "again.xlsx")

    def answer(ws):
        r = row_of(ws, numbers["PA2"])
        ws.cell(r, COL["办理状态"]).value = "已办结"
        ws.cell(r, COL["办理进展"]).value = "已协调供电公司完成增容"
        ws.cell(row_of(ws, numbers["PB"]), COL["办理进展"]).value = "已完成选址，正在报批"

    with seeded.app_context():
        office = office_user(seeded)
        preview = import_problems(edited(data, answer), miluo(), office, dry_run=True)
        assert not preview.errors, [str(e) for e in preview.errors]
        actions = {o.number: o.action for o in preview.outcomes}
        assert actions[numbers["PA2"]] == "更新（签收 → 申请办结；推进办代录·Excel，代市发改局）"
        assert actions[numbers["PB"]] == "更新（报告进展；推进办代录·Excel，代市发改局）"
        result = import_problems(edited(data, answer), miluo(), office, file_name="answers.xlsx")
        assert result.written and not result.errors
        pa2, pb = (db.session.get(Problem, world[k][1]) for k in ("PA2", "PB"))
        assert pa2.status == "已办结" and pa2.resolution == "已协调供电公司完成增容"
        assert [u.heading for u in pa2.updates[-2:]] == ["签收（推进办代录·Excel，代市发改局）",
                                                          "申请办结（推进办代录·Excel，代市发改局）"]
        assert pb.updates[-1].heading == "报告进展（推进办代录·Excel，代市发改局）"
        assert pb.updates[-1].note == "已完成选址，正在报批" and pb.status == "办理中"
        batch = db.session.get(ImportBatch, result.batch.id)
        undo(batch, office)
        db.session.commit()
        pa2, pb = (db.session.get(Problem, world[k][1]) for k in ("PA2", "PB"))
        assert (pa2.status, len(pa2.updates)) == (before["PA2"][0], before["PA2"][2])
        assert (pb.status, len(pb.updates)) == (before["PB"][0], before["PB"][2])


def staff_of_unit(unit):
    from tests.factories import staff_of
    return staff_of(unit.name)


@pytest.mark.parametrize("status, message", [
    ("已交办", "办理状态不能从“办理中”直接改为“已交办”，请逐步办理。"),
    ("已销号", "办理状态不能从“办理中”直接改为“已销号”：销号是推进办对责任单位办结结果的核实"),
])
def test_a_status_the_workflow_cannot_reach_is_refused_in_the_preview(seeded, world, tmp_path, status, message):
    with seeded.app_context():
        office = office_user(seeded)
        pa2 = db.session.get(Problem, world["PA2"][1])
        workflow.on_behalf("accept", pa2, office, "电话")
        db.session.commit()
        number = pa2.number
    data = edited(annex2(seeded, tmp_path), lambda ws: setattr(ws.cell(row_of(ws, number), COL["办理状态"]), "value", status))
    before = state(seeded)
    with seeded.app_context():
        result = import_problems(data, miluo(), office_user(seeded), dry_run=True)
    assert len(result.errors) == 1 and message in str(result.errors[0]) and "（办理状态）" in str(result.errors[0])
    assert state(seeded) == before


def test_a_working_group_cannot_bring_in_a_units_progress(seeded, world, tmp_path):
    """代录 is the 推进办's: a working group's sheet with a changed 办理进展 is refused on that cell, with the reason."""
    make_user(seeded, "group", "group")
    with seeded.app_context():
        number = db.session.get(Problem, world["PA2"][1]).number
    def only_its_row(ws):
        ws.cell(row_of(ws, number), COL["办理进展"]).value = "已办"
        for r in range(ws.max_row, 3, -1):
            if ws.cell(r, COL["问题编号"]).value != number:
                ws.delete_rows(r)

    data = edited(annex2(seeded, tmp_path), only_its_row)
    with seeded.app_context():
        group = db.session.scalar(select(User).where(User.username == "group"))
        result = import_problems(data, miluo(), group, dry_run=True)
    assert [e.header for e in result.errors] == ["办理进展"] and "不能" in result.errors[0].message


def office_sheet(rows, headers=("企业名称", "所在乡镇", "问题类型", "问题描述", "牵头单位", "收集工作组", "办理时限")) -> bytes:
    """A hand-made office sheet: a title, then the office's own headers and rows (not the panel's template)."""
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.append(["全市企业问题汇总表"])
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, data: bytes, name: str) -> tuple[str, str]:
    """Upload `data` as a 附件2 file on the import page: the form's CSRF token and the preview page."""
    token = csrf_token(client.get("/admin/import/").text)
    page = client.post("/admin/import/", data={"csrf_token": token, "kind": "problems", "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data").text
    return token, page


def choices_of(page: str) -> dict:
    """The preview's mapping form: each name-K-N field with the name it asks about."""
    import re
    return dict(re.findall(r'name="(name-[^"]+)" value="([^"]+)"', page))


def test_an_office_sheet_goes_in_one_pass(seeded, world, login_as):
    """One upload: an unknown 问题类型 is added, an unknown firm created with its 所在乡镇 mapped to a town, a row naming
    only its 牵头单位 is assigned to it on confirmation, and the result lists the new numbers with links."""
    import re
    from models import Term, Unit
    from models.terms import Vocabulary
    from tests.factories import named

    office = login_as("coordinator")
    deadline = (workflow.today() + timedelta(days=15)).isoformat()
    data = office_sheet([
        ("甲企业（合成）", None, "融资", "流动资金贷款难", "市发改局", "工作组（循环园）", deadline),
        ("丙企业（合成）", "循环园区管委", "用工", "缺少熟练焊工", None, "工作组（循环园）", None),
    ])
    token, page = upload(office, data, "汇总表.xls")
    asked = choices_of(page)
    assert set(asked.values()) == {"融资", "丙企业（合成）", "循环园区管委"}, asked
    assert "新增问题类型“融资”" in page and "新建企业“丙企业（合成）”" in page
    with seeded.app_context():
        park = named(Unit, "循环园").id
    key = {v: k.split("-", 1)[1] for k, v in asked.items()}
    pending = page.split('name="token" value="')[1].split('"')[0]
    choose = {"csrf_token": token, "token": pending, **asked, f"choice-{key['融资']}": "new",
              f"choice-{key['丙企业（合成）']}": "new", f"choice-{key['循环园区管委']}": str(park)}
    preview = office.post("/admin/import/choose", data=choose).text
    assert "预检通过：将新增2条" in preview, re.findall(r"第\d+行[^<]*", preview)
    assert "新增并交办（确认时勾选）" in preview and "交办给市发改局：责任人" in preview and 'id="assign-named"' in preview
    done = office.post("/admin/import/confirm", data={"csrf_token": token, "token": pending, "assign_named": "1"}).text
    assert "导入通过：已新增2条" in done and 'id="import-new-numbers"' in done
    with seeded.app_context():
        loan = db.session.scalar(select(Problem).where(Problem.description == "流动资金贷款难"))
        welders = db.session.scalar(select(Problem).where(Problem.description == "缺少熟练焊工"))
        assert (loan.category, loan.status, loan.responsible_unit.name) == ("融资", "已交办", "市发改局")
        assert loan.deadline.isoformat() == deadline and loan.lead_person.unit_id == loan.responsible_unit_id
        assert (welders.status, welders.enterprise.town.name) == ("待交办", "循环园")
        assert db.session.scalar(select(Term.id).where(Term.vocabulary == Vocabulary.CATEGORY, Term.value == "融资"))
        for problem in (loan, welders):
            assert f'<a href="/admin/problem/details/?id={problem.id}">{problem.number}</a>' in done


def test_a_named_unit_left_unconfirmed_stays_unassigned(seeded, world, login_as):
    office = login_as("coordinator")
    data = office_sheet([("甲企业（合成）", None, "用工", "招工难", "市发改局", "工作组（循环园）", None)],
                        headers=("企业名称", "所在乡镇", "问题类型", "问题描述", "牵头单位", "收集工作组", "备注"))
    token, page = upload(office, data, "汇总表.xlsx")
    pending = page.split('name="token" value="')[1].split('"')[0]
    assert "不能交办：作为待交办录入（牵头单位“市发改局”）" in page  # no 办理时限 anywhere: said, not refused
    done = office.post("/admin/import/confirm", data={"csrf_token": token, "token": pending}).text
    assert "导入通过：已新增1条" in done
    with seeded.app_context():
        problem = db.session.scalar(select(Problem).where(Problem.description == "招工难"))
        assert problem.status == "待交办" and problem.deadline is None


def test_a_category_mapped_to_an_existing_term_and_a_group_may_not_add_one(seeded, world):
    make_user(seeded, "group", "group")
    data = office_sheet([("甲企业（合成）", None, "融资", "贷款难", None, "工作组（循环园）", None)])
    with seeded.app_context():
        group = db.session.scalar(select(User).where(User.username == "group"))
        first = import_problems(data, miluo(), group, dry_run=True)
        assert first.unknown == {"问题类型": first.unknown["问题类型"]} and "资金" in [o.name for o in first.unknown["问题类型"]["融资"]]
        mapped = import_problems(data, miluo(), group, choices={"terms": {"问题类型": {"融资": "资金"}}})
        assert mapped.written and not mapped.errors
        assert db.session.scalar(select(Problem.category).where(Problem.description == "贷款难")) == "资金"
        refused = import_problems(data, miluo(), group, dry_run=True, choices={"terms": {"问题类型": {"融资": "new"}}})
        assert any("只有推进办或系统管理员可以新增问题类型“融资”" in e.message for e in refused.errors)


def test_unchanged_rows_fold_into_one_line(seeded, world, tmp_path, login_as):
    office = login_as("coordinator")
    data = edited(annex2(seeded, tmp_path), lambda ws: setattr(ws.cell(4, COL["备注"]), "value", "改了一处备注"))
    token, page = upload(office, data, "附件2.xlsx")
    table = page.split('id="import-preview"')[1].split("</table>")[0]
    assert table.count('class="table-info"') == 1 and "3 行未变" in table and ">不变<" not in table


def test_the_enterprise_list_reads_its_town_among_the_campaigns_towns(seeded, world):
    """所在镇（园区） of an enterprise list is one of the campaign's towns and parks: a department is not a town."""
    from imports.enterprises import import_enterprises
    from openpyxl import Workbook
    from models import Unit
    from tests.factories import named

    book = Workbook()
    ws = book.active
    ws.append(["企业名称", "所在乡镇"])  # an office's name for the column
    ws.append(["丁企业（合成）", "循环园"])
    ws.append(["戊企业（合成）", "市发改局"])
    out = io.BytesIO()
    book.save(out)
    with seeded.app_context():
        result = import_enterprises(out.getvalue(), miluo(), CommandLineUser(), dry_run=True)
        assert [e.row for e in result.errors] == [3] and "市发改局" in result.errors[0].message
        assert "town" in result.unknown and "市发改局" in result.unknown["town"]
        mapped = import_enterprises(out.getvalue(), miluo(), CommandLineUser(),
                                    choices={"town": {"市发改局": named(Unit, "配套园").id}})
        assert mapped.written and not mapped.errors
        towns = dict(db.session.execute(select(Enterprise.name, Unit.name).join(Unit, Enterprise.town_id == Unit.id)
                                        .where(Enterprise.name.in_(["丁企业（合成）", "戊企业（合成）"]))).all())
        assert towns == {"丁企业（合成）": "循环园", "戊企业（合成）": "配套园"}


def test_a_named_unit_not_ticked_at_confirmation_stays_unassigned(seeded, world, login_as):
    office = login_as("coordinator")
    deadline = (workflow.today() + timedelta(days=15)).isoformat()
    data = office_sheet([("甲企业（合成）", None, "用工", "用工成本高", "市发改局", "工作组（循环园）", deadline)])
    token, page = upload(office, data, "汇总表.xlsx")
    assert "新增并交办（确认时勾选）" in page
    pending = page.split('name="token" value="')[1].split('"')[0]
    done = office.post("/admin/import/confirm", data={"csrf_token": token, "token": pending}).text
    assert "导入通过：已新增1条" in done and "未确认交办：作为待交办录入" in done
    with seeded.app_context():
        assert db.session.scalar(select(Problem.status).where(Problem.description == "用工成本高")) == "待交办"


def test_the_command_line_assigns_a_named_unit_and_lists_the_new_numbers(seeded, world, tmp_path):
    """From the command line (no preview to confirm in) a row naming its 牵头单位 is assigned, and the new numbers shown."""
    deadline = (workflow.today() + timedelta(days=15)).isoformat()
    sheet = tmp_path / "汇总表.xlsx"
    sheet.write_bytes(office_sheet([("甲企业（合成）", None, "用工", "夜班招工难", "市发改局", "工作组（循环园）", deadline)]))
    result = seeded.test_cli_runner().invoke(args=["import", "problems", str(sheet), "--campaign", MILUO])
    assert result.exit_code == 0, result.output
    with seeded.app_context():
        problem = db.session.scalar(select(Problem).where(Problem.description == "夜班招工难"))
        assert problem.status == "已交办" and f"新增的问题：{problem.number}" in result.output
