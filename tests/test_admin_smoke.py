"""Every registered view opens: list, create, edit and details, in Chinese, with nothing loaded from outside."""
from __future__ import annotations

import json
import re

import pytest
from flask_admin.contrib.sqla import ModelView
from sqlalchemy import inspect, select

from flask_login import login_user

from admin import access
from models import User, db
from tests.factories import one_of_everything

CJK = re.compile(r"[\u4e00-\u9fff]")
OUTSIDE = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.I)


def model_views(app) -> list[ModelView]:
    return [v for v in app.extensions["admin"][0]._views if isinstance(v, ModelView)]


@pytest.fixture
def everything(admin_client, seeded):
    with seeded.app_context():
        one_of_everything()
    return admin_client


def first_id(app, view) -> int:
    with app.app_context():
        return db.session.scalar(select(view.model.id).order_by(view.model.id).limit(1))


def test_every_table_has_a_view(seeded):
    """Adding a table without a view fails here."""
    registered = {v.model.__tablename__ for v in model_views(seeded)}
    mapped = {m.local_table.name for m in db.Model.registry.mappers}
    # login_lock: rows that login attempts take turns on; problem_read: when each user last opened each problem (the
    # desk's 新消息): bookkeeping, nothing to show; the import batches are listed, given back and undone on the import
    # page (admin.reports.ImportView), within the user's scope, rather than as a table anyone could edit; the portal's
    # attachments open from their 诉求 and problem pages, and its rate-limit and CAPTCHA rows are bookkeeping; 留言 are
    # read and written on their problem's page only (its row scope), never as a table of their own; the steps', visits'
    # and reports' files (attachment) show on their records' pages and open by admin.attachments
    assert mapped - {"login_lock", "problem_read", "import_batch", "import_batch_row", "import_file", "appeal_file",
                     "portal_hit", "portal_challenge", "message", "attachment"} == registered


def test_every_column_has_a_chinese_label(seeded):
    for view in model_views(seeded):
        mapper = inspect(view.model)
        for attr in [*mapper.column_attrs, *mapper.relationships]:
            if attr.key.endswith("_id") or attr.key == "id":
                continue
            label = view.column_labels.get(attr.key)
            assert label and CJK.search(label), f"{view.endpoint}.{attr.key} has no Chinese label"


LISTINGS = {"overdue", "due_soon", "flagged", "escalated", "stale"}  # the ledger narrowed; may well be empty


def test_every_view_opens_list_create_edit_details(everything, seeded):
    client = everything
    for view in model_views(seeded):
        base = f"/admin/{view.endpoint}"
        listing = client.get(f"{base}/")
        assert listing.status_code == 200, base
        shown = re.search(rf'{base}/details/\?id=(\d+)', listing.text)
        assert shown or view.endpoint in LISTINGS, f"no row to open in {view.endpoint}"
        pages = [f"{base}/details/?id={shown.group(1)}"] if shown else []
        pk = shown.group(1) if shown else first_id(seeded, view)
        if access.allows("admin", view.endpoint, "create"):
            pages.append(f"{base}/new/")
        if access.allows("admin", view.endpoint, "edit"):
            pages.append(f"{base}/edit/?id={pk}")
        for url in [f"{base}/", *pages]:
            response = client.get(url)
            assert response.status_code == 200, f"{url}: {response.status_code}"
            page = response.text
            assert not OUTSIDE.search(page), f"{url} loads something from outside the server"
            assert view.name in page


def test_list_headers_are_chinese(everything, seeded):
    client = everything
    for view in model_views(seeded):
        page = client.get(f"/admin/{view.endpoint}/").text
        headers = re.findall(r'<th class="column-header[^"]*">\s*(?:<a[^>]*>)?\s*([^<]+?)\s*<', page)
        assert headers, view.endpoint
        for header in headers:
            assert CJK.search(header) or header == "ID", f"{view.endpoint}: English header {header!r}"


def test_home_page_and_menu_are_chinese(admin_client):
    page = admin_client.get("/admin/").text
    for category in ("组织架构", "任务清单", "企业与走访", "问题台账", "报表", "系统"):
        assert category in page
    assert "退出" in page
    assert not OUTSIDE.search(page)


