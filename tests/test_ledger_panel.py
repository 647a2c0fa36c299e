"""The ledger in the panel: a problem from 收集 to 销号 through the screens by the right roles, refused steps,
bulk steps, the ledger's order, filters and search, the 督办 screens and the dashboard, all within each role's scope."""
from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from admin.filters import LightFilter
from models.calendar import add_workdays
from models import Person, Problem, Unit, User, db, workflow
from tests.conftest import csrf_token, hidden_inputs
from tests.factories import last_workday, miluo, named, scoped_world, staff_of
from tests.helpers import flashes


@pytest.fixture
def world(seeded):
    with seeded.app_context():
        return scoped_world()


@pytest.fixture
def clients(login_as, world):
    return {role: login_as(role) for role in ("coordinator", "group", "handler", "leader")}


def step(client, name, ids, **data):
    url = f"/admin/problem/step/{name}/?ids={','.join(map(str, ids))}"
    page = client.get(url)
    return page, client.post(url, data={**hidden_inputs(page.text), **data})


def problem(app, pk) -> Problem:
    with app.app_context():
        row = db.session.get(Problem, pk)
        db.session.expunge(row)
        return row


def test_from_collection_to_sign_off_through_the_screens(seeded, world, clients):
    with seeded.app_context():
        campaign_id, unit, person = world["C"][1], named(Unit, "市发改局").id, named(Person, "周雄伟").id
    group, office, unit_client, leader = clients["group"], clients["coordinator"], clients["handler"], clients["leader"]
    # 收集: the working group files it
    page = group.get("/admin/problem/new/")
    response = group.post("/admin/problem/new/", data={**hidden_inputs(page.text), "campaign": campaign_id,
                                                        "collected_by_body": world["GA"][1], "enterprise": world["EA"][1],
                                                        "description": "新增用电报装进度慢", "category": "用能",
                                                        "collected_on": "2024-09-20"})
    assert response.status_code == 302
    with seeded.app_context():
        pk = db.session.scalar(select(Problem.id).where(Problem.description == "新增用电报装进度慢"))
    # 交办: the office assigns it, with the data it needs
    deadline = (workflow.today() + timedelta(days=15)).isoformat()
    page, refused = step(office, "assign", [pk], responsible_unit=unit, deadline=deadline)
    assert page.status_code == 200 and "请选择责任人。" in refused.text
    page, done = step(office, "assign", [pk], responsible_unit=unit, lead_person=person, deadline=deadline, note="请尽快协调")
    assert done.status_code == 302, flashes(done.text)
    # 办理: the responsible unit signs for it, reports progress and asks to close it
    for name, data in (("accept", {}), ("progress", {"note": "已与供电公司对接"}), ("resolve", {"resolution": "已完成报装"})):
        _, response = step(unit_client, name, [pk], **data)
        assert response.status_code == 302, (name, flashes(response.text))
    # a leader flags it and comments
    _, response = step(leader, "comment", [pk], note="办得好")
    assert response.status_code == 302
    # 销号: the office signs it off with the enterprise's satisfaction
    _, response = step(office, "close", [pk], satisfaction="满意")
    assert response.status_code == 302
    row = problem(seeded, pk)
    assert (row.status, row.satisfaction, row.resolution, row.responsible_unit_id) == ("已销号", "满意", "已完成报装", unit)
    details = office.get(f"/admin/problem/details/?id={pk}").text
    timeline = re.findall(r'<span class="tl-what[^"]*">(.*?)</span>', details)
    assert timeline == ["录入", "交办", "签收", "报告进展", "申请办结", "领导批示", "销号"]  # as the buttons say
    assert "办得好" in details and "已与供电公司对接" in details


