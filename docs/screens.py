"""Take the README's screenshots again: each role's desk, the ledger, a problem page, the 交办 form with its date picker,
the 红黑榜, the audit log, the 词表, a campaign's settings, the import of an office's .xls, a 诉求 in the office's
queue (受理 asking 所在镇（园区）), the outbox's failed messages, the work calendar, a problem's 留言, the 合并 form, 新增企业 on
the problem form, a refused form, 附件2 come back from the units (its rows taken as 代录 steps), the 代录 menu, a problem's photos in the viewer and a step form with files chosen at 1366×768, and the
desk (a unit's, a working group's), the menu, the ledger, a problem's photos, the 走访 form with a photo and the enterprise
portal on a phone (375 px), from a fresh SQLite database with
the seeds and 80 demo problems around today.

    .venv/bin/python docs/screens.py          # writes docs/screens/*.png

Needs Debian's Chromium (as the browser tests do).
"""
from __future__ import annotations

import io
import shutil
import sys
import tempfile
import threading
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402
from openpyxl import load_workbook  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from sqlalchemy import select  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from models import Body, Campaign, Enterprise, Problem, Unit, User, Visit, attachments, db, messages, workflow  # noqa: E402
from models.vocab import Status  # noqa: E402
from models.reminders import climb  # noqa: E402
from ops.delivery import send_pending  # noqa: E402
from seeds.demo import load_demo  # noqa: E402
from seeds.loader import load_seeds  # noqa: E402
from imports.enterprises import import_enterprises  # noqa: E402
from tests.fixtures.offices import FIRMS  # noqa: E402

OUT = ROOT / "docs" / "screens"
PASSWORD = "screens-password-1"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
OFFICE, PHONE = {"width": 1366, "height": 768}, {"width": 375, "height": 812}


def build(app) -> int:
    """Schema, seeds, demo problems and one account per role; the id of a problem worth showing."""
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        load_seeds()
        load_demo(80, date.today())
        campaign = db.session.scalar(select(Campaign).where(Campaign.code == "SJY"))
        group = db.session.scalar(select(Body).where(Body.campaign_id == campaign.id, Body.name == "工作组（循环园）"))
        unit = db.session.scalar(select(Unit).where(Unit.campaign_id == campaign.id, Unit.name == "市发改局"))
        for role, name, scope in (("admin", "系统管理员", {}), ("coordinator", "推进办 王丽", {"campaign": campaign}),
                                  ("group", "循环园工作组 李强", {"body": group}), ("handler", "市发改局 张敏", {"unit": unit}),
                                  ("leader", "刘副市长", {"campaign": campaign})):
            user = User(username=role, role=role, display_name=name, active=True, **scope)
            user.set_password(PASSWORD)
            db.session.add(user)
        town = db.session.scalar(select(Unit).where(Unit.campaign_id == campaign.id, Unit.name == "循环园"))
        for name, code in FIRMS:  # the enterprises the office file of the import screenshot names
            db.session.add(Enterprise(campaign=campaign, name=name, credit_code=code, town=town))
        db.session.commit()
        office = db.session.scalar(select(User).where(User.username == "coordinator"))
        import_enterprises((ROOT / "tests" / "fixtures" / "enterprises.xls").read_bytes(), campaign, office,
                           file_name="循环园联点企业.xls")  # an earlier import, listed under 导入记录
        failed_messages(app)
        shown = db.session.scalar(select(Problem.id).where(Problem.campaign_id == campaign.id,
                                                           Problem.responsible_unit_id == unit.id,
                                                           Problem.status == Status.HANDLING).order_by(Problem.deadline))
        evidence(shown, group)
        talk(db.session.get(Problem, shown))
        return shown


def talk(problem) -> None:
    """A 留言 thread on the problem shown (推进办, 责任单位, 工作组), and a new problem of its enterprise repeating it
    (合并 offered on its page)."""
    users = {u.role: u for u in db.session.scalars(select(User))}
    messages.post(problem, users["coordinator"], "请问企业反映的事项，相关部门约了哪天现场对接？")
    messages.post(problem, users["handler"], "已约下周二上午现场对接，对接意见出来后在这里补充。")
    messages.post(problem, users["group"], "补充材料：企业说另有两处类似情况，照片已转给市发改局。")
    db.session.add(Problem(campaign_id=problem.campaign_id, enterprise_id=problem.enterprise_id,
                           description="企业在座谈会上再次反映同一事项", collected_by_body_id=problem.collected_by_body_id))
    db.session.commit()


