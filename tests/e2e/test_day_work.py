"""The day's work inside the panel, in a real browser (issue 29): a unit's photo on 报告进展 that another unit cannot
open, the 推进办's 代录 from the problem page and from an edited, re-imported 附件2, a leader's 批示 read on the unit's
desk, and a working group recording a visit with a photo on a phone."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from models import Attachment, Problem, ProblemUpdate, Unit, User, Visit, db, workflow
from models.calendar import add_workdays
from models.steps import StepName
from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in
from tests.e2e.test_attachments import camera_photo
from tests.factories import named, scoped_world

PHONE = {"width": 375, "height": 812}


@pytest.fixture
def world(seeded):
    """The scoped world with 甲问题 (PA2) assigned to 市发改局 (the `handler`) and signed for, and 乙问题 (PB, 市财政局
    主办) flagged for a leader's 批示."""
    with seeded.app_context():
        world = scoped_world()
        today = workflow.today()
        pa2 = db.session.get(Problem, world["PA2"][1])
        pa2.assigned_on, pa2.deadline = today - timedelta(days=2), add_workdays(today, 8)
        db.session.commit()
        return world


def take_step(page, label: str) -> None:
    page.click(f"#case-steps a:text-is('{label}')")
    page.wait_for_url(re.compile(r".*/step/.*"))
    page.wait_for_load_state()


def timeline(page) -> str:
    return page.locator("#timeline").inner_text()


def test_the_office_proxies_a_units_steps_from_the_problem_page(page, users, world, seeded):
    """A unit that answered by phone: the 推进办 enters its 签收 and its 报告进展 on its behalf; the timeline names the unit
    and the channel, the audit row the office user."""
    log_in(page, "coordinator")
    with seeded.app_context():
        pa2 = db.session.get(Problem, world["PA2"][1])
        workflow.record(pa2, None, StepName.ASSIGN)  # the timeline's 交办 line, as an assignment leaves it
        db.session.commit()
        number = pa2.number
    page.goto(page.base + f"/admin/problem/details/?id={world['PA2'][1]}")
    page.click("#case-proxy summary")
    page.click("#case-proxy a:text-is('代录签收')")
    page.wait_for_url(re.compile(r".*/step/accept/.*proxy=1.*"))
    page.click("button:has-text('确认')")  # no channel chosen: refused, nothing changed
    assert "渠道" in page.locator(".alert-danger, .is-invalid, .invalid-feedback").first.inner_text() or \
        "渠道" in page.content()
    with seeded.app_context():
        assert db.session.get(Problem, world["PA2"][1]).status == "已交办"
    page.check("input[name=channel][value=电话]")
    page.click("button:has-text('确认')")
    page.wait_for_url(re.compile(r".*/details/.*"))
    assert f"推进办代录（电话）：已签收{number}，现为办理中。" in page.locator(".alert-success").inner_text()
    assert page.locator("#case-status").inner_text() == "办理中"
    assert re.search(r"签收（推进办代录·电话，代市发改局）", timeline(page))

    page.click("#case-proxy summary")
    page.click("#case-proxy a:text-is('代录报告进展')")
    page.wait_for_url(re.compile(r".*/step/progress/.*proxy=1.*"))
    page.check("input[name=channel][value=微信]")
    page.fill("#note", "微信里报来：已协调供电公司，下周通电")
    page.click("button:has-text('确认')")
    page.wait_for_url(re.compile(r".*/details/.*"))
    assert "报告进展（推进办代录·微信，代市发改局）" in timeline(page)
    assert "已协调供电公司，下周通电" in timeline(page)
    with seeded.app_context():
        last = db.session.scalars(select(ProblemUpdate).where(ProblemUpdate.problem_id == world["PA2"][1])
                                  .order_by(ProblemUpdate.id.desc())).first()
        assert (last.step, last.channel, last.on_behalf_of_unit.name, db.session.get(User, last.author_id).username) == \
            (StepName.PROGRESS, "微信", "市发改局", "coordinator")