def test_steps_a_role_may_not_take_are_refused(seeded, world, clients):
    pa = world["PA"][1]  # 待交办
    assert clients["handler"].get(f"/admin/problem/step/assign/?id={pa}").status_code == 403
    assert clients["leader"].get(f"/admin/problem/step/close/?id={pa}").status_code == 403
    assert clients["group"].get(f"/admin/problem/step/accept/?id={pa}").status_code == 403
    response = clients["coordinator"].get(f"/admin/problem/step/close/?id={pa}", follow_redirects=True)
    assert "当前为“待交办”，不能“销号”" in response.text
    # the responsible unit may not sign for a problem whose 主办 is another unit
    with seeded.app_context():
        db.session.get(Problem, world["PB"][1]).status = "已交办"
        db.session.commit()
    response = clients["handler"].get(f"/admin/problem/step/accept/?id={world['PB'][1]}", follow_redirects=True)
    assert "只有主办单位可以" in response.text
    # unknown steps and problems outside the scope
    assert clients["coordinator"].get(f"/admin/problem/step/teleport/?id={pa}").status_code == 404
    response = clients["coordinator"].get(f"/admin/problem/step/flag/?id={world['AHP'][1]}", follow_redirects=True)
    assert "所选问题不存在" in response.text
    assert problem(seeded, pa).status == "待交办"


def test_bulk_assignment_is_all_or_nothing(seeded, world, clients):
    with seeded.app_context():
        unit, person = named(Unit, "市财政局").id, staff_of("市财政局").id
        db.session.commit()
    office = clients["coordinator"]
    token = csrf_token(office.get("/admin/problem/").text)
    response = office.post("/admin/problem/action/", data={"csrf_token": token, "action": "assign",
                                                           "rowid": [world["PB"][1], world["PB2"][1]]})
    url = response.headers["Location"]
    deadline = (workflow.today() + timedelta(days=20)).isoformat()
    done = office.post(url, data={"csrf_token": token, "responsible_unit": unit, "lead_person": person, "deadline": deadline})
    assert done.status_code == 302
    assert {problem(seeded, world[k][1]).status for k in ("PB", "PB2")} == {"已交办"}
    # one of the selection is already assigned: nothing happens to any of them
    response = office.post("/admin/problem/action/", data={"csrf_token": token, "action": "assign",
                                                           "rowid": [world["PA"][1], world["PA2"][1]]}, follow_redirects=True)
    assert "当前为“已交办”，不能“交办”" in response.text
    assert problem(seeded, world["PA"][1]).status == "待交办"


def test_ledger_is_most_urgent_first_with_a_coloured_light(seeded, world, clients):
    with seeded.app_context():
        today = workflow.today()
        for key, start, days in (("PA2", last_workday(today), -2), ("PB", today, 10), ("PB2", today, 1)):
            row = db.session.get(Problem, world[key][1])
            row.status, row.assigned_on, row.deadline = "办理中", today - timedelta(days=30), add_workdays(start, days)
        db.session.commit()
        numbers = {k: db.session.get(Problem, world[k][1]).number for k in ("PA", "PA2", "PB", "PB2")}
    page = clients["coordinator"].get("/admin/problem/").text
    order = [n for n in re.findall(r"(SJY-2024-\d{4})", page)]
    assert order.index(numbers["PA2"]) < order.index(numbers["PB2"]) < order.index(numbers["PB"]) < order.index(numbers["PA"])
    assert '<span class="badge light light-red">红</span>' in page
    assert '<span class="badge light light-yellow">黄</span>' in page
    assert headers(page) == ["问题编号", "企业", "问题", "责任单位", "办理时限", "办理状态", "亮灯"]  # the compact ledger
    assert "逾期2个工作日" in page and "剩余1个工作日" in page  # working days, by the calendar