def photo(colour, size=(3000, 2250), noise=0) -> bytes:
    """A synthetic site photo (a framed pattern); with `noise`, as large as a phone camera's (a few MB)."""
    picture = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(picture)
    for x in range(0, size[0], 150):
        draw.line([(x, 0), (size[0] - x, size[1])], fill=(255, 255, 255), width=6)
    draw.rectangle([size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4], outline=(20, 20, 20), width=30)
    if noise:
        picture = Image.blend(picture, Image.effect_noise(size, 40).convert("RGB"), noise)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=95)
    return out.getvalue()


def evidence(problem_id: int, group) -> None:
    """The handler's 报告进展 with three site photos, a 复函 (PDF) and a sheet on the problem shown; a visit of the
    group with two photos (models.attachments, as the forms store them)."""
    handler = db.session.scalar(select(User).where(User.username == "handler"))
    problem = db.session.get(Problem, problem_id)
    line = workflow.progress(problem, handler, "已到企业现场核实用地红线，附现场照片和自然资源局复函。")
    files = [("现场照片1.jpg", photo((70, 130, 90))), ("现场照片2.jpg", photo((160, 110, 60))),
             ("厂房东侧.jpg", photo((60, 90, 160))),
             ("自然资源局复函.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n%" + b"x" * 200000 + b"\n%%EOF\n"),
             ("用地情况统计.xls", (ROOT / "tests" / "fixtures" / "enterprises.xls").read_bytes())]
    attachments.attach(attachments.checked_files(files, problem.campaign), handler, problem_update=line)
    firm = db.session.scalars(select(Enterprise).where(Enterprise.campaign_id == group.campaign_id)
                              .order_by(Enterprise.id)).first()
    visit = Visit(campaign_id=group.campaign_id, body=group, enterprise=firm, visited_on=date.today(),
                  participants="李强、王芳", summary="到企业座谈，了解用工和用地需求。")
    db.session.add(visit)
    member = db.session.scalar(select(User).where(User.username == "group"))
    attachments.attach(attachments.checked_files([("座谈现场.jpg", photo((90, 90, 140))),
                                                  ("车间.jpg", photo((140, 90, 90)))], problem.campaign), member, visit=visit)
    db.session.commit()


def failed_messages(app) -> None:
    """Today's reminders sent to a group robot that refuses the connection, one try each: 外发失败 on the office's
    desk and on 外发消息, with 重新发送."""
    app.config.update(WEBHOOK_URL="http://127.0.0.1:9/cgi-bin/webhook/send?key=633a31f6-7f9c-4bc4-97a0-0ec1eefa5898",
                      WEBHOOK_KIND="wecom", DELIVERY_MAX_ATTEMPTS=1)
    climb(date.today())
    db.session.commit()
    while send_pending().failed:  # an unreachable robot fails one message a run; the rest wait for the next
        pass
    app.config.pop("WEBHOOK_URL")


