"""The panel in a real browser: every role logs in and out, the ledger's search and filters, a problem taken from
收集 to 销号 by the roles whose steps they are, a refused step, a downloaded export read back, an import with its
preview and error report, and the dashboard's charts. Nothing may be fetched from outside the server."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from models import Problem, db, workflow
from models.vocab import ROLE_LABELS
from tests.e2e.conftest import log_in
from tests.factories import scoped_world


@pytest.fixture
def world(seeded):
    with seeded.app_context():
        return scoped_world()


def listed(page) -> int:
    tab = page.locator(".nav-tabs .nav-link.active").first.inner_text()
    found = re.search(r"\((\d+)\)", tab)
    return int(found.group(1)) if found else 0


@pytest.mark.parametrize("role", list(ROLE_LABELS))
def test_each_role_logs_in_and_out(page, users, role):
    page.goto(page.base + "/admin/")
    assert "/login" in page.url and page.locator("text=助企服务专项行动管理平台").count()
    page.fill("#username", role)
    page.fill("#password", "wrong-password")
    page.click("button[type=submit]")
    assert page.locator(".alert-danger").inner_text().strip() == "用户名或密码错误，或账号已停用。"
    log_in(page, role)
    navbar = page.locator("#admin-navbar-collapse").inner_text()
    assert ROLE_LABELS[role] in navbar and "退出" in navbar
    assert ("审计日志" in page.content()) == (role in ("admin", "coordinator"))
    page.click("text=退出")
    page.wait_for_url(re.compile(r".*/login$"))
    assert "已退出登录" in page.content()
    page.goto(page.base + "/admin/problem/")
    assert "/login" in page.url


def test_ledger_search_and_filters(page, users, world):
    log_in(page, "coordinator")
    page.goto(page.base + "/admin/problem/")
    assert listed(page) == 4
    page.fill("input[name=search]", "乙企业")
    page.press("input[name=search]", "Enter")
    page.wait_for_url(re.compile(r".*search=.*"))
    assert listed(page) == 2
    page.goto(page.base + "/admin/problem/")
    page.click("text=添加筛选器")
    page.click(".field-filters >> text=办理状态")
    pick(page, page.locator("#filter_form .select2-container.filter-val").last, "已交办")
    page.click("#filter_form button[type=submit]")
    page.wait_for_url(re.compile(r".*flt\d+_.*"))
    assert listed(page) == 1 and "甲问题：已交办" in page.content()


def pick(page, container, label: str) -> None:
    """Choose `label` in a Select2 box as a user does: open it, click the option."""
    container.locator("a.select2-choice").click()
    page.locator(".select2-drop-active .select2-result-label", has_text=label).first.click()


def fill_date(page, selector: str, value: str) -> None:
    """Type a date and close the date picker, as a user clicking elsewhere on the page does."""
    page.fill(selector, value)
    page.locator(".page-head, h4").first.click()
    assert page.input_value(selector) == value


def step(page, number: str, label: str, fields: dict | None = None) -> None:
    """Open a problem's details, take a workflow step by its button, fill its small form and confirm."""
    page.goto(page.base + f"/admin/problem/?search={number}")
    page.click(f"tr:has-text('{number}') td.col-number a")  # 问题编号 opens the problem's page
    page.click(f"#case-steps a.btn:text-is('{label}')")
    for selector, value in (fields or {}).items():
        if selector.startswith("select"):
            pick(page, page.locator(f"#s2id_{selector.split('#')[1]}"), value)
        elif selector == "#deadline":
            fill_date(page, selector, value)
        else:
            page.fill(selector, value)
    page.click(f"button:text-is('确认{label}')")
    page.wait_for_url(re.compile(r".*/details/.*"))
    assert "alert-success" in page.content() and number in page.locator(".alert-success").inner_text()


def test_a_problem_from_collection_to_sign_off(page, seeded, users, world):
    log_in(page, "group")  # 收集
    page.goto(page.base + "/admin/problem/new/")
    page.fill("#description", "企业反映新增用电报装进度慢")
    pick(page, page.locator("#s2id_category"), "用能")
    fill_date(page, "#collected_on", "2024-09-20")
    page.click("input[type=submit][value='保存']")
    page.wait_for_url(re.compile(r".*/details/.*"))
    with seeded.app_context():
        number = db.session.scalar(select(Problem.number).where(Problem.description == "企业反映新增用电报装进度慢"))
    page.click("text=退出")
    log_in(page, "coordinator")  # 交办
    deadline = (workflow.today() + timedelta(days=15)).isoformat()
    step(page, number, "交办", {"select#responsible_unit": "市发改局", "select#lead_person": "周雄伟（局长）", "#deadline": deadline})
    page.click("text=退出")
    log_in(page, "handler")  # 办理
    step(page, number, "签收")
    step(page, number, "申请办结", {"#resolution": "已协调供电公司完成报装"})
    page.click("text=退出")
    log_in(page, "leader")
    step(page, number, "领导批示", {"#note": "办得好，总结经验"})
    page.click("text=退出")
    log_in(page, "coordinator")  # 销号
    step(page, number, "销号", {"select#satisfaction": "满意"})
    timeline = page.locator("#timeline .tl-what").all_inner_texts()
    assert timeline == ["录入", "交办", "签收", "申请办结", "领导批示", "销号"]
    with seeded.app_context():
        problem = db.session.scalar(select(Problem).where(Problem.number == number))
        assert (problem.status, problem.satisfaction, problem.responsible_unit.name) == ("已销号", "满意", "市发改局")


