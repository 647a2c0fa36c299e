"""附件 (models.attachments, admin.attachments): real uploads through each step's form, 录入问题, 走访 and 报送; what the
server refuses (type by content, size per file and per problem) with the typed text kept and nothing saved; pictures
without EXIF and with a thumbnail; files served only to whoever may see their row; backups carry them."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import pytest
import xlwt
from PIL import Image
from sqlalchemy import func, select

from models import Appeal, Attachment, Problem, ProblemUpdate, Report, Visit, db
from models.portal import Revisit
from models.steps import StepName
from tests.conftest import csrf_token
from tests.factories import miluo, scoped_world
from tests.helpers import flashes


@pytest.fixture
def world(seeded):
    with seeded.app_context():
        return scoped_world()


def camera_photo(width=2400, height=1800) -> bytes:
    """A JPEG as a phone writes it: with EXIF naming the camera and where it was taken."""
    picture = Image.new("RGB", (width, height), (40, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "TestPhone"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x0132] = "2026:12:07 10:00:00"  # DateTime
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif.tobytes(), quality=95)
    return out.getvalue()


def png(width=900, height=1200) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (200, 80, 40, 128)).save(out, "PNG")
    return out.getvalue()


def pdf(size: int = 600) -> bytes:
    body = b"%PDF-1.4\n1 0 obj<<>>endobj\n" + b"%" + b"x" * max(0, size - 40) + b"\n"
    return body + b"%%EOF\n"


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def xls() -> bytes:
    book = xlwt.Workbook()
    book.add_sheet("表1").write(0, 0, "佐证")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


EXE = b"MZ\x90\x00" + b"\x00" * 200 + b"This program cannot be run in DOS mode."


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def set_problem(app, pk, **values):
    with app.app_context():
        problem = db.session.get(Problem, pk)
        for key, value in values.items():
            setattr(problem, key, value)
        db.session.commit()


def post_step(client, step, pk, data, files):
    page = client.get(f"/admin/problem/step/{step}/?id={pk}")
    assert page.status_code == 200, page.text[:300]
    return client.post(f"/admin/problem/step/{step}/?id={pk}", content_type="multipart/form-data",
                       data={"csrf_token": csrf_token(page.text), **data,
                             "ui_files": [(io.BytesIO(content), name) for name, content in files]})


def test_a_handler_attaches_a_photo_to_progress_without_exif_and_with_a_thumbnail(seeded, world, login_as):
    handler = login_as("handler")
    pk = world["PA2"][1]
    page = handler.get(f"/admin/problem/step/progress/?id={pk}").text
    assert 'type="file"' in page and 'name="ui_files"' in page and 'data-max-mb="10"' in page
    assert 'data-max-request-mb="19"' in page  # under MAX_CONTENT_LENGTH: never a 413 that loses the text
    assert 'enctype="multipart/form-data"' in page and "attachments.js" in page
    photo = camera_photo()
    assert Image.open(io.BytesIO(photo)).getexif().get(0x010F) == "TestPhone"
    done = post_step(handler, "progress", pk, {"note": "已到现场核实"}, [("现场照片.jpg", photo), ("复函.pdf", pdf())])
    assert done.status_code == 302, flashes(done.text)
    with seeded.app_context():
        line = db.session.scalars(select(ProblemUpdate).where(ProblemUpdate.problem_id == pk,
                                                              ProblemUpdate.step == StepName.PROGRESS)).one()
        files = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
        assert [(f.name, f.mime, f.problem_id, f.problem_update_id) for f in files] == [
            ("现场照片.jpg", "image/jpeg", pk, line.id), ("复函.pdf", "application/pdf", pk, line.id)]
        stored = Image.open(io.BytesIO(files[0].data))
        assert stored.size == (2400, 1800) and not stored.getexif()  # EXIF (make, model, time) gone
        thumb = Image.open(io.BytesIO(files[0].thumbnail))
        assert thumb.format == "JPEG" and max(thumb.size) == 320
        assert files[1].thumbnail is None and files[1].data == pdf() and len(files[1].sha256) == 64
        photo_id, pdf_id = files[0].id, files[1].id
        assert files[0].created_by.username == "handler"
    case = handler.get(f"/admin/problem/details/?id={pk}").text
    timeline = case[case.index('id="timeline"'):]
    assert f"/admin/attachment/{photo_id}/thumb" in timeline and f'data-viewer="/admin/attachment/{photo_id}"' in timeline
    assert f"/admin/attachment/{pdf_id}" in timeline and "复函.pdf" in timeline and 'target="_blank"' in timeline
    image = handler.get(f"/admin/attachment/{photo_id}")
    assert image.status_code == 200 and image.mimetype == "image/jpeg" and image.data == files[0].data
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert image.headers["Content-Disposition"].startswith("inline") and "filename*=UTF-8''" in image.headers["Content-Disposition"]
    assert image.headers["Content-Security-Policy"].startswith("default-src 'none'")  # a picture runs nothing
    document = handler.get(f"/admin/attachment/{pdf_id}")  # Chromium's PDF viewer is an object default-src would block
    assert document.headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert document.headers["Content-Disposition"].startswith("inline") and document.headers["X-Content-Type-Options"] == "nosniff"
    assert handler.get(f"/admin/attachment/{photo_id}/thumb").mimetype == "image/jpeg"
    assert handler.get(f"/admin/attachment/{pdf_id}/thumb").status_code == 404


STEP_STATES = {  # the step, the status it is taken from and what its form needs
    "progress": ("已交办", {"note": "进展"}),
    "resolve": ("办理中", {"resolution": "已办结"}),
    "request_extension": ("办理中", {"until": "2099-01-05", "reason": "需协调省厅"}),
    "return": ("已交办", {"reason": "不属于本单位职责"}),
    "close": ("已办结", {"satisfaction": "满意"}),
    "revisit": ("已办结", {"note": "已回访，企业认可"}),
}


@pytest.mark.parametrize("step", list(STEP_STATES))
def test_every_step_that_takes_files_keeps_them_on_its_own_timeline_line(seeded, world, login_as, step):
    status, data = STEP_STATES[step]
    pk = world["PA2"][1]
    set_problem(seeded, pk, status=status, deadline=date(2099, 1, 1))
    if step == "revisit":
        with seeded.app_context():
            problem = db.session.get(Problem, pk)
            db.session.add(Appeal(campaign_id=problem.campaign_id, number="SQ2024091200009", code_hash="x",
                                  enterprise_name="甲企业（合成）", credit_code="91430681MA4L0000X0", contact="张",
                                  phone="13800000000", description="测试诉求", problem=problem, status="已受理",
                                  rating="不满意", revisit=Revisit.PENDING))
            db.session.commit()
    admin = login_as("admin")
    done = post_step(admin, step, pk, data, [("佐证材料.docx", docx()), ("台账.xls", xls())])
    assert done.status_code == 302, flashes(done.text)
    with seeded.app_context():
        line = db.session.scalars(select(ProblemUpdate).where(ProblemUpdate.problem_id == pk, ProblemUpdate.step == step)).one()
        assert [(a.name, a.problem_update_id) for a in db.session.scalars(select(Attachment).order_by(Attachment.id))] == [
            ("佐证材料.docx", line.id), ("台账.xls", line.id)]


def test_a_step_without_files_takes_no_file_input(seeded, world, login_as):
    page = login_as("admin").get(f"/admin/problem/step/flag/?id={world['PA2'][1]}").text
    assert 'name="ui_files"' not in page


@pytest.mark.parametrize("name, content, said", [
    ("setup.pdf", EXE, "附件“setup.pdf”的内容不是PDF 文件"),
    ("报告.docx", EXE, "附件“报告.docx”的内容不是Word 文件"),
    ("报表.doc", None, "附件“报表.doc”的内容不是Word 文件"),  # an Excel file renamed .doc
    ("setup.exe", EXE, "附件“setup.exe”的类型不能上传"),
    ("照片.heic", b"\x00\x00\x00\x18ftypheic" + b"\x00" * 100, "HEIC 格式"),
    ("空.pdf", b"", "是空文件"),
])
def test_the_server_refuses_by_content_keeps_the_text_and_saves_nothing(seeded, world, login_as, name, content, said):
    handler = login_as("handler")
    pk = world["PA2"][1]
    with seeded.app_context():
        lines = count(ProblemUpdate)
    refused = post_step(handler, "progress", pk, {"note": "这段文字要保留"},
                        [("好的.pdf", pdf()), (name, xls() if content is None else content)])
    assert refused.status_code == 200
    assert any(said in message for message in flashes(refused.text)), flashes(refused.text)
    assert "这段文字要保留" in refused.text  # the form comes back with what was typed
    assert any("附件请重新选择" in message for message in flashes(refused.text))
    with seeded.app_context():
        assert count(ProblemUpdate) == lines and count(Attachment) == 0
        assert db.session.get(Problem, pk).progress is None


def test_a_file_over_the_campaigns_limit_is_refused_by_name_and_limit(seeded, world, login_as):
    with seeded.app_context():
        miluo().file_max_mb = 1
        db.session.commit()
    handler = login_as("handler")
    pk = world["PA2"][1]
    assert 'data-max-mb="1"' in handler.get(f"/admin/problem/step/progress/?id={pk}").text
    refused = post_step(handler, "progress", pk, {"note": "大文件"}, [("扫描件.pdf", pdf(1_300_000))])
    assert any("附件“扫描件.pdf”有 1.2 MB，超过每个文件 1 MB 的上限" in m for m in flashes(refused.text))
    with seeded.app_context():
        assert count(Attachment) == 0 and count(ProblemUpdate, ProblemUpdate.step == StepName.PROGRESS) == 0


def test_the_per_problem_limit_counts_what_the_problem_holds(seeded, world, login_as):
    with seeded.app_context():
        miluo().problem_files_max_mb = 1
        db.session.commit()
    handler = login_as("handler")
    pk = world["PA2"][1]
    assert post_step(handler, "progress", pk, {"note": "第一次"}, [("一.pdf", pdf(700_000))]).status_code == 302
    refused = post_step(handler, "progress", pk, {"note": "第二次"}, [("二.pdf", pdf(500_000))])
    with seeded.app_context():
        number = db.session.get(Problem, pk).number
        assert count(Attachment) == 1 and count(ProblemUpdate, ProblemUpdate.step == StepName.PROGRESS) == 1
    assert any(f"问题{number}的附件合计将达 1.1 MB，超过每个问题（记录）1 MB 的上限" in m for m in flashes(refused.text))
    assert "第二次" in refused.text


def test_another_units_handler_gets_no_bytes_the_office_and_leader_do(seeded, world, login_as):
    handler = login_as("handler")
    pk = world["PA2"][1]
    assert post_step(handler, "progress", pk, {"note": "附照片"}, [("现场.jpg", camera_photo(800, 600))]).status_code == 302
    with seeded.app_context():
        file_id = db.session.scalar(select(Attachment.id))
        from models import Unit
        other = db.session.scalar(select(Unit).where(Unit.name == "市财政局", Unit.campaign_id == miluo().id))
    stranger = login_as("handler", "czj_handler", unit=other)
    for url in (f"/admin/attachment/{file_id}", f"/admin/attachment/{file_id}/thumb"):
        response = stranger.get(url)
        assert response.status_code == 404 and b"\xff\xd8" not in response.data
        assert "<html" in response.text.lower() and re.search(r"[\u4e00-\u9fff]", response.text)
    group_b = login_as("group", "group_b", body=db_row(seeded, "body", world["GB"][1]))
    assert group_b.get(f"/admin/attachment/{file_id}").status_code == 404
    assert login_as("group").get(f"/admin/attachment/{file_id}").status_code == 200  # it collected the problem
    for role in ("coordinator", "leader", "admin"):
        assert login_as(role).get(f"/admin/attachment/{file_id}").status_code == 200, role
    assert seeded.test_client().get(f"/admin/attachment/{file_id}").status_code == 302  # to the login page
    assert login_as("admin").get("/admin/attachment/999999").status_code == 404


def db_row(app, table, pk):
    from models import Body
    with app.app_context():
        return db.session.get(Body, pk)


def test_a_problem_entered_with_files_keeps_them_on_its_first_line(seeded, world, login_as):
    group = login_as("group")
    page = group.get("/admin/problem/new/").text
    assert 'name="ui_files"' in page and "attachments.js" in page
    with seeded.app_context():
        campaign_id = miluo().id
    response = group.post("/admin/problem/new/", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(page), "campaign": campaign_id, "collected_by_body": world["GA"][1],
        "enterprise": world["EA"][1], "description": "企业反映厂房漏水", "escalation_level": "本级",
        "ui_files": [(io.BytesIO(camera_photo(1600, 1200)), "厂房.jpg")]})
    assert response.status_code == 302, flashes(response.text)
    with seeded.app_context():
        problem = db.session.scalars(select(Problem).where(Problem.description == "企业反映厂房漏水")).one()
        attached = db.session.scalars(select(Attachment)).one()
        assert (attached.problem_id, attached.problem_update_id) == (problem.id, problem.updates[0].id)
        assert problem.updates[0].step == StepName.ENTERED
        pk = problem.id
    assert 'name="ui_files"' not in group.get(f"/admin/problem/edit/?id={pk}").text  # files go with steps after that
    refused = group.post("/admin/problem/new/", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(page), "campaign": campaign_id, "collected_by_body": world["GA"][1],
        "enterprise": world["EA"][1], "description": "带病毒的问题", "escalation_level": "本级",
        "ui_files": [(io.BytesIO(EXE), "照片.jpg")]})
    assert refused.status_code == 200 and "带病毒的问题" in refused.text
    assert any("附件“照片.jpg”的内容不是JPG 图片" in m for m in flashes(refused.text)), flashes(refused.text)
    with seeded.app_context():
        assert count(Problem, Problem.description == "带病毒的问题") == 0 and count(Attachment) == 1


def test_a_visit_takes_photos_and_its_page_shows_them(seeded, world, login_as):
    group = login_as("group")
    page = group.get("/admin/visit/new/").text
    assert 'name="ui_files"' in page
    with seeded.app_context():
        campaign_id = miluo().id
    response = group.post("/admin/visit/new/", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(page), "campaign": campaign_id, "body": world["GA"][1], "enterprise": world["EA"][1],
        "visited_on": "2024-09-20", "form": "实地走访", "summary": "座谈",
        "ui_files": [(io.BytesIO(camera_photo(1200, 900)), "座谈.jpg"), (io.BytesIO(png()), "车间.png")]})
    assert response.status_code == 302, flashes(response.text)
    with seeded.app_context():
        visit = db.session.scalars(select(Visit).where(Visit.summary == "座谈")).one()
        files = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
        assert [(f.visit_id, f.problem_id) for f in files] == [(visit.id, None)] * 2
        ids = [f.id for f in files]
    details = group.get(f"/admin/visit/details/?id={visit.id}").text
    assert all(f"/admin/attachment/{i}/thumb" in details for i in ids)
    assert group.get(f"/admin/attachment/{ids[0]}").status_code == 200
    assert login_as("handler").get(f"/admin/attachment/{ids[0]}").status_code == 404  # a unit sees no visits


def test_a_report_takes_its_documents(seeded, world, login_as):
    group = login_as("group")
    page = group.get(f"/admin/report/edit/?id={world['RA'][1]}").text
    assert 'name="ui_files"' in page
    form = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    with seeded.app_context():
        report = db.session.get(Report, world["RA"][1])
        values = {"campaign": report.campaign_id, "kind": report.kind, "period_start": "2024-09-05",
                  "period_end": "2024-09-11", "body": report.body_id}
    response = group.post(f"/admin/report/edit/?id={world['RA'][1]}", content_type="multipart/form-data", data={
        **values, "csrf_token": csrf_token(page), "version_token": form.get("version_token", ""),
        "content": "本周走访 5 家", "ui_files": [(io.BytesIO(docx()), "周调度.docx")]})
    assert response.status_code == 302, flashes(response.text)
    with seeded.app_context():
        attached = db.session.scalars(select(Attachment)).one()
        assert (attached.report_id, attached.name) == (world["RA"][1], "周调度.docx")
    assert login_as("handler").get(f"/admin/attachment/{attached.id}").status_code == 404


def test_backup_and_restore_carry_the_attachments(seeded, world, login_as, tmp_path):
    handler = login_as("handler")
    photo = camera_photo(800, 600)
    assert post_step(handler, "progress", world["PA2"][1], {"note": "附件"}, [("现场.jpg", photo)]).status_code == 302
    with seeded.app_context():
        stored = db.session.scalars(select(Attachment)).one()
        kept = (stored.id, stored.name, stored.data, stored.thumbnail, stored.sha256)
    runner = seeded.test_client  # (the CLI, as an office runs it)
    cli = seeded.test_cli_runner()
    target = tmp_path / "backup.db"
    assert cli.invoke(args=["backup", str(target)]).exit_code == 0
    with seeded.app_context():
        db.session.execute(Attachment.__table__.delete())
        db.session.commit()
        assert count(Attachment) == 0
    result = cli.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    with seeded.app_context():
        back = db.session.scalars(select(Attachment)).one()
        assert (back.id, back.name, back.data, back.thumbnail, back.sha256) == kept
    assert runner is not None and login_as("admin").get(f"/admin/attachment/{kept[0]}").data == kept[2]


def test_the_campaign_settings_hold_the_limits(seeded, login_as):
    office = login_as("coordinator")
    with seeded.app_context():
        pk = miluo().id
    page = office.get(f"/admin/campaign/edit/?id={pk}").text
    assert "每个附件的上限（MB）" in page and "每个问题附件合计的上限（MB）" in page
    with seeded.app_context():
        campaign = miluo()
        campaign.file_max_mb = 50
        with pytest.raises(Exception, match="每个附件的上限（MB）应在 1 至 20 之间"):
            db.session.flush()
        db.session.rollback()


def test_the_audit_records_who_added_a_file_without_its_bytes_and_a_deleted_visit_takes_its_files(seeded, world,
                                                                                               login_as):
    from models import AuditLog

    group = login_as("group")
    page = group.get(f"/admin/visit/edit/?id={world['VA'][1]}").text
    with seeded.app_context():
        visit = db.session.get(Visit, world["VA"][1])
        values = {"campaign": visit.campaign_id, "body": visit.body_id, "enterprise": visit.enterprise_id,
                  "visited_on": "2024-09-12", "form": "实地走访"}
    version = re.search(r'name="version_token"[^>]*value="(\d+)"', page) or re.search(r'value="(\d+)"[^>]*name="version_token"', page)
    response = group.post(f"/admin/visit/edit/?id={world['VA'][1]}", content_type="multipart/form-data", data={
        **values, "csrf_token": csrf_token(page), "version_token": version.group(1), "summary": "补传照片",
        "ui_files": [(io.BytesIO(png(300, 200)), "补拍.png")]})
    assert response.status_code == 302, flashes(response.text)
    with seeded.app_context():
        attached = db.session.scalars(select(Attachment)).one()
        audit = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "attachment")).one()
        assert audit.action == "insert" and audit.username == "group"
        assert audit.changes["data"] == [None, f"（{attached.size} 字节）"] and audit.changes["name"] == [None, "补拍.png"]
    token = csrf_token(group.get("/admin/visit/").text)
    group.post("/admin/visit/delete/", data={"csrf_token": token, "id": world["VA"][1]})
    with seeded.app_context():
        assert db.session.get(Visit, world["VA"][1]) is None and count(Attachment) == 0


def test_a_step_on_several_problems_keeps_the_files_on_each_and_documents_download(seeded, world, login_as):
    pks = [world["PA2"][1], world["PB"][1]]
    for pk in pks:
        set_problem(seeded, pk, status="已办结", resolution="已解决")
    office = login_as("coordinator")
    ids = ",".join(map(str, pks))
    page = office.get(f"/admin/problem/step/close/?ids={ids}")
    paper = docx()  # once: a .docx is a zip stamped with the time it was written
    done = office.post(f"/admin/problem/step/close/?ids={ids}", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(page.text), "ids": [str(pk) for pk in pks], "satisfaction": "满意",
        "ui_files": [(io.BytesIO(paper), "销号审批单.docx")]})
    assert done.status_code == 302, flashes(done.text)
    with seeded.app_context():
        rows = db.session.scalars(select(Attachment).order_by(Attachment.problem_id)).all()
        assert sorted(r.problem_id for r in rows) == sorted(pks)
        assert all(r.problem_update.step == StepName.CLOSE and r.problem_update.problem_id == r.problem_id for r in rows)
        file_id = rows[0].id
    download = office.get(f"/admin/attachment/{file_id}")
    assert download.headers["Content-Disposition"].startswith("attachment;") and download.data == paper
    assert download.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_a_note_written_in_the_timeline_table_takes_files_too(seeded, world, login_as):
    handler = login_as("handler")
    page = handler.get("/admin/problem_update/new/").text
    assert 'name="ui_files"' in page
    pk = world["PA2"][1]
    refused = handler.post("/admin/problem_update/new/", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(page), "problem": pk, "note": "表格里写的进展",
        "ui_files": [(io.BytesIO(EXE), "进展.pdf")]})
    assert refused.status_code == 200 and "表格里写的进展" in refused.text
    assert any("附件“进展.pdf”的内容不是PDF 文件" in m for m in flashes(refused.text))
    done = handler.post("/admin/problem_update/new/", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(page), "problem": pk, "note": "表格里写的进展",
        "ui_files": [(io.BytesIO(pdf()), "进展.pdf")]})
    assert done.status_code == 302, flashes(done.text)
    with seeded.app_context():
        attached = db.session.scalars(select(Attachment)).one()
        line = attached.problem_update
        assert (line.step, line.note, attached.problem_id) == (StepName.PROGRESS, "表格里写的进展", pk)
        line_id = line.id
    assert f"/admin/attachment/{attached.id}" in handler.get(f"/admin/problem_update/details/?id={line_id}").text


def test_the_portals_files_show_as_thumbnails_on_the_entered_line_and_the_appeal_page(seeded, world, login_as):
    from models import AppealFile

    pk = world["PA"][1]
    with seeded.app_context():
        problem = db.session.get(Problem, pk)
        appeal = Appeal(campaign_id=problem.campaign_id, number="SQ2024091200008", code_hash="x", enterprise_name="甲企业（合成）",
                        credit_code="91110000600037341L", contact="张", phone="13800000000", description="测试诉求",
                        problem=problem, status="已受理")
        picture = png(200, 100)
        appeal.files.append(AppealFile(name="营业执照.png", mime="image/png", size=len(picture), data=picture, sha256="0" * 64,
                                       problem=problem))
        db.session.add(appeal)
        db.session.commit()
        file_id, appeal_id = appeal.files[0].id, appeal.id
    office = login_as("coordinator")
    case = office.get(f"/admin/problem/details/?id={pk}").text
    line = case[case.index('id="timeline"'):].split("</li>")[0]  # the 录入 line
    assert f'data-viewer="/admin/problem/attachment/?id={file_id}"' in line and "营业执照.png" in line
    assert "1个，见办理过程“录入”" in case
    page = office.get(f"/admin/appeal/details/?id={appeal_id}").text
    assert f'data-viewer="/admin/problem/attachment/?id={file_id}"' in page and "attachments.js" in page