def main() -> int:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("错误：未找到 Chromium（Debian 包 chromium）", file=sys.stderr)
        return 1
    folder = tempfile.mkdtemp()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/screens.db", "SECRET_KEY": "screens",
                      "REQUEST_LOG": False})
    problem = build(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)

        def shot(role: str, path: str, name: str, viewport=OFFICE, full_page=False, then=None):
            context = browser.new_context(viewport=viewport, locale="zh-CN")
            page = context.new_page()
            if role is not None:  # None: an enterprise on the portal, which needs no login
                page.goto(base + "/login")
                page.fill("#username", role)
                page.fill("#password", PASSWORD)
                page.click("button[type=submit]")
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            if then is not None:
                then(page)
            page.screenshot(path=str(OUT / name), full_page=full_page)
            context.close()
            print(OUT / name)

        for role in ("admin", "coordinator", "handler", "group", "leader"):
            shot(role, "/admin/", f"desk_{role}.png")
        shot("coordinator", "/admin/problem/", "ledger.png")
        shot("handler", f"/admin/problem/details/?id={problem}", "problem.png")
        shot("coordinator", f"/admin/problem/step/assign/?id={first_unassigned(app)}", "assign.png",
             then=lambda page: page.click("#deadline"))  # with the Chinese date picker open
        shot("coordinator", "/admin/ranking/", "ranking.png")
        shot("admin", "/admin/audit_log/", "audit_log.png")
        shot("coordinator", "/admin/term/?flt0_0=问题类型", "vocabulary.png")
        shot("coordinator", f"/admin/campaign/edit/?id={miluo_id(app)}", "settings.png")
        shot("coordinator", "/admin/import/", "import.png", full_page=True, then=upload_office_file)
        reply = unit_reply(app, Path(folder))
        shot("coordinator", "/admin/import/", "reimport.png", full_page=True, then=lambda page: upload(page, reply))
        shot("coordinator", f"/admin/problem/details/?id={first_assigned(app)}", "proxy.png",
             then=lambda page: page.click("#case-proxy summary"))
        shot(None, "/portal/SJY/", "portal_form.png", PHONE, then=fill_appeal)
        shot(None, "/portal/SJY/", "portal_receipt.png", PHONE, then=submit_appeal)
        shot("coordinator", "/admin/appeal/", "appeal.png", then=open_first_appeal)
        shot("coordinator", "/admin/delivery/?flt0_0=失败", "outbox.png")
        shot("admin", "/admin/calendar_day/?page_size=20&page=1", "calendar.png")  # the end of 2026, then 2027 推算
        shot("handler", f"/admin/problem/details/?id={problem}", "messages.png",
             then=lambda page: page.locator("#messages").scroll_into_view_if_needed())
        shot("handler", f"/admin/problem/details/?id={problem}", "phone_messages.png", PHONE,
             then=lambda page: page.locator("#messages").scroll_into_view_if_needed())
        shot("coordinator", f"/admin/problem/step/merge/?id={last_problem(app)}", "merge.png",
             then=lambda page: page.click("#s2id_into"))
        shot("group", "/admin/problem/new/", "inline_enterprise.png", then=add_enterprise)
        shot("group", "/admin/problem/new/", "phone_inline_enterprise.png", PHONE, then=add_enterprise)
        shot("coordinator", f"/admin/problem/step/assign/?id={first_unassigned(app)}", "refused_form.png",
             then=submit_empty)
        camera = Path(folder) / "IMG_0001.jpg"  # a phone camera's photo, shrunk by the page before upload
        camera.write_bytes(photo((120, 120, 160), (4032, 3024), noise=0.25))
        shot("handler", f"/admin/problem/details/?id={problem}", "problem_viewer.png", then=open_viewer)
        shot("handler", f"/admin/problem/details/?id={problem}", "phone_problem_files.png", PHONE, then=open_viewer)
        shot("handler", f"/admin/problem/step/progress/?id={problem}", "step_files.png",
             then=lambda page: choose_files(page, [camera, ROOT / "tests" / "fixtures" / "enterprises.xls"]))
        shot("group", "/admin/visit/new/", "phone_visit.png", PHONE, full_page=True,
             then=lambda page: choose_files(page, [camera]))
        shot("handler", "/admin/", "phone_desk.png", PHONE)
        shot("handler", "/admin/problem/", "phone_ledger.png", PHONE)
        shot("group", "/admin/", "phone_desk_group.png", PHONE)  # 录入问题, 登记走访, 报送
        shot("handler", "/admin/", "phone_menu.png", PHONE,  # a responsible unit's five menu entries
             then=lambda page: (page.click(".navbar-toggler"), page.wait_for_timeout(800)))
        browser.close()
    server.shutdown()
    shutil.rmtree(folder, ignore_errors=True)
    return 0


def submit_empty(page) -> None:
    """交办 sent with nothing filled in: the page comes back saying what to fix."""
    with page.expect_navigation():
        page.click("button:text-is('确认交办')")
    page.wait_for_load_state("networkidle")


