"""The panel as a clerk sees it on a 1366×768 office screen: the navbar on one line, naming who is logged in in
Chinese; the date pickers in Chinese, weeks from Monday, closing on a pick and leaving the form's button free; a date
range filter that reads 至."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from models import User, db, workflow
from models.vocab import ROLE_LABELS
from tests.e2e.conftest import log_in
from tests.factories import scoped_world

OFFICE_SCREEN = {"width": 1366, "height": 768}
# display names as an administrator sets them; a working group's and a unit's account left without one
DISPLAY_NAMES = {"admin": "信息中心管理员", "coordinator": "推进办张科长", "leader": "李副市长", "group": None, "handler": None}
SHOWN = {"group": "工作组（循环园）", "handler": "市发改局"}  # what stands for a missing display name

# The main engineer's next menu: 首页 renamed 我的待办 and a top-level 统计 beside it, added here as the same markup.
COMING_MENU = """() => {
  const home = document.querySelector('#admin-navbar-collapse > ul.navbar-nav > li');
  const stats = home.cloneNode(true);
  stats.classList.remove('active');
  home.querySelector('a').textContent = '我的待办';
  stats.querySelector('a').textContent = '统计';
  home.after(stats);
}"""
# The vertical centre of the system's name and of every entry of the navbar, and its text.
NAVBAR = """() => {
  const items = [...document.querySelectorAll('nav.navbar .navbar-brand, #admin-navbar-collapse > ul > li')];
  return {centres: items.map(e => { const r = e.getBoundingClientRect(); return r.top + r.height / 2; }),
          height: document.querySelector('nav.navbar').getBoundingClientRect().height,
          text: document.querySelector('nav.navbar').innerText};
}"""


@pytest.fixture
def world(seeded):
    with seeded.app_context():
        return scoped_world()


@pytest.fixture
def named_users(seeded, users):
    with seeded.app_context():
        for username, name in DISPLAY_NAMES.items():
            db.session.execute(update(User).where(User.username == username).values(display_name=name))
        db.session.commit()
    return users


@pytest.mark.parametrize("role", list(ROLE_LABELS))
def test_the_navbar_is_one_line_and_names_the_user_in_chinese(page, named_users, role):
    page.set_viewport_size(OFFICE_SCREEN)
    log_in(page, role)
    page.goto(page.base + "/admin/problem/")
    page.evaluate(COMING_MENU)
    navbar = page.evaluate(NAVBAR)
    assert len(navbar["centres"]) >= 10 and max(navbar["centres"]) - min(navbar["centres"]) < 3, navbar
    assert navbar["height"] < 60, navbar  # one line of entries (two lines measure 90 and more)
    assert not re.search(r"[A-Za-z]", navbar["text"]), navbar["text"]  # no user name, nothing in English
    assert ROLE_LABELS[role] in navbar["text"] and (DISPLAY_NAMES[role] or SHOWN[role]) in navbar["text"]
    assert "我的待办" in navbar["text"] and "退出" in navbar["text"]
    assert page.evaluate("document.documentElement.scrollWidth") <= OFFICE_SCREEN["width"]


@pytest.mark.parametrize("width", [375, 800])
def test_a_narrow_screen_folds_the_navbar_and_scrolls_nothing_sideways(page, seeded, named_users, world, width):
    from seeds.demo import load_demo

    with seeded.app_context():
        load_demo(40, workflow.today())  # 红黑榜's table: wider than a phone
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, "admin")
    for path in ("/admin/problem/", f"/admin/problem/details/?id={world['PA'][1]}", "/admin/ranking/", "/admin/account/"):
        page.goto(page.base + path)
        assert page.locator(".navbar-toggler").is_visible() and not page.locator("#admin-navbar-collapse").is_visible()
        page.click(".navbar-toggler")
        page.locator("#admin-navbar-collapse >> text=退出").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path


def form_with_a_date(page, world, kind: str) -> tuple[str, str]:
    """Open a form with a date field as the role whose form it is; its date field and its submit button."""
    if kind == "step":  # our step form (Flask-Admin's DatePickerWidget)
        log_in(page, "coordinator")
        page.goto(page.base + f"/admin/problem/step/assign/?id={world['PA'][1]}")
        return "#deadline", "button:text-is('确认交办')"
    log_in(page, "group")  # a Flask-Admin create form
    page.goto(page.base + "/admin/problem/new/")
    return "#collected_on", "input[type=submit][value='保存']"


@pytest.mark.parametrize("kind", ["step", "create"])
def test_the_date_picker_is_chinese_closes_on_a_pick_and_frees_the_button(page, users, world, kind):
    page.set_viewport_size(OFFICE_SCREEN)
    field, button = form_with_a_date(page, world, kind)
    page.click(field)
    picker = page.locator(".daterangepicker:visible")
    calendar = picker.locator(".calendar:visible")
    weekdays = calendar.locator("thead tr").nth(1).locator("th").all_inner_texts()
    assert weekdays == ["一", "二", "三", "四", "五", "六", "日"]
    months = calendar.locator("select.monthselect option").all_inner_texts()
    assert months[0] == "一月" and months[-1] == "十二月" and len(months) == 12
    assert picker.locator("button:visible").count() == 0  # no 确定 to press: a click on a day is the choice
    calendar.locator("td.available:not(.off)", has_text=re.compile(r"^15$")).click()
    picker.wait_for(state="hidden")
    assert re.fullmatch(r"\d{4}-\d{2}-15", page.input_value(field))
    submit = page.locator(button)
    submit.scroll_into_view_if_needed()
    box = submit.bounding_box()
    centre = [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2]
    assert submit.evaluate("(button, [x, y]) => button.contains(document.elementFromPoint(x, y))", centre), \
        "something covers the form's button"


def test_a_date_range_filter_reads_zhi_and_filters(page, users, world):
    log_in(page, "coordinator")
    page.goto(page.base + "/admin/visit/")
    page.click("text=添加筛选器")
    page.click(".field-filters >> text=走访日期")
    page.evaluate("""() => { const op = $('#filter_form select.filter-op').last();
                             op.val(op.find('option').filter((i, o) => o.text === '介于').val()).trigger('change'); }""")
    dates = page.locator("#filter_form input.filter-val").last
    dates.click()
    labels = page.locator(".daterangepicker:visible .range_inputs").inner_text()
    assert "起" in labels and "止" in labels and "确定" in labels and "取消" in labels
    dates.fill("2024-09-12 至 2024-09-12")
    page.locator("h4").first.click()
    page.click("#filter_form button[type=submit]")
    page.wait_for_url(re.compile(r".*flt\d+_\d+=2024-09-12\+to\+2024-09-12"))
    assert page.locator(".nav-tabs .nav-link.active").first.inner_text() == "列表 (1)"
    assert page.locator("#filter_form input.filter-val").last.input_value() == "2024-09-12 至 2024-09-12"