def test_list_menus_read_plain_chinese(admin_client):
    """The page-size and bulk-action menus, the delete confirmations, the search hint and the filter operations in
    plain Chinese: our catalogue wins over the one Flask-Admin ships ("20 项目", "选中的", "你确定要……", "不是之间")."""
    page = admin_client.get("/admin/unit/").text
    menu_bar = re.search(r'<ul class="nav nav-tabs">.*?</ul>\s*(?=<form id="filter_form"|<div)', page, re.S).group(0)
    for text in ("每页 20 条", "每页 50 条", "每页 100 条", "每页 200 条", "批量操作"):
        assert text in menu_bar, text
    for text in ("项目", "items", "选中的", "With selected"):
        assert text not in menu_bar, text
    confirmations = json.loads(re.search(r'<div id="actions-confirmation-data"[^>]*>(.*?)</div>', page).group(1))
    assert confirmations["delete"] == "确定要删除选中的记录吗？"
    assert "safeConfirm('确定要删除这条记录吗？')" in page
    ledger = admin_client.get("/admin/problem/").text
    bulk = re.findall(r"modelActions\.execute\('(\w+)'\)", ledger)
    assert len(bulk) > 1 and bulk[-1] == "delete", bulk  # 删除 apart, after the workflow's actions
    assert 'placeholder="问题编号、问题描述、企业名称"' in ledger
    visits = admin_client.get("/admin/visit/").text
    groups = json.loads(re.search(r'<div id="filter-groups-data"[^>]*>(.*?)</div>', visits).group(1))
    operations = {f["operation"] for group in groups.values() for f in group}
    assert {"介于", "不介于", "为空"} <= operations and not operations & {"之间", "不是之间", "空"}


def test_values_read_in_chinese(admin_client, seeded):
    """Roles by their Chinese names and yes/no as 是/否 (Flask-Admin shows admin, True, a title "active: true"), and
    a dropdown's empty choice blank (WTForms 3.3 shows Flask-Admin's "__None")."""
    with seeded.app_context():
        admin_id = db.session.scalar(select(User.id).where(User.username == "admin"))
    users = admin_client.get("/admin/user/").text
    assert '<td class="col-role">系统管理员</td>' in users and 'title="启用：是"' in users
    assert ": true" not in users and ": false" not in users
    details = admin_client.get(f"/admin/user/details/?id={admin_id}").text
    assert re.search(r"<b>启用</b>\s*</td>\s*<td>\s*是\s*</td>", details)
    assert re.search(r"<b>角色</b>\s*</td>\s*<td>\s*系统管理员\s*</td>", details)
    form = admin_client.get(f"/admin/user/edit/?id={admin_id}").text
    assert '<option selected value="admin">系统管理员</option>' in form
    assert "__None</option>" not in form and '<option selected value="__None"> </option>' in form  # no campaign


def filter_value(view, flt) -> str:
    """A valid value for a filter of this kind."""
    kind = type(flt).__name__
    options = flt.get_options(view)
    if options:
        return str(options[0][0])
    if "DateTime" in kind:
        return "2024-09-01 00:00:00 to 2024-09-30 23:59:59" if "Between" in kind else "2024-09-12 00:00:00"
    if "Date" in kind:
        return "2024-09-01 to 2024-09-30" if "Between" in kind else "2024-09-12"
    if "Empty" in kind or "Int" in kind:
        return "1"
    return "市"


def test_list_search_and_filters_work(everything, seeded):
    """Every filter of every view, applied together with valid values, and a search: no errors."""
    client = everything
    for view in model_views(seeded):
        base = f"/admin/{view.endpoint}/"
        if view.column_searchable_list:
            assert client.get(base, query_string={"search": "市"}).status_code == 200
        with seeded.test_request_context():
            login_user(db.session.query(User).filter_by(username="admin").one())  # options depend on who asks
            args = {f"flt{i}_{view.get_filter_arg(i, flt)}": filter_value(view, flt) for i, flt in enumerate(view._filters or [])}
        response = client.get(base, query_string=args)
        assert response.status_code == 200, view.endpoint
        assert "无效" not in response.text, f"{view.endpoint}: a valid filter value was refused"


def test_filter_values_outside_the_options_are_refused_in_chinese(admin_client, seeded):
    view = next(v for v in model_views(seeded) if v.endpoint == "problem")
    index, flt = next((i, f) for i, f in enumerate(view._filters) if f.name == "办理状态")
    response = admin_client.get("/admin/problem/", query_string={f"flt0_{view.get_filter_arg(index, flt)}": "不存在的状态"})
    assert response.status_code == 200
    assert "无效，已忽略" in response.text