def test_an_illegal_step_is_refused(page, users, seeded, world):
    with seeded.app_context():
        pa = db.session.get(Problem, world["PA"][1])
    log_in(page, "coordinator")
    page.goto(page.base + f"/admin/problem/step/close/?id={pa.id}")
    assert "当前为“待交办”，不能“销号”" in page.content()
    page.click("text=退出")
    log_in(page, "handler")
    response = page.goto(page.base + f"/admin/problem/step/assign/?id={pa.id}")
    assert response.status == 403 and "没有权限访问" in page.content()


def test_export_downloads_and_reads_back(page, users, world, tmp_path):
    log_in(page, "group")
    page.goto(page.base + "/admin/problem/")
    with page.expect_download() as info:
        page.click("#export-annex2")
    download = info.value
    assert download.suggested_filename.startswith("附件2 问题清单") and download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    ws = load_workbook(saved).active
    assert [c.value for c in ws[3]][:3] == ["序号", "问题编号", "企业名称"]
    assert {ws.cell(r, 3).value for r in range(4, ws.max_row + 1)} == {"甲企业（合成）"}


def test_import_with_its_preview_and_error_report(page, users, world, tmp_path):
    log_in(page, "coordinator")
    page.goto(page.base + "/admin/reports/")
    with page.expect_download() as info:
        page.click("#download-problems")
    exported = tmp_path / info.value.suggested_filename
    info.value.save_as(exported)
    book = load_workbook(exported)
    book.active.cell(4, 9).value = "九月二十日"
    bad = tmp_path / "bad.xlsx"
    book.save(bad)
    book.active.cell(4, 9).value = "2024-09-21"
    good = tmp_path / "good.xlsx"
    book.save(good)
    page.goto(page.base + "/admin/import/")
    page.set_input_files("input[type=file]", str(bad))
    page.click("#upload")
    assert "导入未通过" in page.locator("#import-summary").inner_text() or "预检未通过" in page.locator("#import-summary").inner_text()
    assert "第4行第9列（收集时间）" in page.locator("#import-errors").inner_text()
    page.set_input_files("input[type=file]", str(good))
    page.click("#upload")
    assert "预检通过：将新增0条、更新1条" in page.locator("#import-summary").inner_text()
    assert "更新" in page.locator("#import-preview").inner_text()
    page.click("#confirm-import")
    assert "导入通过：已新增0条、更新1条" in page.locator("#import-summary").inner_text()


def test_dashboard_draws_its_charts(page, users, seeded):
    from seeds.demo import load_demo

    with seeded.app_context():
        load_demo(40, workflow.today())
    log_in(page, "coordinator")
    page.goto(page.base + "/admin/stats/")
    page.wait_for_selector("body[data-charts=drawn]")
    for chart in ("chart-status", "chart-category", "chart-unit", "chart-trend"):
        points = page.evaluate(f"Chart.getChart('{chart}').data.datasets[0].data.length")
        box = page.locator(f"#{chart}").bounding_box()
        assert points > 0 and box["width"] > 100 and box["height"] > 50, chart
    assert page.evaluate("Chart.getChart('chart-status').data.datasets[0].data.reduce((a, b) => a + b, 0)") == 40
    assert page.locator("#totals").inner_text().count("问题总数") == 1


def test_pages_fetch_nothing_from_outside(page, users, world):
    """The page fixture blocks and reports every outside request; here every kind of page is opened, and shows its
    heading and what it is for."""
    log_in(page, "admin")
    shown = {  # path: (the page's heading, where on the page, what it shows there)
        "/admin/": ("我的待办", "#desk-lines", "待交办"),
        "/admin/stats/": ("统计", "#totals", "问题总数"),
        "/admin/problem/": ("问题台账", "table tr", "甲问题：待交办"),
        "/admin/problem/new/": ("问题台账", "label", "问题描述"),
        f"/admin/problem/details/?id={world['PA'][1]}": ("SJY-2024", "#section-1", "甲问题：待交办"),
        "/admin/ranking/": ("单位红黑榜", "body", "合计：问题"),
        "/admin/reports/": ("报表导出", "body", "附件2 问题清单"),
        "/admin/import/": ("导入", "body", "上传并检查"),
        "/admin/account/": ("修改密码", "label", "再次输入新密码"),
        "/admin/unit/new/": ("单位", "label", "全称"),
    }
    for path, (heading, where, text) in shown.items():
        response = page.goto(page.base + path)
        page.wait_for_load_state("networkidle")
        assert response.status == 200, path
        assert page.locator("h4, h5, .case-title").first.inner_text().strip().startswith(heading), path
        assert page.locator(where, has_text=text).first.is_visible(), (path, text)
