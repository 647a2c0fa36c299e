"""The desk in a real browser: each role's lines match the ledger they open, 签收 from the desk (and refused on a row
that is not the user's), the compact ledger at 1366×768, and a responsible unit's day on a phone."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from models import Problem, Unit, db, workflow
from models.calendar import add_workdays
from models.vocab import ROLES
from tests.e2e.conftest import log_in
from tests.factories import named, scoped_world


@pytest.fixture
def world(seeded):
    """The scoped test world, with something on every desk: two problems for 市发改局 to sign for, one overdue and
    flagged, one waiting to be closed."""
    with seeded.app_context():
        world = scoped_world()
        today = workflow.today()
        campaign, fgj = db.session.get(Problem, world["PA2"][1]).campaign, named(Unit, "市发改局")
        pa2 = db.session.get(Problem, world["PA2"][1])
        pa2.assigned_on, pa2.deadline = today - timedelta(days=2), add_workdays(today, 2)  # yellow
        extra = Problem(campaign=campaign, description="第二个待签收的问题（合成）", responsible_unit=fgj, status="已交办",
                        assigned_on=today, deadline=add_workdays(today, 12))  # green
        pb = db.session.get(Problem, world["PB"][1])  # 市财政局 主办, 市发改局 协办
        pb.status, pb.assigned_on, pb.deadline, pb.flagged = "办理中", today - timedelta(days=20), today - timedelta(days=3), True
        db.session.add(extra)
        db.session.commit()
        world["EXTRA"] = ("problem", extra.id)
        return world


def desk_lines(page) -> dict[str, int]:
    return {tile.get_attribute("id").removeprefix("line-"): int(tile.locator(".desk-count").inner_text())
            for tile in page.locator("#desk-lines a.desk-tile").all()}


def listed(page) -> int:
    found = re.search(r"\((\d+)\)", page.locator(".nav-tabs .nav-link.active").first.inner_text())
    return int(found.group(1)) if found else 0


@pytest.mark.parametrize("role", ROLES)
def test_a_line_of_the_desk_opens_a_ledger_of_that_many(page, users, world, role):
    """Each role lands on its desk; its busiest line, clicked, lists that many problems. (That every line's count is
    its ledger's, for every role, tests/test_desk.py checks without a browser.)"""
    log_in(page, role)
    assert page.url.endswith("/admin/") and page.locator("h4").first.inner_text() == "我的待办"
    lines = desk_lines(page)
    key = max((k for k in lines if f"todo={k}" in (page.get_attribute(f"#line-{k}", "href") or "")),
              key=lambda k: lines[k])
    page.click(f"#line-{key}")
    page.wait_for_url(re.compile(rf".*todo={key}.*"))
    assert listed(page) == lines[key] > 0 and page.locator("#todo-banner").is_visible(), (role, key)


def test_sign_for_several_from_the_desk_and_a_tampered_row_is_refused(page, users, world, seeded):
    log_in(page, "handler")
    assert desk_lines(page)["to_accept"] == 2
    page.check(".desk-all[data-form='bulk-to_accept']")
    with page.expect_navigation():
        page.click("#bulk-submit-to_accept")
    assert "已签收2个问题" in page.content() and desk_lines(page)["to_accept"] == 0
    with seeded.app_context():
        assert {db.session.get(Problem, world[k][1]).status for k in ("PA2", "EXTRA")} == {"办理中"}
        db.session.get(Problem, world["PA2"][1]).status = "已交办"
        db.session.get(Problem, world["PB"][1]).status = "已交办"  # 市财政局's to sign for, not 市发改局's
        db.session.commit()
    page.goto(page.base + "/admin/")
    page.eval_on_selector("#bulk-to_accept .desk-check", f"box => {{ box.value = '{world['PB'][1]}'; box.checked = true; }}")
    with page.expect_navigation():
        page.click("#bulk-submit-to_accept")
    assert "只有主办单位可以对问题" in page.locator(".alert").first.inner_text()
    with seeded.app_context():
        assert db.session.get(Problem, world["PB"][1]).status == "已交办"


def test_the_compact_ledger_fits_an_office_screen(page, users, seeded):
    from seeds.demo import load_demo

    with seeded.app_context():
        load_demo(60, workflow.today())
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, "coordinator")
    page.goto(page.base + "/admin/problem/")
    for header in ("办理时限", "办理状态", "亮灯"):
        box = page.locator(f"th.column-header:has-text('{header}')").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1366 and box["y"] + box["height"] <= 768, header
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    rows = [page.locator("table.model-list tbody tr").nth(i).bounding_box() for i in range(20)]
    assert sum(1 for box in rows if box and box["y"] + box["height"] <= 768) >= 15
    red = page.locator("td.col-light .light-red").first
    assert red.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(217, 54, 62)"
    header = page.locator("th.column-header").first
    top = header.bounding_box()["y"]
    page.locator(".ledger .table-responsive").evaluate("e => e.scrollTop = 300")
    assert abs(header.bounding_box()["y"] - top) < 2  # the header stays while the rows scroll
    page.click("#columns-switch")  # 附件2 全列, remembered
    page.goto(page.base + "/admin/problem/")
    assert page.locator("th.column-header").count() == 20


def no_sideways_scrolling(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_unit_signs_and_reports_progress_on_a_phone(page, users, world, seeded):
    page.set_viewport_size({"width": 375, "height": 812})
    log_in(page, "handler")
    assert no_sideways_scrolling(page)
    with page.expect_navigation():
        page.click(f"#list-to_accept button.btn-primary[form='one-to_accept-{world['PA2'][1]}']")
    assert "已签收" in page.content()
    page.goto(page.base + "/admin/problem/")
    assert no_sideways_scrolling(page)
    card = page.locator("table.model-list tbody tr", has_text="甲问题：已交办")
    assert card.locator(".light").is_visible() and card.locator("td.col-deadline").is_visible()
    card.locator("td.col-number a").click()
    page.wait_for_url(re.compile(r".*/details/.*"))
    assert no_sideways_scrolling(page) and page.locator("#case-status").inner_text() == "办理中"
    page.click("#case-steps a:text-is('报告进展')")
    page.wait_for_url(re.compile(r".*/step/progress/.*"))
    page.wait_for_load_state()
    assert no_sideways_scrolling(page)
    page.fill("#note", "已与企业对接，正在协调")
    page.click("button:text-is('确认报告进展')")
    page.wait_for_url(re.compile(r".*/details/.*"))
    assert "已与企业对接，正在协调" in page.locator("#timeline").inner_text()
    with seeded.app_context():
        assert db.session.get(Problem, world["PA2"][1]).progress.endswith("报告进展：已与企业对接，正在协调")
