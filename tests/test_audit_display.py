"""The audit log as a clerk reads it (admin/audit_display.py): Chinese table, action and field names, values as the
screens show them, everything escaped, related rows named with one query per table, and logins left out unless
asked for, with the list's count agreeing with its rows."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import event, func, not_, select

from admin.audit_display import field_label, field_labels
from models import AuditLog, Enterprise, Person, Problem, Unit, User, audit, db
from models.audit import audited_keys, models_by_table
from tests.factories import miluo, named, scoped_world

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def world(seeded):
    with seeded.app_context():
        return scoped_world()


def text_of(html: str) -> str:
    """A page's text as a reader sees it: tags dropped, entities read, runs of space made one."""
    text = re.sub(r"<[^>]+>", " ", html).replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", '"').replace("&amp;", "&")
    return re.sub(r"\s+", " ", text)


def table_of(html: str) -> str:
    """The text of the page's table (the list's rows, or the details), without the filters' data."""
    return text_of(re.search(r"<table.*</table>", html, re.S).group(0))


def audit_id(app, table: str, row_id: int, action: str = "update") -> int:
    """The latest audit row of a row."""
    with app.app_context():
        return db.session.scalar(select(func.max(AuditLog.id)).where(AuditLog.table_name == table, AuditLog.row_id == str(row_id),
                                                                     AuditLog.action == action))


def filter_arg(app, name: str) -> str:
    """The URL argument of the audit list's filter called `name`."""
    view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == "audit_log")
    index, flt = next((i, f) for i, f in enumerate(view._filters) if f.name == name)
    return f"flt0_{view.get_filter_arg(index, flt)}"


def listed(response) -> tuple[int, list[str]]:
    """The count on the list's tab and the ids of the rows shown."""
    assert response.status_code == 200
    count = re.search(r"列表 \((\d+)\)", response.text)
    ids = list(dict.fromkeys(re.findall(r'href="/admin/audit_log/details/\?id=(\d+)&', response.text)))
    return (int(count.group(1)) if count else 0), ids


def test_a_problem_change_reads_in_chinese(seeded, world, login_as):
    """数据表 问题, 操作 修改, each field by its screen label, related rows by name (no "12:" prefix), 是/否, old → new."""
    with seeded.app_context():
        problem = db.session.get(Problem, world["PA2"][1])
        problem.responsible_unit, problem.flagged = named(Unit, "市财政局"), True
        problem.co_units = [named(Unit, "市工信局")]
        db.session.commit()
    client = login_as("admin")
    page = client.get("/admin/audit_log/", query_string={filter_arg(seeded, "数据表"): "problem", "page_size": 100}).text
    text = table_of(page)
    assert "责任单位： 市发改局 → 市财政局" in text and "挂牌督办： 否 → 是" in text
    assert "协办单位： 新增 市工信局" in text
    assert " 修改 问题 " in text and "update" not in text and "responsible_unit_id" not in text
    rows = re.search(r"<table.*</table>", page, re.S).group(0)
    assert "{&#34;" not in rows and '{"' not in rows and "[null" not in rows  # no raw JSON
    details = table_of(client.get(f"/admin/audit_log/details/?id={audit_id(seeded, 'problem', world['PA2'][1])}").text)
    assert "字段 原值 新值" in details and "数据表 问题" in details and "操作 修改" in details


def test_filters_offer_chinese_names(seeded, login_as):
    page = login_as("admin").get("/admin/audit_log/").text
    groups = json.loads(re.search(r'<div id="filter-groups-data" class="d-none">(.*?)</div>', page, re.S).group(1))
    options = {name: dict(items[0]["options"]) for name, items in groups.items() if items[0]["options"]}
    assert options["操作"] == {"insert": "新增", "update": "修改", "delete": "删除"}
    assert options["数据表"]["problem"] == "问题" and options["数据表"]["app_user"] == "用户"
    assert set(options["数据表"]) == set(models_by_table())


def test_every_recorded_field_has_a_chinese_label(seeded):
    """Foreign keys read as the row they point to (responsible_unit_id → 责任单位), many-to-many fields by their own."""
    labels = field_labels(seeded.extensions["admin"][0])
    for table, model in models_by_table().items():
        for key in audited_keys(model):
            assert CJK.search(field_label(labels, table, key)), f"{table}.{key}"
    assert field_label(labels, "problem", "responsible_unit_id") == "责任单位"


