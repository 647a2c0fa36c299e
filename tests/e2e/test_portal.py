"""The enterprise portal on a phone (375 px, as in WeChat's browser): an enterprise submits a 诉求 with a photo, keeps its
受理编号 and 查询码, looks up the progress, and once the problem is 办结 rates the result — without sideways scrolling."""
from __future__ import annotations

import io
import re
from datetime import timedelta

from PIL import Image
from sqlalchemy import select

from models import Appeal, Person, Problem, Unit, User, db, intake, workflow
from tests.conftest import make_user
from tests.test_portal import valid_code

PHONE = {"width": 375, "height": 812}


def no_sideways_scrolling(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_enterprise_submits_looks_up_and_rates_on_a_phone(page, seeded, tmp_path):
    photo = tmp_path / "现场照片.jpg"
    Image.new("RGB", (640, 480), "gray").save(photo, "JPEG")
    page.set_viewport_size(PHONE)
    page.goto(page.base + "/portal/")  # one campaign with a code → its form; two here: the list first
    page.click("text=汨罗市")
    page.wait_for_url(re.compile(r".*/portal/SJY/$"))
    assert no_sideways_scrolling(page)
    page.fill("#enterprise_name", "汨罗市星火新材料有限公司")
    page.fill("#credit_code", valid_code())
    page.fill("#contact", "周经理")
    page.fill("#phone", "13812345678")
    page.select_option("#category", "用工")
    page.fill("#description", "企业扩产急需熟练技工约50名，希望协助对接职业院校和人社部门招聘。")
    page.set_input_files("#files", str(photo))
    page.click("#submit-appeal")
    page.wait_for_url(re.compile(r".*/portal/done$"))
    assert no_sideways_scrolling(page)
    number, code = page.inner_text("#appeal-number"), page.inner_text("#appeal-code")
    assert page.locator("img.receipt").evaluate("img => img.naturalWidth") > 0  # the receipt picture to keep

    page.click("text=去查询进展")
    page.fill("#code", code)
    page.click("#track-appeal")
    assert "已提交，等待受理" in page.inner_text("#public-timeline") and no_sideways_scrolling(page)

    make_user(seeded, "office", "coordinator")
    with seeded.app_context():  # the office accepts it and the unit finishes the work
        office = db.session.scalar(select(User).where(User.username == "office"))
        appeal = db.session.scalar(select(Appeal).where(Appeal.number == number))
        problem = intake.accept(appeal, office)
        db.session.commit()
        unit = db.session.scalar(select(Unit).where(Unit.campaign_id == problem.campaign_id, Unit.name == "市人社局"))
        person = db.session.scalar(select(Person).where(Person.unit_id == unit.id)) or Person(
            campaign_id=problem.campaign_id, name="测试科长", unit=unit)
        workflow.assign(problem, office, unit, workflow.today() + timedelta(days=10), lead_person=person)
        admin = type("Admin", (), {"id": None, "role": "admin", "unit_id": None, "role_label": "系统管理员"})()
        workflow.accept(problem, admin)
        workflow.resolve(problem, admin, "已组织专场招聘会，企业招到技工52名。")
        db.session.commit()
        assert problem.enterprise.credit_code == valid_code() and len(problem.enterprise.name) > 0

    page.goto(page.base + "/portal/track?number=" + number)
    page.fill("#code", code)
    page.click("#track-appeal")
    timeline = page.inner_text("#public-timeline")
    assert "已交办：由市人社局办理" in timeline and "招到技工52名" in timeline and "测试科长" not in timeline
    assert no_sideways_scrolling(page)
    page.click("label:text-is('非常满意')")
    page.fill("#comment", "办得快，谢谢！")
    page.click("#submit-rating")
    assert "感谢您的评价" in page.inner_text("#rated") and "您的评价：非常满意" in page.inner_text("#public-timeline")
    with seeded.app_context():
        appeal = db.session.scalar(select(Appeal).where(Appeal.number == number))
        assert appeal.rating == "非常满意" and appeal.revisit is None and appeal.problem.status == "已办结"
        assert len(appeal.files) == 1 and appeal.files[0].mime == "image/jpeg"