def test_the_office_proxies_from_an_edited_reimported_annex2(page, users, world, seeded, tmp_path):
    """A unit that answers in Excel: the 推进办 exports 附件2, the unit's sheet comes back with a new 办理进展 and
    办理状态 办理中, and the import shows and takes 签收 and 报告进展 as 代录 by Excel."""
    log_in(page, "coordinator")
    page.goto(page.base + "/admin/problem/")
    with page.expect_download() as info:
        page.click("#export-annex2")
    exported = tmp_path / info.value.suggested_filename
    info.value.save_as(exported)
    book = load_workbook(exported)
    sheet = book.active
    header = [cell.value for cell in sheet[3]]
    with seeded.app_context():
        number = db.session.get(Problem, world["PA2"][1]).number
    row = next(r for r in range(4, sheet.max_row + 1) if sheet.cell(r, header.index("问题编号") + 1).value == number)
    status_col = next(i for i, h in enumerate(header) if h and "办理状态" in h) + 1
    progress_col = next(i for i, h in enumerate(header) if h and "办理进展" in h) + 1
    sheet.cell(row, status_col).value = "办理中"
    sheet.cell(row, progress_col).value = "已现场踏勘，方案报市政府"
    edited = tmp_path / "附件2（市发改局反馈）.xlsx"
    book.save(edited)

    page.goto(page.base + "/admin/import/")
    page.set_input_files("input[type=file]", str(edited))
    page.click("#upload")
    preview = page.locator("#import-preview").inner_text()
    assert "签收" in preview and "推进办代录·Excel" in preview and "已现场踏勘，方案报市政府" in preview
    page.click("#confirm-import")
    assert "导入通过" in page.locator("#import-summary").inner_text()
    page.goto(page.base + f"/admin/problem/details/?id={world['PA2'][1]}")
    assert page.locator("#case-status").inner_text() == "办理中"
    lines = timeline(page)
    assert "签收（推进办代录·Excel，代市发改局）" in lines and "报告进展（推进办代录·Excel，代市发改局）" in lines
    assert "已现场踏勘，方案报市政府" in lines


def test_a_leaders_comment_is_read_on_the_units_desk(page, browser, users, world, seeded):
    """The leader signs a 批示 on a flagged problem; the responsible unit's desk shows its words, author and time."""
    with seeded.app_context():
        pb = db.session.get(Problem, world["PB"][1])
        pb.status, pb.assigned_on, pb.deadline, pb.flagged = "办理中", workflow.today(), add_workdays(workflow.today(), 5), True
        db.session.commit()
    log_in(page, "leader")
    page.goto(page.base + f"/admin/problem/details/?id={world['PB'][1]}")
    take_step(page, "领导批示")
    page.fill("#note", "请市财政局本周内拿出资金方案，确保企业年前拿到补贴")
    page.click("button:has-text('确认')")
    page.wait_for_url(re.compile(r".*/details/.*"))

    unit, tab = other_unit(seeded, "finance", "市财政局", browser, page.base)
    notice = tab.locator("#list-notices .desk-notice", has_text="领导批示")
    assert notice.count() == 1
    words = notice.inner_text()
    assert "请市财政局本周内拿出资金方案，确保企业年前拿到补贴" in words and "leader" in words
    assert re.search(r"\d{1,2}月\d{1,2}日|\d{1,2}:\d{2}", words)
    unit.close()


def other_unit(seeded, username: str, unit: str, browser, base: str, viewport=None):
    """A page logged in as a handler of `unit` (a second browser context, as another person's phone)."""
    with seeded.app_context():
        if db.session.scalar(select(User).where(User.username == username)) is None:
            user = User(username=username, role="handler", display_name=f"{unit}经办人", active=True, unit=named(Unit, unit))
            user.set_password(PASSWORD)
            db.session.add(user)
            db.session.commit()
    context = browser.new_context(locale="zh-CN", viewport=viewport or PHONE)
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort())
    tab = context.new_page()
    tab.base = base
    log_in(tab, username)
    return context, tab