def test_values_as_a_clerk_knows_them(seeded, world, login_as):
    """None is 空, times stop at the minute, long text is cut with the whole of it on hover, a related row that is gone
    says so, and what users typed is escaped."""
    long_text = "企业反映厂区周边道路狭窄，" * 6
    with seeded.app_context():
        person = Person(campaign=miluo(), name="临时联系人")
        db.session.add(person)
        problem = db.session.get(Problem, world["PA"][1])
        problem.lead_person, problem.demand = person, long_text
        db.session.commit()
        person_id = person.id
        db.session.delete(person)  # the problem's 责任人 is set to nothing by the database, unaudited
        db.session.add(Enterprise(campaign=miluo(), name='<script>alert("x")</script>企业'))
        db.session.commit()
    client = login_as("admin")
    page = client.get("/admin/audit_log/", query_string={"page_size": 100}).text
    text = text_of(page)
    assert f"责任人： 空 → ID {person_id}（已不存在）" in text
    assert f'title="{long_text}"' in page and f"企业诉求： 空 → {long_text[:40]}…" in text
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;企业" in page
    created = re.search(r"创建时间： (\S+ \S+)", text).group(1)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", created)
    details = client.get(f"/admin/audit_log/details/?id={audit_id(seeded, 'problem', world['PA'][1])}").text
    assert long_text in text_of(details)  # the details page shows the whole text


def test_logins_are_left_out_unless_asked_for(seeded, login_as):
    """A login only stamps 最近登录: the list leaves it out, its count agreeing with its rows, and a link shows it."""
    client = login_as("admin")
    with seeded.app_context():
        user = db.session.scalar(select(User).where(User.username == "admin"))
        user.display_name = "管理员甲"  # a change of business: always listed
        db.session.commit()
        logins = set(db.session.scalars(select(AuditLog.id).where(audit.bookkeeping())))
        everything = set(db.session.scalars(select(AuditLog.id)))
    assert len(logins) == 1  # the login of `client`
    users = {filter_arg(seeded, "数据表"): "app_user", "page_size": 200}
    count, ids = listed(client.get("/admin/audit_log/", query_string=users))
    assert count == len(ids) and not logins & {int(i) for i in ids}
    assert "姓名： admin → 管理员甲" in text_of(client.get("/admin/audit_log/", query_string=users).text)
    page = client.get("/admin/audit_log/").text
    assert listed(client.get("/admin/audit_log/"))[0] == len(everything - logins)
    switch = re.search(r'id="hidden-rows-switch" href="([^"]+)">显示登录记录<', page).group(1).replace("&amp;", "&")
    assert "logins=1" in switch
    count, ids = listed(client.get("/admin/audit_log/", query_string={**users, "logins": "1"}))
    assert count == len(ids) and logins <= {int(i) for i in ids}
    assert listed(client.get(switch))[0] == len(everything)
    shown = client.get(switch).text
    assert "最近登录： " in text_of(shown) and "隐藏登录记录" in shown
    assert client.get(f"/admin/audit_log/details/?id={min(logins)}").status_code == 200  # details show any row


def test_coordinator_sees_its_campaign_only_and_logins_stay_hidden(seeded, world, login_as):
    """Row scope is unchanged: the coordinator's list counts only its campaign's rows."""
    office = login_as("coordinator")
    with seeded.app_context():
        campaign = miluo().id
        visible = db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.campaign_id == campaign,
                                                                           not_(audit.bookkeeping())))
    count, ids = listed(office.get("/admin/audit_log/"))
    assert count == visible and len(ids) == 20


def test_names_are_looked_up_once_per_table_for_the_whole_page(seeded, world, login_as):
    """A page of 50 audit rows naming units costs the queries a page of 20 does: one per table, not one per row."""
    with seeded.app_context():
        problem = db.session.get(Problem, world["PA2"][1])
        units = [named(Unit, name) for name in ("市财政局", "市工信局", "市发改局", "市人社局", "市住建局")]
        for n in range(55):
            problem.responsible_unit = units[n % len(units)]
            db.session.commit()
        engine = db.engine
    client = login_as("admin")
    problems = {filter_arg(seeded, "数据表"): "problem", filter_arg(seeded, "操作").replace("flt0", "flt1"): "update"}
    client.get("/admin/audit_log/", query_string=problems)  # the panel's labels are gathered once, on first use

    def queries(size: int) -> int:
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            page = client.get("/admin/audit_log/", query_string={**problems, "page_size": size}).text
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert text_of(page).count("责任单位： 市") >= size - 1
        return len(seen)

    assert queries(50) == queries(20)


def test_a_deleted_row_is_named_by_what_its_audit_row_recorded(seeded, world, login_as):
    with seeded.app_context():
        unit = Unit(campaign=miluo(), name="临时单位（待删）")
        db.session.add(unit)
        db.session.commit()
        pk = unit.id
        db.session.delete(unit)
        db.session.commit()
    text = text_of(login_as("admin").get("/admin/audit_log/", query_string={filter_arg(seeded, "操作"): "delete"}).text)
    assert f"删除 单位 临时单位（待删） ID {pk}（已删除）" in text
    assert "名称： 临时单位（待删）" in text