def unit_reply(app, folder: Path) -> Path:
    """附件2 as exported, come back from the units by e-mail: one 已交办 problem now reads 已办结 with its 办理进展, one
    办理中 problem has a new 办理进展 (the import takes them as the units' steps, 代录 by Excel)."""
    exported = folder / "附件2.xlsx"
    with app.app_context():
        name = db.session.scalar(select(Campaign.name).where(Campaign.code == "SJY"))
    result = app.test_cli_runner().invoke(args=["export", "problems", "--out", str(exported), "--campaign", name])
    assert result.exit_code == 0, result.output
    book = load_workbook(exported)
    sheet = book.active
    column = {sheet.cell(3, c).value: c for c in range(1, sheet.max_column + 1)}
    replies = {"已交办": ("已办结", "已协调供电公司完成专线增容，企业已恢复满负荷生产"), "办理中": (None, "已完成选址，用地手续正在报批")}
    for row in range(4, sheet.max_row + 1):
        status = sheet.cell(row, column["办理状态"]).value
        if status in replies:
            new_status, progress = replies.pop(status)
            sheet.cell(row, column["办理进展"]).value = progress
            if new_status:
                sheet.cell(row, column["办理状态"]).value = new_status
    reply = folder / "附件2（各单位回复）.xlsx"
    book.save(reply)
    return reply


def upload(page, path: Path) -> None:
    page.set_input_files("input[name=file]", str(path))
    page.click("#upload")
    page.wait_for_load_state("networkidle")


def first_assigned(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Problem.id).join(Campaign).where(Campaign.code == "SJY", Problem.status == Status.ASSIGNED)
                                 .order_by(Problem.id).limit(1))


def upload_office_file(page) -> None:
    """The import screen after an office's .xls (tests/fixtures/problems.xls) is checked: how it was read, the names
    to confirm, the cells read otherwise than written."""
    upload(page, ROOT / "tests" / "fixtures" / "problems.xls")


def fill_appeal(page) -> None:
    """The portal's form as an enterprise fills it on a phone."""
    page.fill("#enterprise_name", "汨罗市星火新材料有限公司")
    page.fill("#credit_code", "91430681MA4L0NEW12")
    page.fill("#contact", "周经理")
    page.fill("#phone", "13812345678")
    page.select_option("#category", "用工")
    page.fill("#description", "企业扩产急需熟练技工约50名，希望协助对接职业院校和人社部门招聘。")


def submit_appeal(page) -> None:
    """Submitted: the 受理编号, the 查询码 shown once and the receipt picture."""
    fill_appeal(page)
    page.click("#submit-appeal")
    page.wait_for_load_state("networkidle")


def open_first_appeal(page) -> None:
    """The office's page of the 诉求 just submitted, with 受理 and 不予受理."""
    page.click("td.col-number a")
    page.wait_for_load_state("networkidle")


def add_enterprise(page) -> None:
    """新增企业 beside the enterprise field, with a 统一社会信用代码 whose check character is wrong (the server says so)."""
    page.click("#add-firm-open")
    page.fill("#firm-name", "汨罗市新兴包装材料有限公司")
    page.fill("#firm-code", "91430681MA4L0NEW10")
    page.click("#add-firm-save")
    page.wait_for_selector("#add-firm-error:not(:empty)")


def last_problem(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Problem.id).order_by(Problem.id.desc()).limit(1))
def open_viewer(page) -> None:
    """The problem page's viewer on the second photo of the timeline (上一张 / 下一张)."""
    page.click(".attach-image >> nth=1")
    page.wait_for_timeout(300)


def choose_files(page, paths) -> None:
    """Files chosen in a form's 附件 input: photos shrunk in the page, the line under the buttons saying what goes up."""
    page.set_input_files("#ui_files", [str(p) for p in paths])
    page.wait_for_selector(".attach-status:has-text('已选')")
    page.locator("#ui_files-status").scroll_into_view_if_needed()


def miluo_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Campaign.id).where(Campaign.code == "SJY"))


def first_unassigned(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Problem.id).join(Campaign).where(Campaign.code == "SJY",
                                                                         Problem.status == Status.UNASSIGNED)
                                 .order_by(Problem.id))


if __name__ == "__main__":
    sys.exit(main())