def headers(page: str) -> list[str]:
    """The list's column headers, as shown."""
    cells = re.findall(r'<th class="column-header col-[^"]*">(.*?)</th>', page, re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


def test_the_full_columns_switch_is_remembered_per_user(seeded, world, clients):
    """附件2 全列 shows the 20 columns of 附件2 to the user who switched it on, and to nobody else."""
    office = clients["coordinator"]
    page = office.get("/admin/problem/?sort=4").text
    response = office.post("/admin/problem/columns/", data={"csrf_token": csrf_token(page), "all": "1",
                                                              "next": "/admin/problem/?sort=4&search=x"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/problem/?search=x"  # no stale sort
    assert headers(office.get("/admin/problem/").text) == ["序号", "问题编号", "企业名称", "所在镇（园区）", "问题类型", "问题描述",
                                                             "企业诉求", "收集工作组", "收集时间", "责任单位", "协办单位", "责任人",
                                                             "督办人", "办理时限", "办理进展", "办理状态", "亮灯", "销号时间",
                                                             "满意度", "备注"]
    assert len(headers(clients["leader"].get("/admin/problem/").text)) == 7  # another user keeps the compact ledger
    with seeded.app_context():
        assert db.session.scalar(select(User.ledger_all_columns).where(User.username == "coordinator")) is True
    office.post("/admin/problem/columns/", data={"csrf_token": csrf_token(page), "all": "0"})
    assert len(headers(office.get("/admin/problem/").text)) == 7


def filter_arg(app, endpoint, name, cls=None):
    view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == endpoint)
    index, flt = next((i, f) for i, f in enumerate(view._filters) if f.name == name and (cls is None or isinstance(f, cls)))
    return f"flt0_{view.get_filter_arg(index, flt)}"


def listed(page: str) -> int:
    """The list's row count (Flask-Admin shows none when the list is empty)."""
    found = re.search(r"列表 \((\d+)\)", page)
    assert found or "列表" in page
    return int(found.group(1)) if found else 0


def test_ledger_filters_and_search(seeded, world, clients):
    office = clients["coordinator"]
    with seeded.app_context():
        czj, fgj = named(Unit, "市财政局").id, named(Unit, "市发改局").id
        park = named(Unit, "配套园").id
    assert listed(office.get("/admin/problem/", query_string={filter_arg(seeded, "problem", "责任单位"): czj}).text) == 3
    assert listed(office.get("/admin/problem/", query_string={filter_arg(seeded, "problem", "责任单位"): fgj}).text) == 1
    assert listed(office.get("/admin/problem/", query_string={filter_arg(seeded, "problem", "收集工作组"): world["GB"][1]}).text) == 2
    assert listed(office.get("/admin/problem/", query_string={filter_arg(seeded, "problem", "所在镇（园区）"): park}).text) == 2
    assert listed(office.get("/admin/problem/", query_string={filter_arg(seeded, "problem", "办理状态"): "已交办"}).text) == 1
    assert listed(office.get("/admin/problem/", query_string={filter_arg(seeded, "problem", "亮灯", LightFilter): "红"}).text) == 0
    assert listed(office.get("/admin/problem/", query_string={"search": "乙企业"}).text) == 2
    page = office.get("/admin/problem/", query_string={filter_arg(seeded, "problem", "责任单位"): "999999"})
    assert "无效，已忽略" in page.text


def test_filter_dropdowns_offer_only_what_the_user_may_see(seeded, world, clients):
    page = clients["group"].get("/admin/problem/").text
    groups = json.loads(re.search(r'<div id="filter-groups-data" class="d-none">(.*?)</div>', page, re.S).group(1))
    offered = [name for item in groups["收集工作组"] for _, name in item["options"]]
    assert offered == ["工作组（循环园）"]


def test_supervision_listings_in_the_panel(seeded, world, clients):
    with seeded.app_context():
        today = workflow.today()
        overdue = db.session.get(Problem, world["PB"][1])
        overdue.status, overdue.assigned_on, overdue.deadline, overdue.flagged = "办理中", today - timedelta(days=20), add_workdays(today, -1), True
        soon = db.session.get(Problem, world["PA2"][1])
        soon.assigned_on, soon.deadline = today - timedelta(days=5), add_workdays(today, 2)
        db.session.commit()
        numbers = {k: db.session.get(Problem, world[k][1]).number for k in ("PB", "PA2")}
    office, group = clients["coordinator"], clients["group"]
    assert numbers["PB"] in office.get("/admin/overdue/").text and listed(office.get("/admin/overdue/").text) == 1
    assert listed(office.get("/admin/due_soon/").text) == 1 and numbers["PA2"] in office.get("/admin/due_soon/").text
    assert listed(office.get("/admin/due_soon/?days=0").text) == 0
    assert listed(office.get("/admin/flagged/").text) == 1
    assert listed(group.get("/admin/overdue/").text) == 0  # PB belongs to another group
    for url in ("/admin/escalated/", "/admin/stale/", "/admin/due_soon/?days=abc", "/admin/due_soon/?days=99999999"):
        assert office.get(url).status_code == 200, url


def test_ranking_page_paints_the_boards_and_sets_small_samples_apart(seeded, login_as):
    """红榜 rows and badges in honour red, 黑榜 in black-grey; a unit below the campaign's ranking minimum (default 3) is listed last,
    without a rank, as 样本不足."""
    with seeded.app_context():
        campaign = miluo()
        finished = {"status": "已办结", "assigned_on": date(2024, 9, 1), "deadline": date(2024, 9, 30),
                    "resolved_on": date(2024, 9, 10)}
        running = {"status": "办理中", "assigned_on": date(2024, 9, 1), "deadline": date(2024, 9, 30)}
        for unit, specs in {"市财政局": [finished] * 3, "市工信局": [finished, running, running],
                            "市发改局": [running] * 3, "市人社局": [finished]}.items():
            for spec in specs:
                db.session.add(Problem(campaign=campaign, description=f"{unit}的问题", responsible_unit=named(Unit, unit), **spec))
        db.session.commit()
    page = login_as("coordinator").get("/admin/ranking/").text
    rows = {re.search(r"<td>(市\w+局)</td>", row).group(1): row
            for row in re.findall(r"<tr[^>]*>.*?</tr>", page.split('id="ranking"')[1], re.S) if "<td>市" in row}
    assert list(rows) == ["市财政局", "市工信局", "市发改局", "市人社局"]
    assert 'class="board-red"' in rows["市财政局"] and '<span class="badge badge-board-red">红榜</span>' in rows["市财政局"]
    assert 'class="board-black"' in rows["市发改局"] and '<span class="badge badge-board-black">黑榜</span>' in rows["市发改局"]
    assert "badge" not in rows["市工信局"] and "table-success" not in page
    assert 'class="board-too-few"' in rows["市人社局"] and "样本不足" in rows["市人社局"]
    assert re.search(r"<td>—</td>\s*<td><span[^>]*>样本不足</span></td>", rows["市人社局"])
    assert "已交办问题不足 3 个的单位样本不足" in page


def test_supervision_tables_render_within_scope(seeded, world, clients):
    with seeded.app_context():
        db.session.get(Problem, world["PB2"][1]).status = "已交办"  # another group's problem, 主办 市财政局
        db.session.commit()
    office, group = clients["coordinator"], clients["group"]

    def assigned_to_czj(page):
        return int(re.search(r"<td>市财政局</td>\s*<td>(\d+)</td>", page).group(1))

    assert assigned_to_czj(office.get("/admin/ranking/").text) == 1
    assert assigned_to_czj(group.get("/admin/ranking/").text) == 0  # the group's figures leave out other groups' problems
    compliance = office.get("/admin/visit-compliance/").text
    assert "甲企业（合成）" in compliance and "乙企业（合成）" in compliance and "未达标" in compliance
    assert "乙企业（合成）" not in group.get("/admin/visit-compliance/").text
    reports = group.get("/admin/submissions/").text
    assert "工作组（循环园）" in reports and "工作组（配套园）" not in reports
    assert "工作组（配套园）" in office.get("/admin/submissions/").text


def dashboard_data(client) -> dict:
    page = client.get("/admin/stats/").text
    assert "/static/vendor/chartjs/chart.umd.min.js" in page and "/static/dashboard.js" in page
    return json.loads(re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', page, re.S).group(1))


def test_dashboard_figures_are_scoped_to_the_user(seeded, world, clients):
    office, group = dashboard_data(clients["coordinator"]), dashboard_data(clients["group"])
    assert dict(office["status"]) == {"待交办": 3, "已交办": 1, "办理中": 0, "已办结": 0, "已销号": 0, "已撤销": 0, "已合并": 0}
    assert dict(group["status"]) == {"待交办": 1, "已交办": 1, "办理中": 0, "已办结": 0, "已销号": 0, "已撤销": 0, "已合并": 0}
    assert len(office["weeks"]) == len(office["collected"]) == len(office["resolved"]) == 12
    page = clients["group"].get("/admin/stats/").text
    assert re.search(r"问题总数</div>\s*<div class=\"h4 mb-0\"><a[^>]*>2</a>", page)


def test_dashboard_chart_script_is_served_locally(seeded, clients):
    response = clients["coordinator"].get("/static/vendor/chartjs/chart.umd.min.js")
    assert response.status_code == 200 and b"Chart" in response.data
    assert clients["coordinator"].get("/static/dashboard.js").status_code == 200


def test_list_count_is_the_same_on_full_partial_and_empty_pages(seeded, world, clients):
    """The list counts its rows only when the page cannot tell (a page that is not full is the last one)."""
    with seeded.app_context():
        campaign = db.session.get(Problem, world["PA"][1]).campaign
        db.session.add_all(Problem(campaign=campaign, description=f"计数用问题{n}") for n in range(45))
        db.session.commit()
        total = db.session.query(Problem).filter(Problem.campaign_id == campaign.id).count()
    assert total % 20 and total > 40  # the last page is not full
    office = clients["coordinator"]
    for page in (0, 1, total // 20, total // 20 + 3):
        assert listed(office.get("/admin/problem/", query_string={"page": page, "page_size": 20}).text) == total, page
    assert listed(office.get("/admin/problem/", query_string={"search": "计数用问题", "page_size": 100}).text) == 45
    assert listed(office.get("/admin/problem/", query_string={"search": "计数用问题", "page_size": 20, "page": 2}).text) == 45


def test_a_step_racing_another_process_changes_nothing(seeded, world, clients):
    """Another server process changes the problem between this request's read and its write: the step is
    refused with a Chinese message and nothing of it is kept (no 500, no half-written timeline)."""
    from sqlalchemy import event, func, text

    from models import ProblemUpdate

    pa = world["PA"][1]  # 待交办
    office = clients["coordinator"]
    url = f"/admin/problem/step/flag/?id={pa}"
    token = csrf_token(office.get(url).text)
    with seeded.app_context():
        updates_before = db.session.scalar(select(func.count()).select_from(ProblemUpdate).where(ProblemUpdate.problem_id == pa))

    def other_process_writes_first(session, context, instances):
        session.connection().execute(text("UPDATE problem SET version = version + 1 WHERE id = :id"), {"id": pa})

    event.listen(db.session.__class__, "before_flush", other_process_writes_first)
    try:
        response = office.post(url, data={"csrf_token": token, "note": "请加快办理"}, follow_redirects=True)
    finally:
        event.remove(db.session.__class__, "before_flush", other_process_writes_first)
    assert response.status_code == 200
    assert "刚被其他人修改" in response.text and "未做任何修改" in response.text
    with seeded.app_context():
        row = db.session.get(Problem, pa)
        assert row.flagged is False
        assert db.session.scalar(select(func.count()).select_from(ProblemUpdate).where(ProblemUpdate.problem_id == pa)) == updates_before


def test_each_row_links_to_its_own_record(seeded, world, clients):
    """Row buttons are built from one URL per page with each row's id put in: every row's links name that row."""
    page = clients["coordinator"].get("/admin/problem/", query_string={"page_size": 20}).text
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)
    checked = 0
    for row in rows:
        selected = re.search(r'name="rowid" class="action-checkbox" value="(\d+)"', row)
        if not selected:
            continue
        pk = selected.group(1)
        links = re.findall(r'href="/admin/problem/(details|edit)/\?id=(\d+)&amp;url=([^"]+)"', row)
        assert {kind for kind, _, _ in links} == {"details", "edit"}, row
        assert all(found == pk and back.startswith("/admin/problem/") for _, found, back in links), row
        checked += 1
    assert checked >= 4


@pytest.mark.parametrize("role", ["group", "handler"])
def test_a_scope_counted_in_parts_counts_what_the_list_lists(seeded, world, login_as, role):
    """A working group's and a unit's ledger count their scope in disjoint parts (models.scope.count_parts): the
    sum is exactly the rows listed, with filters and a search, on every page."""
    from seeds.demo import load_demo

    with seeded.app_context():
        load_demo(400, workflow.today())  # several full pages of each user's scope
    client = login_as(role)
    status = filter_arg(seeded, "problem", "办理状态")
    for args in ({}, {status: "办理中"}, {"search": "演示"}, {"page_size": "50"}):
        first = client.get("/admin/problem/", query_string=args).text
        total = listed(first)
        size = int(args.get("page_size", 20))
        shown = 0
        for page in range(0, -(-total // size) + 1):
            shown += len(re.findall(r'<td class="col-number">', client.get(
                "/admin/problem/", query_string={**args, "page": page}).text))
        assert shown == total, (role, args, shown, total)
        if not args:
            assert total > 2 * size  # counted, not inferred from a last page


def test_a_groups_ledger_pages_from_the_order_index_alone(seeded, world, login_as):
    """The ledger's ids come in the rank's order (problem.urgency, the generated column) and, on SQLite, straight off
    the order index without reading the table: SQLite reads no index as covering once a query names a generated
    column, so there the query orders by the rank's expression, which the index is built on."""
    from seeds.demo import load_demo

    with seeded.app_context():
        load_demo(200, workflow.today())
        engine = db.engine
    client = login_as("group")
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "LIMIT" in statement and "ORDER BY" in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        page = client.get("/admin/problem/", query_string={"page": 1}).text
    finally:
        event.remove(engine, "before_cursor_execute", record)
    shown = re.findall(r'<td class="col-number">.*?([A-Z]+-\d{4}-\d{4})', page, re.S)
    with seeded.app_context():
        ranked = db.session.execute(select(Problem.number).where(Problem.number.in_(shown)).order_by(
            Problem.urgency, Problem.deadline, Problem.id.desc())).scalars().all()
        assert shown == ranked and len(shown) > 10  # the second page
        if db.engine.dialect.name == "sqlite":
            (statement, parameters), = [s for s in statements if "problem.id" in s[0].split("FROM")[0]][:1]
            plan = " ".join(row[-1] for row in db.session.connection().exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, parameters).all())
            assert "COVERING INDEX ix_problem_campaign_urgency_expr" in plan, plan


@pytest.mark.parametrize("role", ["coordinator", "group"])
def test_a_deep_page_read_from_the_end_is_the_same_page(seeded, world, login_as, monkeypatch, role):
    """A page past the middle of the list is read by walking the order from its end (admin.listing.reversed_order):
    every page, including the short last one, shows the rows it shows when walked from the start, and the SQL says
    which way it went."""
    import admin.listing
    from seeds.demo import load_demo

    with seeded.app_context():
        load_demo(400, workflow.today())  # the demo data follows the day: enough for a group's three pages on any day
        group = db.session.scalar(select(Problem.collected_by_body_id).where(Problem.collected_by_body_id.is_not(None))
                                  .group_by(Problem.collected_by_body_id).limit(1))
    client = login_as(role)
    visible = listed(client.get("/admin/problem/").text)
    if visible % 20 == 0:  # one more, so that the last page is a short one
        with seeded.app_context():
            body = db.session.scalar(select(User.body_id).where(User.username == role)) or group
            db.session.add(Problem(campaign=miluo(), description="翻页测试：补一条，使最后一页不满", collected_by_body_id=body))
            db.session.commit()

    def pages(deep_rows):
        monkeypatch.setattr(admin.listing, "DEEP_ROWS", deep_rows)
        numbers, page = [], 0
        while True:
            shown = re.findall(r'<td class="col-number">.*?([A-Z]+-\d{4}-\d{4})', client.get(
                "/admin/problem/", query_string={"page": page, "page_size": 20}).text, re.S)
            if not shown:
                return numbers, page
            numbers.append(shown)
            page += 1

    forward, count = pages(10**9)
    backward, _ = pages(0)
    assert backward == forward and count >= 3 and 0 < len(forward[-1]) < 20  # a short last page among them
    with seeded.app_context():
        visible = len([n for page in forward for n in page])
    assert f"列表 ({visible})" in client.get("/admin/problem/", query_string={"page": count - 1, "page_size": 20}).text


@pytest.mark.parametrize("role", ["group", "handler"])
def test_a_list_narrowed_to_one_unit_counts_what_it_lists(seeded, world, login_as, role):
    """A working group's or a unit's list filtered by 责任单位 is counted with its page, in the page's own statement
    (ProblemView.count_with_page): its count is the rows it lists, with and without a status filter, on one page of
    200 rows and summed over pages of 20, and the page costs no statement more than the rows and the user's."""
    from seeds.demo import load_demo
    from admin.ledger import ProblemView

    with seeded.app_context():
        # a unit with more than a page of 20 of each user's problems: the demo follows its anchor day, and not every day
        # gives one (2026-12-08 did not), so the anchor is fixed
        load_demo(1000, date(2026, 12, 7))
        units = db.session.scalars(select(Problem.responsible_unit_id).where(Problem.responsible_unit_id.is_not(None))
                                   .distinct()).all()
    view = next(v for v in seeded.extensions["admin"][0]._views if isinstance(v, ProblemView))
    unit_filter = next(f"flt1_{view.get_filter_arg(i, f)}" for i, f in enumerate(view._filters)
                       if str(f.name) == "责任单位")
    status_filter = next(f"flt2_{view.get_filter_arg(i, f)}" for i, f in enumerate(view._filters)
                         if str(f.name) == "办理状态")
    client = login_as(role)
    checked, counted_apart = 0, []
    for unit in units:
        for extra in ({}, {status_filter: "办理中"}):
            page = client.get("/admin/problem/", query_string={unit_filter: unit, "page_size": 200, **extra}).text
            listed = len(re.findall(r'<td class="col-number">', page))
            shown = re.search(r"列表 \((\d+)\)", page)
            assert (int(shown.group(1)) if shown else 0) == listed, (unit, extra)
            checked += listed
            if listed > 20:  # a full first page of 20: the count comes from the page's statement, not from the rows shown
                paged, number = 0, 0
                while True:
                    rows = len(re.findall(r'<td class="col-number">', client.get("/admin/problem/", query_string={
                        unit_filter: unit, "page_size": 20, "page": number, **extra}).text))
                    if not rows:
                        break
                    paged, number = paged + rows, number + 1
                statements = []
                with seeded.app_context():
                    engine = db.engine

                def record(conn, cursor, statement, *args):
                    statements.append(statement)

                event.listen(engine, "before_cursor_execute", record)
                try:
                    first = client.get("/admin/problem/", query_string={unit_filter: unit, "page_size": 20, **extra}).text
                finally:
                    event.remove(engine, "before_cursor_execute", record)
                assert not [s for s in statements if "count(" in s.lower() and "over" not in s.lower()], statements
                assert paged == listed and f"列表 ({listed})" in first, (unit, extra, paged, listed)
                counted_apart.append(unit)
    assert checked > 0 and counted_apart


@pytest.mark.parametrize("role", ["coordinator", "leader"])
def test_a_one_campaign_count_is_the_rows_the_user_may_read(seeded, login_as, role):
    """A coordinator's or leader's unfiltered ledger is counted by models.scope.own_campaign_count: on SQLite the whole
    table less the other campaigns' rows when the campaign holds most of the table, its own rows otherwise. Either way
    the count is what read_filter lets the user read, and the ledger shows it."""
    from models import Campaign
    from models.scope import own_campaign_count, read_filter
    from seeds.demo import load_demo
    from tests.conftest import PASSWORD, login

    mine = login_as(role)  # an account of 汨罗, which holds most of the table
    with seeded.app_context():
        load_demo(60, workflow.today())
        other = db.session.scalar(select(Campaign).where(Campaign.code != "SJY"))
        db.session.add_all(Problem(campaign=other, description=f"计数测试：另一专项行动的问题{i}") for i in range(25))
        later = Campaign(name="计数测试专项行动", code="JSCS")  # a campaign on each side of 汨罗's id
        db.session.add(later)
        db.session.flush()
        db.session.add_all(Problem(campaign=later, description=f"计数测试：第三个专项行动的问题{i}") for i in range(2))
        account = User(username=f"{role}-other", role=role, display_name="另一专项行动", active=True, campaign=other)
        account.set_password(PASSWORD)
        db.session.add(account)
        db.session.commit()
        engine, dialect = db.engine, db.engine.dialect.name
        for username in (role, f"{role}-other"):
            user = db.session.scalar(select(User).where(User.username == username))
            readable = db.session.scalar(select(func.count()).select_from(Problem).where(read_filter(Problem, user)))
            assert db.session.scalar(select(own_campaign_count(Problem, user))) == readable > 20, username
        db.session.rollback()
    theirs = seeded.test_client()
    assert login(theirs, f"{role}-other").status_code == 302
    for client, username in ((mine, role), (theirs, f"{role}-other")):
        statements = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            page = client.get("/admin/problem/", query_string={"page_size": 20}).text
        finally:
            event.remove(engine, "before_cursor_execute", record)
        with seeded.app_context():
            user = db.session.scalar(select(User).where(User.username == username))
            assert listed(page) == db.session.scalar(select(func.count()).select_from(Problem).where(
                Problem.campaign_id == user.campaign_id)) > 20  # a full first page: counted
        if dialect == "sqlite":
            assert any("CASE WHEN" in s and "count(*)" in s for s in statements), username


@pytest.mark.parametrize("extra", [{}, {"search": "0000000000"}])
def test_each_pager_link_opens_its_own_page(seeded, login_as, extra):
    """The pager's links are built once per page for a stand-in page number (admin.listing.ROW_ID) and each number put
    in, with the list's search and filters kept; a page whose own URL holds the stand-in builds each link on its own."""
    from admin.listing import ROW_ID
    from seeds.demo import load_demo

    with seeded.app_context():
        load_demo(120, workflow.today())
        if extra:  # a problem the search finds on several pages' worth
            db.session.add_all(Problem(campaign=miluo(), description=f"翻页测试 0000000000 之{i}") for i in range(45))
            db.session.commit()
    page = login_as("coordinator").get("/admin/problem/", query_string={"page_size": 20, "page": 1, **extra}).text
    links = [(h, n) for h, n in re.findall(r'<a class="page-link" href="([^"]+)">(\d+)</a>', page) if "?" in h]
    assert len(links) >= 2, links  # the current page's own link goes nowhere
    for href, label in links:
        args = dict(re.findall(r"[?&](?:amp;)?([a-z_]+)=([^&]*)", href))
        assert args.get("page", "0") == str(int(label) - 1) and args.get("page_size") == "20", (href, label)
        assert args.get("search") == extra.get("search"), href
    assert f"page={ROW_ID}" not in page