def test_a_units_photo_on_progress_is_not_opened_by_another_unit(page, browser, users, world, seeded, tmp_path):
    """On a phone, 市发改局 signs for its problem and reports progress with a camera photo (shrunk in the page); the
    problem page shows its thumbnail; 市财政局's handler, given the file's address, gets a Chinese 404 and no bytes."""
    photo = tmp_path / "IMG_2044.jpg"
    assert camera_photo(photo) > 5 * 1024 * 1024
    page.set_viewport_size(PHONE)
    log_in(page, "handler")
    page.goto(page.base + f"/admin/problem/details/?id={world['PA2'][1]}")
    take_step(page, "签收")
    page.click("button:has-text('确认')")
    page.wait_for_url(re.compile(r".*/details/.*"))
    take_step(page, "报告进展")
    page.fill("#note", "已到现场，照片为厂区供电线路")
    page.set_input_files("#ui_files", [str(photo)])
    page.wait_for_function("document.getElementById('ui_files-status').textContent.indexOf('已选') === 0")
    page.click(".step-buttons button[type=submit]")
    page.wait_for_url(re.compile(r".*/details/.*"))
    entry = page.locator("#timeline li", has_text="已到现场，照片为厂区供电线路")
    assert entry.locator(".attach-image img").count() == 1
    with seeded.app_context():
        stored = db.session.scalars(select(Attachment)).one()
        attachment_id, size = stored.id, stored.size
    assert size < 600 * 1024
    shown = page.request.get(page.base + f"/admin/attachment/{attachment_id}")
    assert shown.status == 200 and shown.headers["content-type"] == "image/jpeg" and len(shown.body()) == size

    context, tab = other_unit(seeded, "finance", "市财政局", browser, page.base)
    for url in (f"/admin/attachment/{attachment_id}", f"/admin/attachment/{attachment_id}/thumb"):
        refused = tab.goto(tab.base + url)
        assert refused.status == 404 and refused.headers["content-type"].startswith("text/html")
        assert "页面或记录不存在" in tab.content()
    context.close()


def pick_ajax(page, field: str, typed: str, label: str) -> None:
    """A select2 field that searches the server as one types (企业)."""
    page.locator(f"#s2id_{field} a.select2-choice").click()
    page.keyboard.type(typed)
    page.locator(".select2-drop-active .select2-result-label", has_text=label).first.click()


def test_a_group_records_a_visit_with_a_photo_on_a_phone(page, users, world, seeded, tmp_path):
    """A working group's cadre between visits: 登记走访 from the desk's first button, the date and the group filled
    in, the enterprise picked, a photo taken; the visit keeps the shrunk photo and its page shows it."""
    photo = tmp_path / "IMG_3001.jpg"
    camera_photo(photo, (3000, 4000))
    page.set_viewport_size(PHONE)
    log_in(page, "group")
    page.click("a:has-text('登记走访')")
    page.wait_for_url(re.compile(r".*/visit/new/.*"))
    assert page.input_value("#visited_on") == workflow.today().isoformat()
    pick_ajax(page, "enterprise", "甲企业", "甲企业（合成）")
    page.set_input_files("#ui_files", [str(photo)])
    page.wait_for_function("document.getElementById('ui_files-status').textContent.indexOf('已选') === 0")
    page.click("input[type=submit][value='保存']")
    page.wait_for_load_state()
    with seeded.app_context():
        visit = db.session.scalars(select(Visit).order_by(Visit.id.desc())).first()
        files = db.session.scalars(select(Attachment).where(Attachment.visit_id == visit.id)).all()
        assert (visit.enterprise.name, visit.body.name, visit.visited_on) == ("甲企业（合成）", "工作组（循环园）", workflow.today())
        assert len(files) == 1 and files[0].size < 600 * 1024 and files[0].name == "IMG_3001.jpg"
        visit_id = visit.id
    page.goto(page.base + f"/admin/visit/details/?id={visit_id}")
    assert page.locator(".attach-image img").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
